"""Bipartite b-matching: the LP (integral vertices), and the greedy heuristic with its bound."""
from __future__ import annotations

import numpy as np

from optalloc.families.matching.models import bmatching_arrays, bmatching_decode
from optalloc.options import Deadline, LimitReached, SolveOptions
from optalloc.result import Outcome
from optalloc.solvers.highs import lp_bound
from optalloc.status import Status


def _bmatching_lp(instance, options, deadline):
    from optalloc.solvers.highs import solve_linear

    opts = SolveOptions.from_dict(options.to_dict())
    opts.backend_options = {"solver": "simplex", **options.backend_options}  # a vertex, hence integral
    return solve_linear(bmatching_arrays(instance, deadline), opts, deadline)


def run_bmatching_lp(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the b-matching LP on HiGHS under `options`
    (SolveOptions) and `deadline` (the limit's clock, started with the method) and returns the claim as an
    Outcome, which solve certifies."""
    lo = _bmatching_lp(instance, options, deadline)
    if lo.x is None:
        return Outcome.from_backend(lo, None, None, None)
    frac = float(np.abs(lo.x - np.round(lo.x)).max()) if len(lo.x) else 0.0
    if frac > 1e-6:
        return Outcome(Status.NUMERICAL_ERROR, None, None, lo.bound, lo.raw_status,
                       message=f"LP vertex is fractional (max distance to 0/1: {frac:.2e})")
    # the LP value bounds the optimum only when the LP was solved; a point stopped by a limit proves nothing
    return Outcome.from_backend(lo, bmatching_decode(instance, lo.x), lo.objective, lo.bound)


def run_bmatching_greedy(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """Heaviest positive edges first, each if both ends still have capacity (at least half the optimum when
    every capacity is 1); the LP optimum is the bound."""
    d = instance.data
    i, j = np.nonzero(np.isfinite(d.weights) & (np.nan_to_num(d.weights) > 0))
    order = np.argsort(-d.weights[i, j], kind="stable")
    rl, cl = d.row_capacity.copy(), d.col_capacity.copy()
    edges = []
    for k in order:
        a, b = i[k], j[k]
        if rl[a] > 0 and cl[b] > 0:
            rl[a] -= 1
            cl[b] -= 1
            edges.append([int(a), int(b)])
    return Outcome(Status.COMPLETED, {"edges": edges}, None, _bmatching_bound(instance, deadline), "completed")


def _bmatching_bound(instance, deadline: Deadline) -> float:
    """An upper bound on the matched weight. Cheap first: each row keeps at most its capacity's heaviest
    positive edges (and so does each column; the smaller total counts). Then, if the time left allows, the
    LP optimum, the tighter of the two."""
    from optalloc.numeric import sum_error_bound

    d = instance.data
    W = np.where(np.isfinite(d.weights), np.maximum(np.nan_to_num(d.weights), 0.0), 0.0)

    def side(M, caps):
        if M.size == 0:
            return 0.0
        top = -np.sort(-M, axis=1)  # each row's weights, heaviest first
        take = np.arange(M.shape[1])[None, :] < np.minimum(caps, M.shape[1])[:, None]
        total = float(np.where(take, top, 0.0).sum())
        return total + sum_error_bound(M.size, total)

    bound = min(side(W, d.row_capacity), side(W.T, d.col_capacity))
    try:
        lp = lp_bound(_bmatching_lp(instance, SolveOptions(), deadline), "max")
    except LimitReached:
        lp = None
    return bound if lp is None else min(bound, lp)
