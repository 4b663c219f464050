"""The run functions of the knapsack family's methods: an instance and options in, a claim (Outcome) out,
with the glue between the family's algorithms and the backends."""
from __future__ import annotations

from functools import partial

import numpy as np

from optalloc.errors import UnsupportedProblemError
from optalloc.options import Deadline, LimitReached, SolveOptions
from optalloc.result import Outcome
from optalloc.status import Status


def _limit(deadline: Deadline) -> float | None:
    return None if deadline.limit is None else deadline.remaining()


# ------------------------------------------------------------------ dedicated DP
# knapsack.dp's run functions, one per problem kind (knapsack.methods declares the table): each solves `instance`
# under `options` (SolveOptions) and `deadline` (the limit's clock, started with the method) and returns the claim
# as an Outcome, which solve certifies.
def _dp_arguments(options: SolveOptions, deadline: Deadline) -> dict:
    kw = {"time_limit": _limit(deadline), "rel_gap": options.rel_gap, "abs_gap": options.abs_gap}
    kw.update(options.backend_options)
    return kw


def run_dp_01(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """0-1 knapsack: the primal-dual core DP (solve_01)."""
    from optalloc.families.knapsack.knapsack01 import solve_01

    d = instance.data
    r = solve_01(d.values, d.weights, d.capacity, **_dp_arguments(options, deadline))
    return Outcome.from_stop(r.stopped, {"items": np.flatnonzero(r.x).tolist()}, r.value, r.bound, r.stopped,
                             extra={k: v for k, v in r.stats.items() if k != "seconds"})


def run_dp_bounded(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """Bounded knapsack: binary splitting into a 0-1 knapsack, solved by the core DP."""
    from optalloc.families.knapsack.knapsack01 import solve_01
    from optalloc.families.knapsack.reductions import bounded_to_01

    d = instance.data
    v, w, item_of, copies = bounded_to_01(d)
    r = solve_01(v, w, d.capacity, **_dp_arguments(options, deadline))
    counts = np.bincount(item_of[r.x], weights=copies[r.x], minlength=d.n).astype(np.int64)
    return Outcome.from_stop(r.stopped, {"counts": counts.tolist()}, r.value, r.bound, r.stopped,
                             extra={"binary_items": int(len(v))})


# the 0-1 solver's parameters that the multiple-choice DP has no use for (no Lagrangian phase or probe slice)
_01_ONLY = ("phase2_work", "probe_ops", "beam_width", "weight_work")


def run_dp_mckp(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """Multiple-choice knapsack: tied classes merged, then the LP-reduced core DP of the MCKP engine."""
    from optalloc.engines.mckp import solve_mckp
    from optalloc.engines.mckp_model import expand_ties, merge_ties

    d = instance.data
    kw = {k: v for k, v in _dp_arguments(options, deadline).items() if k not in _01_ONLY}
    merged, members = merge_ties(d)
    r = solve_mckp(merged.values, merged.weights, merged.starts, merged.capacity, **kw)
    if r.choice is None:
        return Outcome.infeasible("infeasible",
                                  message="the lightest option of every class already exceeds the capacity")
    choice = expand_ties(r.choice, members, d.k)
    return Outcome.from_stop(r.stopped, {"choice": choice}, r.value, r.bound, r.stopped,
                             extra={k: v for k, v in r.stats.items() if k != "seconds"})


# ------------------------------------------------------------------ MIP through HiGHS
def _linear_outcome(instance, lo, decode) -> Outcome:
    sol = decode(instance, lo.x) if lo.x is not None else None
    if lo.status == Status.INFEASIBLE:
        sol = None
    return Outcome.from_backend(lo, sol, lo.objective, lo.bound, extra=lo.extra)


def run_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the MIP on HiGHS under `options` (SolveOptions)
    and `deadline` (the limit's clock, started with the method) and returns the claim as an Outcome, which solve
    certifies."""
    from optalloc.families.knapsack.models import arrays, decode
    from optalloc.solvers.highs import solve_linear

    return _linear_outcome(instance, solve_linear(arrays(instance, deadline), options, deadline), decode)


def run_pyomo(instance, options: SolveOptions, deadline: Deadline, model=None) -> Outcome:
    """Build (or take) the Pyomo model, hand its arrays to HiGHS, and load the solution back into it."""
    from optalloc.families.knapsack.models import decode, mip
    from optalloc.models.linear import solve_pyomo

    model = mip(instance) if model is None else model
    return _linear_outcome(instance, solve_pyomo(model, options, deadline), decode)


# ------------------------------------------------------------------ CP-SAT
def run_cpsat(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with CP-SAT under `options` (SolveOptions) and
    `deadline` (the limit's clock, started with the method) and returns the claim as an Outcome, which solve
    certifies."""
    from optalloc.families.knapsack.models import cpsat
    from optalloc.solvers.cpsat import solve_cp

    model, x, scale = cpsat(instance)
    co = solve_cp(model, options, deadline, scale=scale)
    sol = None
    if co.has_solution:
        vals = np.array([co.solver.Value(v) for v in x], dtype=np.int64)
        from optalloc.families.knapsack.models import decode

        sol = decode(instance, vals)
    return Outcome.from_backend(co, sol, co.objective, co.bound, extra=co.extra)


# ------------------------------------------------------------------ heuristics
# greedy (lp_round False) and LP rounding (True), one run function per problem kind: each returns its answer
# and the LP bound
def _heuristic_01(instance, options: SolveOptions, deadline: Deadline, lp_round: bool) -> Outcome:
    from optalloc.families.knapsack.heuristics import greedy_01, lp_round_01

    d = instance.data
    x, bound = (lp_round_01 if lp_round else greedy_01)(d.values, d.weights, d.capacity)
    return Outcome(Status.COMPLETED, {"items": np.flatnonzero(x).tolist()}, None, bound, "completed")


def _heuristic_bounded(instance, options: SolveOptions, deadline: Deadline, lp_round: bool) -> Outcome:
    from optalloc.families.knapsack.heuristics import greedy_bounded

    d = instance.data
    x, bound = greedy_bounded(d.values, d.weights, d.bounds, d.capacity, lp_round=lp_round)
    return Outcome(Status.COMPLETED, {"counts": x.tolist()}, None, bound, "completed")


def _heuristic_mckp(instance, options: SolveOptions, deadline: Deadline, lp_round: bool) -> Outcome:
    from optalloc.engines.mckp_model import expand_ties, merge_ties
    from optalloc.families.knapsack.heuristics import greedy_mckp

    d = instance.data
    merged, members = merge_ties(d)
    choice, bound, proven, lam = greedy_mckp(merged.values, merged.weights, merged.starts, merged.capacity,
                                             lp_round=lp_round)
    if choice is None:
        return Outcome.infeasible("infeasible", message="the lightest option of every class already exceeds the "
                                                        "capacity")
    solution = {"choice": expand_ties(choice, members, d.k)}
    if proven is not None:
        # the LP optimum is whole, so it is the integer optimum and this choice: the bound is the choice's own
        # value (a proof by structure; the LP's float value would differ by its rounding only)
        value = instance.spec.evaluate(d, solution).objective
        return Outcome(Status.OPTIMAL, solution, value, value, "optimal (the LP optimum is integral)",
                       tolerance=proven, extra={"lp_multiplier": lam})
    return Outcome(Status.COMPLETED, solution, None, bound, "completed", extra={"lp_multiplier": lam})


def _heuristic_mkp(instance, options: SolveOptions, deadline: Deadline, lp_round: bool) -> Outcome:
    """The LP bound comes from HiGHS on the relaxation, within the time left (none if it runs out)."""
    from optalloc.families.knapsack.heuristics import greedy_mkp
    from optalloc.families.knapsack.models import mkp_arrays
    from optalloc.solvers.highs import solve_linear

    d = instance.data
    try:
        lo = solve_linear(mkp_arrays(instance, deadline).relaxed(), SolveOptions(threads=options.threads), deadline)
        bound = lo.objective + lo.tolerance if lo.status == Status.OPTIMAL else None
    except (UnsupportedProblemError, LimitReached):  # past HiGHS's range, or no time: no bound
        lo, bound = None, None
    order = None
    if lp_round and lo is not None and lo.x is not None:
        order = np.lexsort((-d.values, -np.round(lo.x, 9)))  # LP value first, then item value
    x = greedy_mkp(d.values, d.weights, d.capacities, order=order)
    return Outcome(Status.COMPLETED, {"items": np.flatnonzero(x).tolist()}, None, bound, "completed")


def heuristic_runs(lp_round: bool) -> dict:
    """The run table of the greedy heuristic, or with `lp_round` of LP rounding (registry.Method.run)."""
    return {problem: partial(run, lp_round=lp_round) for problem, run in (
        ("knapsack", _heuristic_01), ("bounded_knapsack", _heuristic_bounded), ("mckp", _heuristic_mckp),
        ("mkp", _heuristic_mkp))}


def mip_arrays(instance):
    """The MIP of `instance` as a LinearModel (what optalloc export writes)."""
    from optalloc.families.knapsack.models import arrays

    return arrays(instance)


def lp_arrays(instance):
    """The LP relaxation of `instance` as a LinearModel."""
    return mip_arrays(instance).relaxed()
