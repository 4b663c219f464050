"""Assignment and GAP methods.

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
Every GAP heuristic carries the better of the LP bound and the Lagrangian (knapsack) bound; the latter needs
integer weights and capacities."""
from __future__ import annotations

import numpy as np

from .. import interrupt
from ..options import Deadline, LimitReached, SolveOptions
from ..registry import Method, register
from ..result import Outcome
from ..solvers.highs import LinearOutcome, lp_bound
from ..status import Status


def _no_agent_fits(d) -> int | None:
    fits = (d.weights <= d.capacities[:, None] + 1e-9).any(axis=0)
    bad = np.flatnonzero(~fits)
    return int(bad[0]) if len(bad) else None


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
        return Outcome(Status.INFEASIBLE, None, None, None, "infeasible",
                       message=f"{side} {int(empty[0])} has no allowed pair")
    return None


def _gap_infeasible(d) -> Outcome | None:
    j = _no_agent_fits(d)
    if j is not None:
        return Outcome(Status.INFEASIBLE, None, None, None, "infeasible",
                       message=f"job {j} fits no agent (its weight exceeds every capacity)")
    return None


# ------------------------------------------------------------------ assignment
def run_lapjv(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
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
            return Outcome(Status.INFEASIBLE, None, None, None, "no full matching",
                           message="the allowed pairs admit no complete assignment")
    elif d.complete:  # no forbidden pair: scipy gets the matrix itself, without a copy
        rows, cols = linear_sum_assignment(C, maximize=maximize)
    else:
        big = (np.abs(C[finite]).max() + 1.0) * (min(m, n) + 1) if finite.any() else 1.0
        W = np.where(finite, C, -big if maximize else big)
        rows, cols = linear_sum_assignment(W, maximize=maximize)
        if not finite[rows, cols].all():
            return Outcome(Status.INFEASIBLE, None, None, None, "forbidden pair needed",
                           message="the allowed pairs admit no complete assignment")
    a = np.full(m, -1, dtype=np.int64)
    a[rows] = cols
    obj = float(C[rows, cols].sum())
    return Outcome(Status.OPTIMAL, {"assignment": a.tolist()}, obj, obj, "optimal")


def run_assignment_lp(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..models.matching import arrays, decode
    from ..solvers.highs import solve_linear

    early = _assignment_infeasible(instance.data)
    if early:
        return early
    lo = solve_linear(arrays(instance, deadline), options, deadline)
    if lo.status == Status.INFEASIBLE or lo.x is None:
        return Outcome.from_backend(lo, None, None, None,
                       message="the allowed pairs admit no complete assignment" if lo.status == Status.INFEASIBLE else "")
    frac = np.abs(lo.x - np.round(lo.x)).max()
    if frac > 1e-6:  # a vertex of this polytope is integral; anything else is a solver problem
        return Outcome(Status.NUMERICAL_ERROR, None, None, lo.bound, lo.raw_status,
                       message=f"LP solution is fractional (max distance to 0/1: {frac:.2e})")
    return Outcome.from_backend(lo, decode(instance, lo.x), lo.objective, lo.bound)


# ------------------------------------------------------------------ GAP exact
def _mip(instance, options: SolveOptions, deadline: Deadline, precheck) -> Outcome:
    """Pre-check (proven infeasibility without a solver), then the family's MIP on HiGHS, decoded."""
    from ..models.matching import arrays, decode
    from ..solvers.highs import solve_linear

    early = precheck(instance.data)
    if early:
        return early
    lo = solve_linear(arrays(instance, deadline), options, deadline)
    sol = decode(instance, lo.x) if lo.x is not None and lo.status != Status.INFEASIBLE else None
    return Outcome.from_backend(lo, sol, lo.objective, lo.bound, extra=lo.extra)


def run_gap_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    return _mip(instance, options, deadline, _gap_infeasible)


def run_gap_cpsat(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..models.matching import cpsat
    from ..solvers.cpsat import solve_cp

    early = _gap_infeasible(instance.data)
    if early:
        return early
    model, x, scale = cpsat(instance)
    co = solve_cp(model, options, deadline, scale=scale)
    sol = None
    if co.has_solution:
        d = instance.data
        sol = {"agent": [next(i for i in range(d.m) if co.solver.Value(x[i][j])) for j in range(d.n)]}
    return Outcome.from_backend(co, sol, co.objective, co.bound, extra=co.extra)


# ------------------------------------------------------------------ GAP heuristics
def _lp(instance, deadline: Deadline):
    """The LP relaxation, within the time left (stopped by the limit it is neither a bound nor a start)."""
    from ..models.matching import arrays
    from ..solvers.highs import solve_linear

    try:
        return solve_linear(arrays(instance, deadline).relaxed(), SolveOptions(), deadline)
    except LimitReached as e:  # a heuristic goes on without it
        return LinearOutcome(Status.TIME_LIMIT, None, None, None, "limit reached", {"message": str(e)})


def _gap_bounds(instance, ub: float, deadline: Deadline, u0=None, work: float = 2e9, lo=None):
    """(bound in the instance's sense, multipliers or None, LP outcome): the better of the LP and the
    Lagrangian bound, whose ascent gets about `work` knapsack cell updates (at most 1000 iterations).
    `ub` is an incumbent's value in the instance's sense; `u0` multipliers to start from; `lo` the LP
    outcome when it is already solved."""
    from ..exact.gap_bound import affordable, lagrangian_bound

    d = instance.data
    lo = _lp(instance, deadline) if lo is None else lo
    if lo.status == Status.INFEASIBLE:
        return None, None, lo
    bound = lp_bound(lo, d.sense)
    if not affordable(d.weights, d.capacities):
        return bound, None, lo  # fractional weights, or capacity tables too large to allocate: the LP bound
    sign = 1.0 if d.sense == "min" else -1.0  # the bound works on costs to minimise
    from ..exact.gap_bound import table_cells

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


def _gap_heuristic(use_lp: bool):
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        from ..heuristics.matching import gap_heuristic

        d = instance.data
        early = _gap_infeasible(d)
        if early:
            return early
        lo = _lp(instance, deadline)
        if lo.status == Status.INFEASIBLE:
            return Outcome(Status.INFEASIBLE, None, None, None, "LP infeasible",
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
    from ..exact.gap_bound import forced_bounds
    from ..heuristics.gap_lns import gap_lns, rank_agents
    from ..heuristics.matching import gap_heuristic

    d = instance.data
    early = _gap_infeasible(d)
    if early:
        return early
    agent = gap_heuristic(d)
    if agent is None:  # the greedy starts failed: let HiGHS find a first assignment
        first = _mip(instance, SolveOptions(backend_options={"mip_max_improving_sols": 1}),
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
    from ..heuristics.gap_dive import price_and_dive

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
    from ..heuristics.matching import regret_greedy

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


def _matching_arrays(instance):
    from ..models.matching import arrays

    return arrays(instance)


register(Method("assignment.lapjv", ("assignment",), "exact", "scipy", run_lapjv,
                "scipy's linear_sum_assignment (sparse: min_weight_full_bipartite_matching)", requires=("scipy",),
                distribution="scipy"))
register(Method("assignment.lp", ("assignment",), "exact", "highs", run_assignment_lp,
                "the assignment LP on HiGHS, with an integrality check of its vertex", requires=("highspy",),
                distribution="highspy", extra={"linear_model": _matching_arrays}))
register(Method("gap.mip", ("gap",), "exact", "highs", run_gap_mip, "the GAP MIP on HiGHS", requires=("highspy",),
                distribution="highspy", extra={"linear_model": _matching_arrays}))
register(Method("gap.cpsat", ("gap",), "exact", "ortools-cpsat", run_gap_cpsat, "the GAP on OR-Tools CP-SAT",
                requires=("ortools",), distribution="ortools"))
register(Method("gap.regret", ("gap",), "heuristic", "optalloc", _gap_heuristic(False),
                "regret greedy + shift/swap local search; LP and Lagrangian bound", requires=("numba", "highspy")))
register(Method("gap.lns", ("gap",), "heuristic", "optalloc", run_gap_lns,
                "regret start, price-and-dive over the set-partitioning master, large-neighbourhood search "
                "with exact sub-MIPs; Lagrangian bound",
                requires=("numba", "highspy"), parameters={
                    "dive_share": (float, "share of the time left for price-and-dive (0.7)"),
                    "cores": (bool, "run the 2- and 4-agent core MIPs before the LNS"),
                    "sub_limit": (float, "seconds per neighbourhood sub-MIP"), "steps": (int, "sub-MIPs at most"),
                    "width": (int, "agents per neighbourhood"), "patience": (int, "steps before the ranking widens")}))
register(Method("gap.lp_round", ("gap",), "heuristic", "optalloc", _gap_heuristic(True),
                "LP rounding + regret greedy + local search; LP and Lagrangian bound", requires=("numba", "highspy")))


# ------------------------------------------------------------------ makespan on unrelated machines
def _makespan_infeasible(d) -> Outcome | None:
    none = np.flatnonzero(~np.isfinite(d.times).any(axis=0))
    if len(none):
        return Outcome(Status.INFEASIBLE, None, None, None, "infeasible",
                       message=f"job {int(none[0])} can run on no machine")
    return None


def makespan_lower_bound(d) -> float:
    """Every job takes at least its fastest time; the machines share at least the sum of those."""
    from ..numeric import sum_error_bound

    fastest = np.nanmin(d.times, axis=0)
    total = float(fastest.sum())
    share = (total - sum_error_bound(len(fastest), total)) / d.m  # the float sum may sit above the true one
    return float(max(fastest.max(), share * (1 - 2 ** -50)))  # and the division rounds once


def run_makespan_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..models.matching import makespan_arrays, makespan_decode
    from ..solvers.highs import solve_linear

    early = _makespan_infeasible(instance.data)
    if early:
        return early
    lo = solve_linear(makespan_arrays(instance, deadline), options, deadline)
    sol = makespan_decode(instance, lo.x) if lo.x is not None and lo.status != Status.INFEASIBLE else None
    bound = lo.bound
    if bound is not None:
        bound = max(bound, makespan_lower_bound(instance.data)) if lo.status != Status.OPTIMAL else bound
    return Outcome.from_backend(lo, sol, lo.objective, bound, extra=lo.extra)


def run_makespan_cpsat(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ortools.sat.python import cp_model

    from ..solvers.cpsat import integer_scale, solve_cp

    d = instance.data
    early = _makespan_infeasible(d)
    if early:
        return early
    finite = np.isfinite(d.times)
    scale = integer_scale(d.times[finite])
    P = np.where(finite, np.rint(np.nan_to_num(d.times) * scale), 0).astype(np.int64)
    model = cp_model.CpModel()
    x = {(i, j): model.NewBoolVar(f"x_{i}_{j}") for i in range(d.m) for j in range(d.n) if finite[i, j]}
    horizon = int(P.max(axis=0).sum())
    C = model.NewIntVar(0, horizon, "C")
    for j in range(d.n):
        model.AddExactlyOne(x[i, j] for i in range(d.m) if finite[i, j])
    for i in range(d.m):
        jobs = [j for j in range(d.n) if finite[i, j]]
        if jobs:
            model.Add(cp_model.LinearExpr.WeightedSum([x[i, j] for j in jobs], [int(P[i, j]) for j in jobs]) <= C)
    model.Minimize(C)
    co = solve_cp(model, options, deadline, scale=scale)
    sol = None
    if co.has_solution:
        sol = {"machine": [next(i for i in range(d.m) if finite[i, j] and co.solver.Value(x[i, j]))
                           for j in range(d.n)]}
    return Outcome.from_backend(co, sol, co.objective, co.bound, extra=co.extra)


def run_makespan_greedy(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """List scheduling: jobs by decreasing fastest time, each where it would finish first."""
    d = instance.data
    early = _makespan_infeasible(d)
    if early:
        return early
    T = np.where(np.isfinite(d.times), d.times, np.inf)
    load = np.zeros(d.m)
    machine = np.empty(d.n, dtype=np.int64)
    for j in np.argsort(-T.min(axis=0), kind="stable"):
        i = int(np.argmin(load + T[:, j]))
        machine[j] = i
        load[i] += T[i, j]
    return Outcome(Status.COMPLETED, {"machine": machine.tolist()}, None, makespan_lower_bound(d), "completed")


def run_makespan_lp_round(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """Lenstra, Shmoys and Tardos: the smallest T whose LP (pairs with p_ij <= T only) is feasible is a
    lower bound; a vertex of that LP leaves a pseudo-forest of fractional jobs, matched to distinct
    machines, so the makespan is at most 2 T."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching

    d = instance.data
    early = _makespan_infeasible(d)
    if early:
        return early
    lo_T = makespan_lower_bound(d)
    hi_T = float(np.nansum(np.nanmin(d.times, axis=0)))  # everything on its fastest machine fits under this
    found, best = _lst_vertex(d, hi_T, deadline)
    if best is None:  # the time ran out before the first LP: list scheduling instead, same bound
        return run_makespan_greedy(instance, options, deadline)
    for _ in range(40):
        if hi_T - lo_T <= 1e-7 * max(1.0, hi_T):
            break
        mid = 0.5 * (lo_T + hi_T)
        found, x = _lst_vertex(d, mid, deadline)
        if found is None:  # stopped by the limit: proves nothing about mid
            break
        if found:
            hi_T, best = mid, x
        else:
            lo_T = mid  # the LP at mid is infeasible: no schedule has makespan below mid
    X = best
    machine = np.full(d.n, -1, dtype=np.int64)
    integral = np.isclose(X, 1.0, atol=1e-7)
    ii, jj = np.nonzero(integral)
    machine[jj] = ii
    frac_jobs = np.flatnonzero(machine < 0)
    if len(frac_jobs):
        support = (X[:, frac_jobs] > 1e-7).T.astype(np.int8)  # rows: fractional jobs, columns: machines
        match = maximum_bipartite_matching(csr_matrix(support), perm_type="column")
        for k, j in enumerate(frac_jobs):
            i = match[k]
            if i < 0:  # not a vertex after all: fall back to the best supported machine
                i = int(np.argmax(X[:, j]))
            machine[j] = i
    return Outcome(Status.COMPLETED, {"machine": machine.tolist()}, None, lo_T, "completed",
                   extra={"lp_threshold": hi_T})


def _lst_vertex(d, T, deadline: Deadline):
    """(True, a basic feasible solution of {sum_i x_ij = 1, sum_j p_ij x_ij <= T, x_ij = 0 if p_ij > T}),
    (False, None) when that LP is infeasible, (None, None) when the limit stopped it first."""

    from ..models.linear import LinearModel
    from ..solvers.highs import solve_linear
    import scipy.sparse as sp

    allowed = np.isfinite(d.times) & (np.nan_to_num(d.times, nan=np.inf) <= T * (1 + 1e-12))
    if not allowed.any(axis=0).all():
        return False, None
    i, j = np.nonzero(allowed)
    N = len(i)
    A = sp.vstack([sp.csr_matrix((np.ones(N), (j, np.arange(N))), shape=(d.n, N)),
                   sp.csr_matrix((d.times[i, j], (i, np.arange(N))), shape=(d.m, N))], format="csr")
    lm = LinearModel("min", np.zeros(N), A, np.concatenate([np.ones(d.n), np.full(d.m, -np.inf)]),
                     np.concatenate([np.ones(d.n), np.full(d.m, T)]), np.zeros(N), np.ones(N),
                     np.zeros(N, dtype=bool))
    lo = solve_linear(lm, SolveOptions(backend_options={"solver": "simplex"}), deadline)
    if lo.status == Status.INFEASIBLE:
        return False, None
    if lo.status != Status.OPTIMAL or lo.x is None:
        return None, None
    X = np.zeros(d.times.shape)
    X[i, j] = lo.x
    return True, X


def _makespan_arrays(instance):
    from ..models.matching import makespan_arrays

    return makespan_arrays(instance)


register(Method("makespan.mip", ("makespan",), "exact", "highs", run_makespan_mip,
                "R||Cmax MIP on HiGHS", requires=("highspy",), distribution="highspy",
                extra={"linear_model": _makespan_arrays}))
register(Method("makespan.cpsat", ("makespan",), "exact", "ortools-cpsat", run_makespan_cpsat,
                "R||Cmax on OR-Tools CP-SAT", requires=("ortools",), distribution="ortools"))
register(Method("makespan.lp_round", ("makespan",), "heuristic", "optalloc", run_makespan_lp_round,
                "Lenstra-Shmoys-Tardos LP rounding (at most twice the optimum); its LP threshold is the bound",
                requires=("highspy", "scipy")))
register(Method("makespan.greedy", ("makespan",), "heuristic", "optalloc", run_makespan_greedy,
                "list scheduling by decreasing fastest time; fastest-time bound"))


# ------------------------------------------------------------------ LLM routing under a budget
def _routing_infeasible(d) -> Outcome | None:
    if int(d.capacity.sum()) < d.q:
        return Outcome(Status.INFEASIBLE, None, None, None, "infeasible",
                       message=f"the models take {int(d.capacity.sum())} queries in all, there are {d.q}")
    return None


def run_routing_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    return _mip(instance, options, deadline, _routing_infeasible)


def _transport(instance, lam, deadline: Deadline):
    """The Lagrangian subproblem at lam: an integral transportation LP. Returns (model per query, value), or
    (None, None) when the LP was not solved to optimality (stopped by the limit: its value bounds nothing)."""
    from ..models.matching import routing_arrays
    from ..solvers.highs import solve_linear

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


def _routing_arrays(instance):
    from ..models.matching import routing_arrays

    return routing_arrays(instance)


register(Method("routing.mip", ("routing",), "exact", "highs", run_routing_mip,
                "LLM routing MIP on HiGHS", requires=("highspy",), distribution="highspy",
                extra={"linear_model": _routing_arrays}))
register(Method("routing.lagrangian", ("routing",), "heuristic", "optalloc", run_routing_lagrangian,
                "budget relaxed by a multiplier: transportation LPs, bisection, greedy upgrades; Lagrangian bound",
                requires=("highspy",)))


# ------------------------------------------------------------------ bipartite b-matching
def _bmatching_lp(instance, options, deadline):
    from ..models.matching import bmatching_arrays
    from ..solvers.highs import solve_linear

    opts = SolveOptions.from_dict(options.to_dict())
    opts.backend_options = {"solver": "simplex", **options.backend_options}  # a vertex, hence integral
    return solve_linear(bmatching_arrays(instance, deadline), opts, deadline)


def _edges(instance, x):
    i, j = np.nonzero(np.isfinite(instance.data.weights))
    on = np.asarray(x) > 0.5
    return [[int(a), int(b)] for a, b in zip(i[on], j[on])]


def run_bmatching_lp(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    lo = _bmatching_lp(instance, options, deadline)
    if lo.x is None:
        return Outcome.from_backend(lo, None, None, None)
    frac = float(np.abs(lo.x - np.round(lo.x)).max()) if len(lo.x) else 0.0
    if frac > 1e-6:
        return Outcome(Status.NUMERICAL_ERROR, None, None, lo.bound, lo.raw_status,
                       message=f"LP vertex is fractional (max distance to 0/1: {frac:.2e})")
    # the LP value bounds the optimum only when the LP was solved; a point stopped by a limit proves nothing
    return Outcome.from_backend(lo, {"edges": _edges(instance, lo.x)}, lo.objective, lo.bound)


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
    from ..numeric import sum_error_bound

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


def _bmatching_arrays(instance):
    from ..models.matching import bmatching_arrays

    return bmatching_arrays(instance)


register(Method("bmatching.lp", ("bmatching",), "exact", "highs", run_bmatching_lp,
                "the b-matching LP on HiGHS (simplex vertex, checked integral)", requires=("highspy",),
                distribution="highspy", extra={"linear_model": _bmatching_arrays}))
register(Method("bmatching.greedy", ("bmatching",), "heuristic", "optalloc", run_bmatching_greedy,
                "heaviest edge first; LP bound", requires=("highspy",)))


# ------------------------------------------------------------------ AdWords
def _adwords_bound(instance, deadline: Deadline) -> float:
    """An upper bound on the capped revenue of any allocation. Cheap first: no advertiser earns more than its
    budget or than all its bids, and no query pays more than its highest bid. Then, if the time left allows,
    the LP with the budgets (a query whose bid overshoots the budget counts only the remainder, which the
    fractional LP can always match), the tighter of the two."""
    from ..models.matching import adwords_arrays
    from ..numeric import sum_error_bound
    from ..solvers.highs import solve_linear

    d = instance.data
    bids = np.where(np.isfinite(d.bids), np.maximum(np.nan_to_num(d.bids), 0.0), 0.0)
    per_advertiser = np.minimum(d.budgets, bids.sum(axis=1))
    by_advertiser = float(per_advertiser.sum())
    by_query = float(bids.max(axis=0).sum()) if bids.size else 0.0
    # each total is a float sum: moved up by its proven rounding margin (row sums inside, then the total)
    margin = lambda total, terms: total + sum_error_bound(terms, total)  # noqa: E731
    bound = min(margin(by_advertiser, bids.shape[1] + len(per_advertiser)), margin(by_query, bids.shape[1]))
    try:
        lp = lp_bound(solve_linear(adwords_arrays(instance, relax=True, deadline=deadline), SolveOptions(), deadline),
                      "max")
    except LimitReached:
        lp = None
    return bound if lp is None else min(bound, lp)


def run_adwords_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """Offline optimum of the capped revenue: the MIP without budget overshoot, then one extra query per
    advertiser can still add its remaining budget; both are covered by solving with the cap linearised."""
    from ..models.matching import adwords_capped_arrays
    from ..solvers.highs import solve_linear

    d = instance.data
    lm = adwords_capped_arrays(instance, deadline)
    lo = solve_linear(lm, options, deadline)
    if lo.x is None:
        return Outcome.from_backend(lo, None, None, lo.bound)
    i, j = np.nonzero(np.isfinite(d.bids))
    on = lo.x[: len(i)] > 0.5
    adv = np.full(d.bids.shape[1], -1, dtype=np.int64)
    adv[j[on]] = i[on]
    return Outcome.from_backend(lo, {"advertiser": adv.tolist()}, lo.objective, lo.bound)


def _online(rule):
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        """Queries in arrival (column) order. greedy: the highest bid among advertisers with budget left;
        msvv: the highest bid scaled by psi(f) = 1 - e^(f - 1), f the spent fraction of the budget
        (Mehta, Saberi, Vazirani and Vazirani, ratio 1 - 1/e as bids become small)."""
        d = instance.data
        m, n = d.bids.shape
        spent = np.zeros(m)
        adv = np.full(n, -1, dtype=np.int64)
        for j in range(n):
            b = d.bids[:, j]
            ok = np.isfinite(b) & (spent < d.budgets - 1e-12) & (np.nan_to_num(b) > 0)
            if not ok.any():
                continue
            score = np.where(ok, np.nan_to_num(b), -np.inf)
            if rule == "msvv":
                f = spent / np.maximum(d.budgets, 1e-300)
                score = np.where(ok, np.nan_to_num(b) * (1 - np.exp(f - 1)), -np.inf)
            i = int(np.argmax(score))
            adv[j] = i
            spent[i] += b[i]
        bound = _adwords_bound(instance, deadline)
        return Outcome(Status.COMPLETED, {"advertiser": adv.tolist()}, None, bound, "completed")

    return run


register(Method("adwords.mip", ("adwords",), "exact", "highs", run_adwords_mip,
                "offline optimum of the capped revenue (MIP on HiGHS)", requires=("highspy",), distribution="highspy",
                extra={"linear_model": _matching_arrays}))
register(Method("adwords.greedy", ("adwords",), "heuristic", "optalloc", _online("greedy"),
                "online: highest bid among advertisers with budget left; LP bound", requires=("highspy",)))
register(Method("adwords.msvv", ("adwords",), "heuristic", "optalloc", _online("msvv"),
                "online MSVV: bid times 1 - e^(f-1) of the spent fraction f; LP bound", requires=("highspy",)))
