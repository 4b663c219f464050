"""Makespan on unrelated machines (R||Cmax): MIP, CP-SAT, list scheduling, and Lenstra-Shmoys-Tardos LP rounding."""
from __future__ import annotations

import numpy as np

from optalloc.options import Deadline, SolveOptions
from optalloc.result import Outcome
from optalloc.status import Status


def _makespan_infeasible(d) -> Outcome | None:
    none = np.flatnonzero(~np.isfinite(d.times).any(axis=0))
    if len(none):
        return Outcome.infeasible("infeasible",
                       message=f"job {int(none[0])} can run on no machine")
    return None


def makespan_lower_bound(d) -> float:
    """Every job takes at least its fastest time; the machines share at least the sum of those."""
    from optalloc.numeric import sum_error_bound

    fastest = np.nanmin(d.times, axis=0)
    total = float(fastest.sum())
    share = (total - sum_error_bound(len(fastest), total)) / d.m  # the float sum may sit above the true one
    return float(max(fastest.max(), share * (1 - 2 ** -50)))  # and the division rounds once


def run_makespan_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the makespan MIP on HiGHS under `options`
    (SolveOptions) and `deadline` (the limit's clock, started with the method) and returns the claim as an
    Outcome, which solve certifies."""
    from optalloc.families.matching.models import makespan_arrays, makespan_decode
    from optalloc.solvers.highs import solve_linear

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
    """A run function (registry.Method.run): solves `instance` with CP-SAT under `options` (SolveOptions) and
    `deadline` (the limit's clock, started with the method) and returns the claim as an Outcome, which solve
    certifies."""
    from ortools.sat.python import cp_model

    from optalloc.solvers.cpsat import integer_scale, solve_cp

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

    from optalloc.models.linear import LinearModel
    from optalloc.solvers.highs import solve_linear
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
