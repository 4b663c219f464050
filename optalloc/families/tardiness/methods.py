"""Single-machine tardiness methods.

tardiness.dp                  exact: Lawler decomposition (equal weights); else Lagrangian bound + DP over job sets
tardiness.mip_positional      exact: positional MIP (the seed's model, with Keha et al.'s inequality) on HiGHS
tardiness.mip_time_indexed    exact: time-indexed MIP (path-in-time form) on HiGHS
tardiness.mip_ordering        exact: linear-ordering MIP on HiGHS
tardiness.pyomo               exact: the positional Pyomo model on HiGHS
tardiness.cpsat               exact: CP-SAT, intervals on a NoOverlap machine
tardiness.<rule>              heuristics: edd, spt, wspt, mdd, wmdd, atc, covert, eddc, mddc
tardiness.local_search        heuristic: best dispatching rule, then dynasearch descent (swaps and insertions)
tardiness.iterated_dynasearch heuristic: iterated dynasearch with random-swap kicks (seeded)

Every heuristic reports a lower bound: the Lagrangian time-indexed bound with a work budget that keeps it
cheap, or the closed-form bound (WSPT relaxation, EDD's maximum lateness) when that is higher."""
from __future__ import annotations

from optalloc.families.tardiness.runs import (arrays_of, cp_model_of, mip_run, rule_run, run_cpsat, run_dp,
                                              run_iterated, run_local_search, run_pyomo)
from optalloc.registry import Method, Parameter, register


P_ = ("tardiness",)
register(Method("tardiness.dp", P_, "exact", "optalloc", run_dp,
                "equal weights: Lawler decomposition with memo and elimination rules; otherwise Lagrangian "
                "time-indexed bound, Emmons precedences, DP over job sets, iterated dynasearch incumbent",
                requires=("numba",), parameters=(
                    Parameter("max_states", int, 4_000_000, "DP states over job sets before stopping with "
                              "memory_limit", lo=1),
                    Parameter("lagrangian_iterations", int, 200, "subgradient iterations of the level-1 bound", lo=0),
                    Parameter("max_lr2_cells", int, 20_000_000, "the level-2 bound runs when (horizon + 1) x "
                              "(jobs + 1) fits this", lo=0))))
for _f, _desc in (("positional", "positional-assignment MIP (Keha et al., the seed's model) with the valid inequality"),
                  ("time_indexed", "time-indexed MIP (start-time binaries, no-idle path form); strong LP, n·P columns"),
                  ("ordering", "linear-ordering MIP (precedence binaries with transitivity rows)")):
    register(Method(f"tardiness.mip_{_f}", P_, "exact", "highs", mip_run(_f), _desc + ", vectorised into HiGHS",
                    requires=("highspy",), distribution="highspy", linear_model=arrays_of(_f)))
register(Method("tardiness.pyomo", P_, "exact", "pyomo+highs", run_pyomo,
                "the inspectable Pyomo positional model (optalloc.families.tardiness.models.positional_mip), on HiGHS",
                requires=("pyomo", "highspy"), distribution="pyomo", linear_model=arrays_of("positional")))
register(Method("tardiness.cpsat", P_, "exact", "ortools-cpsat", run_cpsat,
                "OR-Tools CP-SAT: interval variables on one NoOverlap machine", requires=("ortools",),
                distribution="ortools", cp_model=cp_model_of))
_RULE_TEXT = {
    "edd": "earliest due date", "spt": "shortest processing time", "wspt": "weighted SPT (Smith's ratio rule)",
    "mdd": "modified due date (Baker & Bertrand)", "wmdd": "weighted modified due date (Kanet & Li)",
    "atc": "apparent tardiness cost, best look-ahead k of 0.5-4 (or backend option k)",
    "covert": "cost over time, k = 2 (or backend option k)",
    "eddc": "EDD Challenger, the LLM-found rule of Çetinkaya et al. (their code's definition)",
    "mddc": "MDD Challenger, the LLM-found rule of Çetinkaya et al. (their code's definition)"}
_LOOK_AHEAD = {"atc": None, "covert": 2.0}  # the rules with a look-ahead parameter, and its default
for _r, _t in _RULE_TEXT.items():
    register(Method(f"tardiness.{_r}", P_, "heuristic", "optalloc", rule_run(_r), f"dispatching rule: {_t}; "
                    "reports the cheap Lagrangian or closed-form bound", requires=("numba",),
                    parameters=(Parameter("k", float, _LOOK_AHEAD[_r], "the rule's look-ahead parameter (ATC's "
                                          "default: the best of 0.5, 1, 2, 3, 4)", lo=0),) if _r in _LOOK_AHEAD else ()))
register(Method("tardiness.local_search", P_, "heuristic", "optalloc", run_local_search,
                "best of ATC/WMDD/MDD/MDDC, then dynasearch descent (swaps and insertions); cheap bound",
                requires=("numba",)))
register(Method("tardiness.iterated_dynasearch", P_, "heuristic", "optalloc", run_iterated,
                "iterated dynasearch (random-swap kicks, seeded); stops at the Lagrangian bound, the stall "
                "limit or the time limit", requires=("numba",), parameters=(
                    Parameter("max_kicks", int, 5000, "kicks before stopping", lo=0),
                    Parameter("stall", int, None, "kicks without improvement before stopping (default: by size; "
                              "none with a time limit)", lo=1),
                    Parameter("strength", int, None, "random swaps per kick (default: by size)", lo=1),
                    Parameter("swap_window", int, 64, "farthest swap of a kick", lo=1),
                    Parameter("reach", int, None, "dynasearch move reach (default: by size)", lo=1))))
