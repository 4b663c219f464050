"""The matching family's method declarations (the run functions live with each problem kind's algorithms:
assignment.py, generalized_assignment.py, makespan.py, routing.py, bmatching.py, adwords.py).

assignment.lapjv   exact: scipy's shortest augmenting path (LAPJV family); sparse instances via
                   min_weight_full_bipartite_matching; missing pairs never used (else infeasible)
assignment.lp      exact: the LP on HiGHS; its corners are integral and the solution is checked to be
gap.mip            exact: HiGHS MIP        gap.cpsat  exact: CP-SAT
gap.regret         heuristic: regret greedy + shift/swap local search
gap.lp_round       heuristic: LP solution rounded (largest x per job where it fits), regret greedy for the
                   rest, local search
gap.lns            heuristic: regret start, price-and-dive over the set-partitioning master (20 dives
                   without a time limit), then large-neighbourhood search with exact sub-MIPs until the
                   time limit (200 sub-MIPs without one; HiGHS on Lagrangian cores first if no dive ran)
makespan.*         mip, cpsat (exact); lp_round (Lenstra-Shmoys-Tardos rounding), greedy (list scheduling)
routing.*          mip (exact); lagrangian (the budget row priced out, transport LPs)
bmatching.*        lp (exact: integral vertices); greedy
adwords.*          mip (exact, the offline optimum); greedy and msvv (online rules)
Every heuristic reports a bound (LP, Lagrangian or closed form), so its gap is certified."""
from __future__ import annotations

from optalloc.families.matching.adwords import online_run, run_adwords_mip
from optalloc.families.matching.assignment import run_assignment_lp, run_lapjv
from optalloc.families.matching.bmatching import run_bmatching_greedy, run_bmatching_lp
from optalloc.families.matching.generalized_assignment import gap_heuristic_run, run_gap_cpsat, run_gap_lns, run_gap_mip
from optalloc.families.matching.makespan import (run_makespan_cpsat, run_makespan_greedy, run_makespan_lp_round,
                                                 run_makespan_mip)
from optalloc.families.matching.routing import run_routing_lagrangian, run_routing_mip
from optalloc.registry import Method, Parameter, register


register(Method("assignment.lapjv", ("assignment",), "exact", "scipy", run_lapjv,
                "scipy's linear_sum_assignment (sparse: min_weight_full_bipartite_matching)", requires=("scipy",),
                distribution="scipy"))
register(Method("assignment.lp", ("assignment",), "exact", "highs", run_assignment_lp,
                "the assignment LP on HiGHS, with an integrality check of its vertex", requires=("highspy",),
                distribution="highspy", linear_model="optalloc.families.matching.models:arrays"))
register(Method("gap.mip", ("gap",), "exact", "highs", run_gap_mip, "the GAP MIP on HiGHS", requires=("highspy",),
                distribution="highspy", linear_model="optalloc.families.matching.models:arrays"))
register(Method("gap.cpsat", ("gap",), "exact", "ortools-cpsat", run_gap_cpsat, "the GAP on OR-Tools CP-SAT",
                requires=("ortools",), distribution="ortools"))
register(Method("gap.regret", ("gap",), "heuristic", "optalloc", gap_heuristic_run(False),
                "regret greedy + shift/swap local search; LP and Lagrangian bound", requires=("numba", "highspy")))
register(Method("gap.lns", ("gap",), "heuristic", "optalloc", run_gap_lns,
                "regret start, price-and-dive over the set-partitioning master, large-neighbourhood search "
                "with exact sub-MIPs; Lagrangian bound",
                requires=("numba", "highspy"), parameters=(
                    Parameter("dive_share", float, 0.7, "share of the time left for price-and-dive", lo=0, hi=1),
                    Parameter("cores", bool, None, "run the 2- and 4-agent core MIPs before the LNS (default: "
                              "when no dive ran)"),
                    Parameter("sub_limit", float, 1.0, "seconds per neighbourhood sub-MIP", lo=0),
                    Parameter("steps", int, 200, "sub-MIPs at most without a time limit", lo=0),
                    Parameter("width", int, 4, "agents per job a neighbourhood sees", lo=1),
                    Parameter("patience", int, 15, "steps without improvement before the ranking widens", lo=0))))
register(Method("gap.lp_round", ("gap",), "heuristic", "optalloc", gap_heuristic_run(True),
                "LP rounding + regret greedy + local search; LP and Lagrangian bound", requires=("numba", "highspy")))
register(Method("makespan.mip", ("makespan",), "exact", "highs", run_makespan_mip,
                "R||Cmax MIP on HiGHS", requires=("highspy",), distribution="highspy",
                linear_model="optalloc.families.matching.models:makespan_arrays"))
register(Method("makespan.cpsat", ("makespan",), "exact", "ortools-cpsat", run_makespan_cpsat,
                "R||Cmax on OR-Tools CP-SAT", requires=("ortools",), distribution="ortools"))
register(Method("makespan.lp_round", ("makespan",), "heuristic", "optalloc", run_makespan_lp_round,
                "Lenstra-Shmoys-Tardos LP rounding (at most twice the optimum); its LP threshold is the bound",
                requires=("highspy", "scipy")))
register(Method("makespan.greedy", ("makespan",), "heuristic", "optalloc", run_makespan_greedy,
                "list scheduling by decreasing fastest time; fastest-time bound"))
register(Method("routing.mip", ("routing",), "exact", "highs", run_routing_mip,
                "LLM routing MIP on HiGHS", requires=("highspy",), distribution="highspy",
                linear_model="optalloc.families.matching.models:routing_arrays"))
register(Method("routing.lagrangian", ("routing",), "heuristic", "optalloc", run_routing_lagrangian,
                "budget relaxed by a multiplier: transportation LPs, bisection, greedy upgrades; Lagrangian bound",
                requires=("highspy",)))
register(Method("bmatching.lp", ("bmatching",), "exact", "highs", run_bmatching_lp,
                "the b-matching LP on HiGHS (simplex vertex, checked integral)", requires=("highspy",),
                distribution="highspy", linear_model="optalloc.families.matching.models:bmatching_arrays"))
register(Method("bmatching.greedy", ("bmatching",), "heuristic", "optalloc", run_bmatching_greedy,
                "heaviest edge first; LP bound", requires=("highspy",)))
register(Method("adwords.mip", ("adwords",), "exact", "highs", run_adwords_mip,
                "offline optimum of the capped revenue (MIP on HiGHS)", requires=("highspy",), distribution="highspy",
                linear_model="optalloc.families.matching.models:arrays"))
register(Method("adwords.greedy", ("adwords",), "heuristic", "optalloc", online_run("greedy"),
                "online: highest bid among advertisers with budget left; LP bound", requires=("highspy",)))
register(Method("adwords.msvv", ("adwords",), "heuristic", "optalloc", online_run("msvv"),
                "online MSVV: bid times 1 - e^(f-1) of the spent fraction f; LP bound", requires=("highspy",)))
