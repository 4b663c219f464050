"""The generalized assignment problem (GAP): the MIP and CP-SAT runs, and the heuristics (regret greedy, LP
rounding, price-and-dive then large-neighbourhood search), each with the better of the LP bound and the
Lagrangian (knapsack) bound; the latter needs integer weights and capacities."""
from __future__ import annotations

import numpy as np

from optalloc.families.matching.models import solve_mip
from optalloc.options import Deadline, LimitReached, SolveOptions
from optalloc.result import Outcome
from optalloc.solvers.highs import LinearOutcome, lp_bound
from optalloc.status import Status


def _no_agent_fits(d) -> int | None:
    fits = (d.weights <= d.capacities[:, None] + 1e-9).any(axis=0)
    bad = np.flatnonzero(~fits)
    return int(bad[0]) if len(bad) else None


def _gap_infeasible(d) -> Outcome | None:
    j = _no_agent_fits(d)
    if j is not None:
        return Outcome.infeasible("infeasible",
                       message=f"job {j} fits no agent (its weight exceeds every capacity)")
    return None


def run_gap_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the GAP MIP on HiGHS under `options`
    (SolveOptions) and `deadline` (the limit's clock, started with the method) and returns the claim as an
    Outcome, which solve certifies."""
    return solve_mip(instance, options, deadline, _gap_infeasible)


def run_gap_cpsat(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with CP-SAT under `options` (SolveOptions) and
    `deadline` (the limit's clock, started with the method) and returns the claim as an Outcome, which solve
    certifies."""
    from optalloc.families.matching.models import gap_cpsat
    from optalloc.solvers.cpsat import solve_cp

    early = _gap_infeasible(instance.data)
    if early:
        return early
    model, x, scale = gap_cpsat(instance)
    co = solve_cp(model, options, deadline, scale=scale)
    sol = None
    if co.has_solution:
        d = instance.data
        sol = {"agent": [next(i for i in range(d.m) if co.solver.Value(x[i][j])) for j in range(d.n)]}
    return Outcome.from_backend(co, sol, co.objective, co.bound, extra=co.extra)


def _lp(instance, deadline: Deadline):
    """The LP relaxation, within the time left (stopped by the limit it is neither a bound nor a start)."""
    from optalloc.families.matching.models import gap_arrays
    from optalloc.solvers.highs import solve_linear

    try:
        return solve_linear(gap_arrays(instance, deadline).relaxed(), SolveOptions(), deadline)
    except LimitReached as e:  # a heuristic goes on without it
        return LinearOutcome(Status.TIME_LIMIT, None, None, None, "limit reached", {"message": str(e)})


def _gap_bounds(instance, ub: float, deadline: Deadline, u0=None, work: float = 2e9, lo=None):
    """(bound in the instance's sense, multipliers or None, LP outcome): the better of the LP and the
    Lagrangian bound, whose ascent gets about `work` knapsack cell updates (at most 1000 iterations).
    `ub` is an incumbent's value in the instance's sense; `u0` multipliers to start from; `lo` the LP
    outcome when it is already solved."""
    from optalloc.families.matching.gap_bound import affordable, lagrangian_bound

    d = instance.data
    lo = _lp(instance, deadline) if lo is None else lo
    if lo.status == Status.INFEASIBLE:
        return None, None, lo
    bound = lp_bound(lo, d.sense)
    if not affordable(d.weights, d.capacities):
        return bound, None, lo  # fractional weights, or capacity tables too large to allocate: the LP bound
    sign = 1.0 if d.sense == "min" else -1.0  # the bound works on costs to minimise
    from optalloc.families.matching.gap_bound import table_cells

    cells = table_cells(d.weights, d.capacities)
    iterations = int(min(1000, max(30, work / max(cells, 1.0))))
    lb, u = lagrangian_bound(sign * d.costs, d.weights, d.capacities, sign * ub, iterations=iterations,
                             deadline=deadline, u0=u0)
    if np.allclose(d.costs, np.rint(d.costs)):
        lb = float(np.ceil(lb - 1e-6))  # integer costs: every assignment's cost is an integer
    lb = sign * lb
    if bound is None or sign * lb > sign * bound:
        bound = lb
    return bound, u, lo


def _costs(d):
    return np.ascontiguousarray(d.costs if d.sense == "min" else -d.costs, dtype=np.float64)


def gap_heuristic_run(use_lp: bool):
    """The run function of the GAP heuristic (regret greedy and local search, started from the rounded LP when
    `use_lp`), with the LP or Lagrangian bound."""
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        from optalloc.families.matching.heuristics import gap_heuristic

        d = instance.data
        early = _gap_infeasible(d)
        if early:
            return early
        lo = _lp(instance, deadline)
        if lo.status == Status.INFEASIBLE:
            return Outcome.infeasible("LP infeasible",
                           message="even the LP relaxation is infeasible")
        start = None
        if use_lp and lo.x is not None:
            start = _round_lp(d, lo.x.reshape(d.m, d.n))
        agent = gap_heuristic(d, start)
        if agent is None:
            return Outcome(Status.COMPLETED, None, None, lp_bound(lo, d.sense), "no feasible assignment found",
                           message="the heuristic found no feasible assignment (the instance may still have one)")
        value = float(d.costs[agent, np.arange(d.n)].sum())
        bound, _, _ = _gap_bounds(instance, value, deadline, lo=lo)
        return Outcome(Status.COMPLETED, {"agent": agent.tolist()}, None, bound, "completed")

    return run


def run_gap_lns(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """Regret start; the Lagrangian bound and its multipliers; price-and-dive over the set-partitioning
    master (heuristics.gap_dive, 70 % of the time left, integer weights only), whose root can raise the
    bound; then large-neighbourhood search whose sub-MIPs see only pairs well ranked by the Lagrangian
    penalties (heuristics.gap_lns), preceded by HiGHS on the cores of the 2 and 4 best agents per job when
    no dive ran. backend_options: dive_share, cores, and gap_lns's sub_limit, steps, width, patience."""
    from optalloc.families.matching.gap_bound import forced_bounds
    from optalloc.families.matching.gap_lns import gap_lns, rank_agents
    from optalloc.families.matching.heuristics import gap_heuristic

    d = instance.data
    early = _gap_infeasible(d)
    if early:
        return early
    agent = gap_heuristic(d)
    if agent is None:  # the greedy starts failed: let HiGHS find a first assignment
        first = solve_mip(instance, SolveOptions(backend_options={"mip_max_improving_sols": 1}),
                          Deadline(None if deadline.limit is None else 0.3 * deadline.remaining()), _gap_infeasible)
        if first.solution is None:
            return Outcome(first.status if first.status == Status.INFEASIBLE else Status.COMPLETED, None, None,
                           first.bound, first.raw_status, message="no feasible assignment found")
        agent = np.asarray(first.solution["agent"], dtype=np.int64)
    f = _costs(d)
    value = float(d.costs[agent, np.arange(d.n)].sum())
    share = Deadline(None if deadline.limit is None else 0.1 * deadline.remaining())
    bound, u, lo = _gap_bounds(instance, value, share)
    sign = 1.0 if d.sense == "min" else -1.0
    kw = dict(options.backend_options)
    dive_share = float(kw.pop("dive_share", 0.7))
    integer = np.allclose(f, np.rint(f))
    target = -np.inf if bound is None else sign * bound
    if target > -np.inf and integer:
        target = float(np.ceil(target - 1e-6))  # integer costs: no assignment lies strictly between
    dive_stats = None
    # measured on Yagiura's type D in 60 s runs: the root's column generation converges within its share
    # for n = 200 (in 1-6 s) but not for n = 400 (d10400, d20400; d40400 needs 15-38 s), where the dive
    # phase would only take time from the LNS; so about 4 jobs per second of the time left
    affordable = deadline.limit is None or d.n <= 4.0 * deadline.remaining()
    if u is not None and dive_share > 0 and affordable and sign * value > target + 1e-9:
        agent, bound, target, dive_stats = _dive_phase(d, f, agent, u, bound, target, integer, options.seed,
                                                       Deadline(None if deadline.limit is None else
                                                                dive_share * deadline.remaining()))
    cores = []
    pair_rank = None
    # after dives, the core phases only repeat what the master's columns already covered
    use_cores = bool(kw.pop("cores", dive_stats is None or dive_stats["dives"] == 0))
    if u is not None:
        _, forced_in, _ = forced_bounds(f, d.weights, d.capacities, u)
        pair_rank = rank_agents(forced_in)
        for k, share in ((2, 0.25), (4, 0.33)) if use_cores else ():  # shares of the time left at the phase
            cores.append((pair_rank < k, share))
    search = Deadline(None if deadline.limit is None else 0.95 * deadline.remaining())  # the bound comes after
    agent, _, stats = gap_lns(f, d.weights.astype(np.float64), d.capacities.astype(np.float64), agent, search,
                              seed=options.seed, cores=cores, target=target, pair_rank=pair_rank, **kw)
    if u is not None and not deadline.expired():
        # the ascent aimed at the start's value; aimed at the final one it climbs further (kept if higher)
        value = float(d.costs[agent, np.arange(d.n)].sum())
        again, _, _ = _gap_bounds(instance, value, Deadline(None if deadline.limit is None else
                                                            0.8 * deadline.remaining()), u0=u, lo=lo)
        if again is not None and (bound is None or sign * again > sign * bound):
            bound = again
    status = Status.TIME_LIMIT if stats["stopped"] == "time_limit" else Status.COMPLETED
    extra = {k: v for k, v in stats.items() if k in ("steps", "improving", "proven")}
    if dive_stats is not None:
        extra.update({"dives": dive_stats["dives"], "dive_improving": dive_stats["improving"],
                      "columns": dive_stats["columns"]})
    return Outcome(status, {"agent": agent.tolist()}, None, bound, "completed", extra=extra)


def _dive_phase(d, f, agent, u, bound, target, integer, seed, deadline: Deadline):
    """Price-and-dive (heuristics.gap_dive) from the Lagrangian multipliers u and the start `agent`; the
    master's root L(u) can raise the bound. Returns (agent, bound, target, stats). Skipped (stats None)
    when one pricing round would be too large for the dynamic program's tables."""
    from optalloc.families.matching.gap_dive import price_and_dive

    cells = float(d.n) * float(np.maximum(d.capacities, 1).sum())
    if cells > 2e8:
        return agent, bound, target, None
    sign = 1.0 if d.sense == "min" else -1.0
    best, cost, root, stats = price_and_dive(f, d.weights, np.floor(d.capacities + 1e-9), u, deadline, seed=seed,
                                             start=agent, target=target,
                                             dives=1000 if deadline.limit is not None else 20)
    if best is not None and cost < float(f[agent, np.arange(d.n)].sum()) - 1e-9:
        agent = best
    if root is not None:
        if integer:
            root = float(np.ceil(root - 1e-6))
        if target == -np.inf or root > target:
            target = root
            bound = sign * root
    return agent, bound, target, stats


def _round_lp(d, X):
    """Each job to its largest-x agent where it still fits (jobs by decreasing certainty), the rest by the
    regret greedy over the residual capacities. None when that fails."""
    from optalloc.families.matching.heuristics import regret_greedy

    left = d.capacities.astype(np.float64).copy()
    agent = np.full(d.n, -1, dtype=np.int64)
    for j in np.argsort(-X.max(axis=0), kind="stable"):
        for i in np.argsort(-X[:, j], kind="stable"):
            if X[i, j] < 1e-6:
                break
            if d.weights[i, j] <= left[i] + 1e-9:
                agent[j] = i
                left[i] -= d.weights[i, j]
                break
    rest = np.flatnonzero(agent < 0)
    if len(rest):
        f = (d.costs if d.sense == "min" else -d.costs)[:, rest]
        sub, ok = regret_greedy(np.ascontiguousarray(f, dtype=np.float64),
                                np.ascontiguousarray(d.weights[:, rest], dtype=np.float64), left, np.arange(len(rest)))
        if not ok:
            return None
        agent[rest] = sub
    return agent
