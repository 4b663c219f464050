"""Bit-allocation methods. Every result carries, in `extra`, the continuous bound, the gap to it and the
achieved average bits (overhead included) with the budget error.

bitalloc.greedy     exact: Lagrangian threshold + Fox greedy + exact core (model mode, integer bits)
bitalloc.mckp       exact: reduction to the multiple-choice knapsack, solved by knapsack's exact DP
bitalloc.mip        exact: the MIP on HiGHS (every mode, the level grid included)
bitalloc.uniform / bitalloc.round_clip / bitalloc.ranking   heuristics (round_clip may miss the budget)"""
from __future__ import annotations

from optalloc.families.bitalloc.runs import heuristic_run, linear_arrays, run_greedy, run_mckp, run_mip
from optalloc.registry import Method, register


P = ("bitalloc",)
# every method reports the continuous bound (a numba kernel): "numba" in requires loads its cached code before
# the limit starts (measured: bitalloc.mip 0.9 s over a 1 s limit on its first run in a process)
register(Method("bitalloc.greedy", P, "exact", "optalloc", run_greedy,
                "Lagrangian threshold + Fox greedy + exact core; model mode, integer bits",
                requires=("numba",), excludes=("tables", "levels")))
register(Method("bitalloc.mckp", P, "exact", "optalloc", run_mckp,
                "exact reduction to the multiple-choice knapsack (knapsack.dp's solver); tables and ties",
                requires=("numba",), excludes=("levels",)))
register(Method("bitalloc.mip", P, "exact", "highs", run_mip, "the MIP on HiGHS (optalloc.families.bitalloc.models)",
                requires=("highspy", "numba"), distribution="highspy", linear_model=linear_arrays))
register(Method("bitalloc.uniform", P, "heuristic", "optalloc", heuristic_run("uniform"),
                "the same bits for every group, as many as the budget allows", requires=("numba",)))
register(Method("bitalloc.round_clip", P, "heuristic", "optalloc", heuristic_run("round_clip"),
                "BAQ's closed form rounded and clipped, no repair (may miss the budget)",
                excludes=("tables",), may_return_infeasible=True, requires=("numba",)))
register(Method("bitalloc.ranking", P, "heuristic", "optalloc", heuristic_run("ranking"),
                "sensitivity ranking: raise the most sensitive groups first while the budget allows",
                requires=("numba",)))
