"""Linear assignment: scipy's shortest augmenting path, and the LP on HiGHS whose vertex must be integral."""
from __future__ import annotations

import numpy as np

from optalloc.options import Deadline, SolveOptions
from optalloc.result import Outcome
from optalloc.status import Status


def _assignment_infeasible(d) -> Outcome | None:
    """A row (or column, on the side that must be matched completely) without any allowed pair."""
    if d.complete:
        return None
    m, n = d.shape
    finite = d.allowed
    counts = finite.sum(axis=1) if m <= n else finite.sum(axis=0)
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        side = "row" if m <= n else "column"
        return Outcome.infeasible("infeasible",
                       message=f"{side} {int(empty[0])} has no allowed pair")
    return None


def run_lapjv(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with scipy's linear_sum_assignment (exact) under
    `options` (SolveOptions) and `deadline` (the limit's clock, started with the method) and returns the claim
    as an Outcome, which solve certifies."""
    from scipy.optimize import linear_sum_assignment

    d = instance.data
    early = _assignment_infeasible(d)
    if early:
        return early
    C = d.costs
    finite = d.allowed
    m, n = C.shape
    maximize = d.sense == "max"
    if not d.complete and finite.mean() < 0.2 and min(m, n) >= 1000:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import min_weight_full_bipartite_matching

        i, j = np.nonzero(finite)
        w = C[i, j]
        w = (w.max() - w + 1.0) if maximize else (w - w.min() + 1.0)  # same optimum: every matching has min(m,n) pairs
        try:
            rows, cols = min_weight_full_bipartite_matching(csr_matrix((w, (i, j)), shape=(m, n)))
        except ValueError:
            return Outcome.infeasible("no full matching",
                           message="the allowed pairs admit no complete assignment")
    elif d.complete:  # no forbidden pair: scipy gets the matrix itself, without a copy
        rows, cols = linear_sum_assignment(C, maximize=maximize)
    else:
        big = (np.abs(C[finite]).max() + 1.0) * (min(m, n) + 1) if finite.any() else 1.0
        W = np.where(finite, C, -big if maximize else big)
        rows, cols = linear_sum_assignment(W, maximize=maximize)
        if not finite[rows, cols].all():
            return Outcome.infeasible("forbidden pair needed",
                           message="the allowed pairs admit no complete assignment")
    a = np.full(m, -1, dtype=np.int64)
    a[rows] = cols
    obj = float(C[rows, cols].sum())
    return Outcome(Status.OPTIMAL, {"assignment": a.tolist()}, obj, obj, "optimal")


def run_assignment_lp(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the assignment LP on HiGHS (integral at its
    vertices) under `options` (SolveOptions) and `deadline` (the limit's clock, started with the method) and
    returns the claim as an Outcome, which solve certifies."""
    from optalloc.families.matching.models import assignment_arrays, assignment_decode
    from optalloc.solvers.highs import solve_linear

    early = _assignment_infeasible(instance.data)
    if early:
        return early
    lo = solve_linear(assignment_arrays(instance, deadline), options, deadline)
    if lo.status == Status.INFEASIBLE or lo.x is None:
        return Outcome.from_backend(lo, None, None, None,
                       message="the allowed pairs admit no complete assignment" if lo.status == Status.INFEASIBLE else "")
    frac = np.abs(lo.x - np.round(lo.x)).max()
    if frac > 1e-6:  # a vertex of this polytope is integral; anything else is a solver problem
        return Outcome(Status.NUMERICAL_ERROR, None, None, lo.bound, lo.raw_status,
                       message=f"LP solution is fractional (max distance to 0/1: {frac:.2e})")
    return Outcome.from_backend(lo, assignment_decode(instance, lo.x), lo.objective, lo.bound)
