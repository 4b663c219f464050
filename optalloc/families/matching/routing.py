"""Routing queries to models under a cost budget: the MIP, and the Lagrangian heuristic over the budget row."""
from __future__ import annotations

import numpy as np

from optalloc import interrupt
from optalloc.families.matching.models import solve_mip
from optalloc.options import Deadline, LimitReached, SolveOptions
from optalloc.result import Outcome
from optalloc.status import Status


def _routing_infeasible(d) -> Outcome | None:
    if int(d.capacity.sum()) < d.q:
        return Outcome.infeasible("infeasible",
                       message=f"the models take {int(d.capacity.sum())} queries in all, there are {d.q}")
    return None


def run_routing_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the routing MIP on HiGHS under `options`
    (SolveOptions) and `deadline` (the limit's clock, started with the method) and returns the claim as an
    Outcome, which solve certifies."""
    return solve_mip(instance, options, deadline, _routing_infeasible)


def _transport(instance, lam, deadline: Deadline):
    """The Lagrangian subproblem at lam: an integral transportation LP. Returns (model per query, value), or
    (None, None) when the LP was not solved to optimality (stopped by the limit: its value bounds nothing)."""
    from optalloc.families.matching.models import routing_arrays
    from optalloc.solvers.highs import solve_linear

    try:
        lo = solve_linear(routing_arrays(instance, lam, deadline), SolveOptions(backend_options={"solver": "simplex"}),
                          deadline)
    except LimitReached:
        return None, None
    if lo.x is None or lo.status != Status.OPTIMAL:
        return None, None
    X = lo.x.reshape(instance.data.q, instance.data.k)
    return np.argmax(X, axis=1), float(lo.objective) + lo.tolerance  # an upper bound on the subproblem's max


def run_routing_lagrangian(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """Relax the budget with a multiplier lam >= 0: every lam gives the bound lam B + max (q - lam c) x over
    the transportation polytope. Bisection on lam finds the cheapest multiplier whose routing fits the
    budget; leftover budget then buys the best quality-per-cost upgrades that still fit."""
    d = instance.data
    early = _routing_infeasible(d)
    if early:
        return early
    rows = np.arange(d.q)
    bound = np.inf
    best, best_val = None, -np.inf

    def consider(lam):
        nonlocal bound, best, best_val
        a, val = _transport(instance, lam, deadline)
        if a is None:
            return np.inf  # no subproblem answer at this multiplier: treat it as over the budget
        bound = min(bound, lam * d.budget + val)
        spent = d.cost[rows, a].sum()
        if spent <= d.budget * (1 + 1e-12):
            q = d.quality[rows, a].sum()
            if q > best_val:
                best, best_val = a.copy(), q
        return spent

    if consider(0.0) <= d.budget:
        lo_l = hi_l = 0.0
    else:
        lo_l, hi_l = 0.0, 1.0
        # the subproblem's costs q - lam c must stay within what HiGHS solves exactly (solvers.highs.check_range)
        lam_cap = 1e11 / max(1.0, float(np.abs(d.cost).max()))
        while not deadline.expired() and consider(hi_l) > d.budget and hi_l < lam_cap:
            lo_l, hi_l = hi_l, hi_l * 4
        for _ in range(30):
            if deadline.expired():
                break
            mid = 0.5 * (lo_l + hi_l)
            if consider(mid) > d.budget:
                lo_l = mid
            else:
                hi_l = mid
    if best is None and deadline.expired():
        return Outcome(Status.INTERRUPTED if interrupt.requested() else Status.TIME_LIMIT, None, None,
                       bound if np.isfinite(bound) else None, "limit reached",
                       message="the limit came before a multiplier gave a routing within the budget")
    if best is None:
        return Outcome(Status.COMPLETED, None, None, bound if np.isfinite(bound) else None, "no routing fits",
                       message="no multiplier gave a routing within the budget (the instance may be infeasible)")
    a = best.copy()
    left = d.budget - d.cost[rows, a].sum()
    use = np.bincount(a, minlength=d.k)
    improved = True
    while improved:  # best quality gain per extra cost among moves that fit budget and capacity
        improved = False
        gain = d.quality - d.quality[rows, a][:, None]
        extra = d.cost - d.cost[rows, a][:, None]
        ok = (gain > 1e-12) & (extra <= left + 1e-12) & (use < d.capacity)[None, :]
        if ok.any():
            score = np.where(ok, gain / np.maximum(extra, 1e-12), -np.inf)
            i, k = np.unravel_index(np.argmax(score), score.shape)
            use[a[i]] -= 1
            use[k] += 1
            left -= extra[i, k]
            a[i] = k
            improved = True
    return Outcome(Status.COMPLETED, {"model": a.tolist()}, None, float(bound), "completed",
                   extra={"multiplier": hi_l})
