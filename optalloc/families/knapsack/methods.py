"""Knapsack methods: knapsack.dp (dedicated exact DP), knapsack.mip (vectorised MIP on HiGHS),
knapsack.pyomo (the Pyomo model on HiGHS), knapsack.cpsat, knapsack.greedy and knapsack.lp_round."""
from __future__ import annotations

from optalloc.families.knapsack.runs import (heuristic_runs, lp_arrays, mip_arrays, run_cpsat, run_dp_01, run_dp_bounded,
                                             run_dp_mckp, run_mip, run_pyomo)
from optalloc.registry import Method, Parameter, register


ALL = ("knapsack", "bounded_knapsack", "mckp", "mkp")
register(Method("knapsack.dp", ("knapsack", "bounded_knapsack", "mckp"), "exact", "optalloc",
                {"knapsack": run_dp_01, "bounded_knapsack": run_dp_bounded, "mckp": run_dp_mckp},
                "primal-dual core DP (0-1; bounded by binary splitting); LP-reduced core DP for multiple-choice",
                requires=("numba",), parameters=(
                    Parameter("max_states", int, 20_000_000, "states kept at once before stopping with memory_limit", lo=1),
                    Parameter("max_nodes", int, 200_000_000, "solution-log nodes before stopping with memory_limit", lo=1),
                    Parameter("slice_ops", int, None, "state operations between time-limit and Ctrl-C checks "
                              "(3,000,000 for 0-1, 2,000,000 for MCKP)", lo=1),
                    Parameter("phase2_work", int, 6_000_000, "0-1: work budget of the Lagrangian-order phase", lo=0),
                    Parameter("probe_ops", int, 100_000, "0-1: the first slice, after which the incumbent search, "
                              "the heaviest-first search and the cardinality bound run", lo=1),
                    Parameter("beam_width", int, 4096, "0-1: states kept by the incumbent search (0: skip it)", lo=0),
                    Parameter("weight_work", int, 1_500_000_000, "0-1: operations of the heaviest-first search, "
                              "which takes turns with the core search (0: skip it)", lo=0))))
register(Method("knapsack.mip", ALL, "exact", "highs", run_mip,
                "MIP built vectorised (numpy/scipy.sparse) straight into HiGHS", requires=("highspy",),
                distribution="highspy", linear_model=mip_arrays))
register(Method("knapsack.pyomo", ALL, "exact", "pyomo+highs", run_pyomo,
                "the inspectable Pyomo model (optalloc.families.knapsack.models.mip), solved by HiGHS",
                requires=("pyomo", "highspy"), distribution="pyomo", linear_model=mip_arrays))
register(Method("knapsack.cpsat", ALL, "exact", "ortools-cpsat", run_cpsat, "OR-Tools CP-SAT",
                requires=("ortools",), distribution="ortools"))
register(Method("knapsack.greedy", ALL, "heuristic", "optalloc", heuristic_runs(False),
                "greedy by value/weight (MCKP: along the class hulls); reports the LP bound",
                requires=("numba",)))
register(Method("knapsack.lp_round", ALL, "heuristic", "optalloc", heuristic_runs(True),
                "LP optimum rounded down, then repaired/filled; reports the LP bound", requires=("numba",),
                linear_model=lp_arrays))
