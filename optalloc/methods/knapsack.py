"""Knapsack methods: knapsack.dp (dedicated exact DP), knapsack.mip (vectorised MIP on HiGHS),
knapsack.pyomo (the Pyomo model on HiGHS), knapsack.cpsat, knapsack.greedy and knapsack.lp_round."""
from __future__ import annotations

import numpy as np

from ..options import Deadline, LimitReached, SolveOptions
from ..registry import Method, register
from ..result import Outcome
from ..status import Status

ALL = ("knapsack", "bounded_knapsack", "mckp", "mkp")
_STOPPED = {"optimal": Status.OPTIMAL, "time_limit": Status.TIME_LIMIT, "memory_limit": Status.MEMORY_LIMIT,
            "gap_limit": Status.GAP_LIMIT, "infeasible": Status.INFEASIBLE, "interrupted": Status.INTERRUPTED}


def _limit(deadline: Deadline) -> float | None:
    return None if deadline.limit is None else deadline.remaining()


# ------------------------------------------------------------------ dedicated DP
def run_dp(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..exact.knapsack01 import solve_01
    from ..exact.mckp import solve_mckp
    from ..models.reductions import bounded_to_01, expand_ties, merge_ties

    d = instance.data
    kw = {"time_limit": _limit(deadline), "rel_gap": options.rel_gap, "abs_gap": options.abs_gap}
    kw.update(options.backend_options)
    if instance.problem == "mckp":  # the multiple-choice DP has no Lagrangian phase or probe slice
        kw = {k: v for k, v in kw.items() if k not in ("phase2_work", "probe_ops")}
    if instance.problem == "knapsack":
        r = solve_01(d.values, d.weights, d.capacity, **kw)
        return Outcome(_STOPPED[r.stopped], {"items": np.flatnonzero(r.x).tolist()}, r.value, r.bound, r.stopped,
                       extra={k: v for k, v in r.stats.items() if k != "seconds"})
    if instance.problem == "bounded_knapsack":
        v, w, item_of, copies = bounded_to_01(d)
        r = solve_01(v, w, d.capacity, **kw)
        counts = np.bincount(item_of[r.x], weights=copies[r.x], minlength=d.n).astype(np.int64)
        return Outcome(_STOPPED[r.stopped], {"counts": counts.tolist()}, r.value, r.bound, r.stopped,
                       extra={"binary_items": int(len(v))})
    merged, members = merge_ties(d)
    r = solve_mckp(merged.values, merged.weights, merged.starts, merged.capacity, **kw)
    if r.choice is None:
        return Outcome(Status.INFEASIBLE, None, None, None, "infeasible",
                       message="the lightest option of every class already exceeds the capacity")
    choice = expand_ties(r.choice, members, d.k)
    return Outcome(_STOPPED[r.stopped], {"choice": choice}, r.value, r.bound, r.stopped,
                   extra={k: v for k, v in r.stats.items() if k != "seconds"})


# ------------------------------------------------------------------ MIP through HiGHS
def _linear_outcome(instance, lo, decode) -> Outcome:
    sol = decode(instance, lo.x) if lo.x is not None else None
    if lo.status == Status.INFEASIBLE:
        sol = None
    return Outcome.from_backend(lo, sol, lo.objective, lo.bound, extra=lo.extra)


def run_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..models.knapsack import arrays, decode
    from ..solvers.highs import solve_linear

    return _linear_outcome(instance, solve_linear(arrays(instance, deadline), options, deadline), decode)


def run_pyomo(instance, options: SolveOptions, deadline: Deadline, model=None) -> Outcome:
    """Build (or take) the Pyomo model, hand its arrays to HiGHS, and load the solution back into it."""
    from ..models.knapsack import decode, mip
    from ..solvers.highs import solve_pyomo

    model = mip(instance) if model is None else model
    return _linear_outcome(instance, solve_pyomo(model, options, deadline), decode)


# ------------------------------------------------------------------ CP-SAT
def run_cpsat(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..models.knapsack import cpsat
    from ..solvers.cpsat import solve_cp

    model, x, scale = cpsat(instance)
    co = solve_cp(model, options, deadline, scale=scale)
    sol = None
    if co.has_solution:
        vals = np.array([co.solver.Value(v) for v in x], dtype=np.int64)
        from ..models.knapsack import decode

        sol = decode(instance, vals)
    return Outcome.from_backend(co, sol, co.objective, co.bound, extra=co.extra)


# ------------------------------------------------------------------ heuristics
def _heuristic(lp_round: bool):
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        from ..heuristics.knapsack import greedy_01, greedy_bounded, greedy_mckp, greedy_mkp, lp_round_01
        from ..models.reductions import expand_ties, merge_ties

        d = instance.data
        p = instance.problem
        if p == "knapsack":
            x, bound = (lp_round_01 if lp_round else greedy_01)(d.values, d.weights, d.capacity)
            return Outcome(Status.COMPLETED, {"items": np.flatnonzero(x).tolist()}, None, bound, "completed")
        if p == "bounded_knapsack":
            x, bound = greedy_bounded(d.values, d.weights, d.bounds, d.capacity, lp_round=lp_round)
            return Outcome(Status.COMPLETED, {"counts": x.tolist()}, None, bound, "completed")
        if p == "mckp":
            merged, members = merge_ties(d)
            choice, bound = greedy_mckp(merged.values, merged.weights, merged.starts, merged.capacity,
                                        lp_round=lp_round)
            if choice is None:
                return Outcome(Status.INFEASIBLE, None, None, None, "infeasible",
                               message="the lightest option of every class already exceeds the capacity")
            return Outcome(Status.COMPLETED, {"choice": expand_ties(choice, members, d.k)}, None, bound, "completed")
        # mkp: the LP bound comes from HiGHS on the relaxation, within the time left (none if it runs out)
        from ..models.knapsack import arrays
        from ..solvers.highs import solve_linear

        from ..errors import UnsupportedProblemError

        try:
            lo = solve_linear(arrays(instance, deadline).relaxed(), SolveOptions(threads=options.threads), deadline)
            bound = lo.objective + lo.tolerance if lo.status == Status.OPTIMAL else None
        except (UnsupportedProblemError, LimitReached):  # past HiGHS's range, or no time: no bound
            lo, bound = None, None
        order = None
        if lp_round and lo is not None and lo.x is not None:
            order = np.lexsort((-d.values, -np.round(lo.x, 9)))  # LP value first, then item value
        x = greedy_mkp(d.values, d.weights, d.capacities, order=order)
        return Outcome(Status.COMPLETED, {"items": np.flatnonzero(x).tolist()}, None, bound, "completed")

    return run


def _mip_arrays(instance):
    from ..models.knapsack import arrays

    return arrays(instance)


def _lp_arrays(instance):
    return _mip_arrays(instance).relaxed()


register(Method("knapsack.dp", ("knapsack", "bounded_knapsack", "mckp"), "exact", "optalloc", run_dp,
                "primal-dual core DP (0-1; bounded by binary splitting); LP-reduced core DP for multiple-choice",
                requires=("numba",), parameters={
                    "max_states": (int, "states kept at once before stopping with memory_limit (20,000,000)"),
                    "max_nodes": (int, "solution-log nodes before stopping with memory_limit (200,000,000)"),
                    "slice_ops": (int, "state operations between time-limit and Ctrl-C checks"),
                    "phase2_work": (int, "0-1: work budget of the Lagrangian-order phase"),
                    "probe_ops": (int, "0-1: the first slice, after which the cardinality bound is computed")}))
register(Method("knapsack.mip", ALL, "exact", "highs", run_mip,
                "MIP built vectorised (numpy/scipy.sparse) straight into HiGHS", requires=("highspy",),
                distribution="highspy", extra={"linear_model": _mip_arrays}))
register(Method("knapsack.pyomo", ALL, "exact", "pyomo+highs", run_pyomo,
                "the inspectable Pyomo model (optalloc.models.knapsack.mip), solved by HiGHS",
                requires=("pyomo", "highspy"), distribution="pyomo", extra={"linear_model": _mip_arrays}))
register(Method("knapsack.cpsat", ALL, "exact", "ortools-cpsat", run_cpsat, "OR-Tools CP-SAT",
                requires=("ortools",), distribution="ortools"))
register(Method("knapsack.greedy", ALL, "heuristic", "optalloc", _heuristic(False),
                "greedy by value/weight (MCKP: along the class hulls); reports the LP bound",
                requires=("numba",)))
register(Method("knapsack.lp_round", ALL, "heuristic", "optalloc", _heuristic(True),
                "LP optimum rounded down, then repaired/filled; reports the LP bound", requires=("numba",),
                extra={"linear_model": _lp_arrays}))
