"""Lagrangian bound for the GAP (Ross and Soland 1975): relax the assignment rows with multipliers u.

    L(u) = sum_j u_j + sum_i min { sum_j (c_ij - u_j) x_ij : sum_j a_ij x_ij <= b_i, x binary }

splits into one 0-1 knapsack per agent. Every L(u) is a lower bound on the minimum; its maximum equals
the configuration (set-partitioning) LP and is never below the plain LP. The knapsacks are solved by a
dynamic program over capacity, so weights and capacities must be integers. Costs are minimised: a max
instance passes negated profits and negates the bound."""
from __future__ import annotations

import time

import numpy as np
from numba import njit

from optalloc.numeric import sum_error_bound

from optalloc.engines.subgradient import track_best


@njit(cache=True)
def _knapsack(profit, weight, cap, take):
    """Max sum profit_j x_j s.t. sum weight_j x_j <= cap over the items with profit > 0; marks `take`."""
    n = len(profit)
    V = np.zeros(cap + 1)
    keep = np.zeros((n, cap + 1), dtype=np.bool_)
    items = np.empty(n, dtype=np.int64)
    k = 0
    for j in range(n):
        take[j] = False
        if profit[j] > 0.0 and weight[j] <= cap:
            items[k] = j
            k += 1
    for t in range(k):
        j = items[t]
        wj = weight[j]
        pj = profit[j]
        for c in range(cap, wj - 1, -1):
            v = V[c - wj] + pj
            if v > V[c]:
                V[c] = v
                keep[t, c] = True
    c = cap
    for t in range(k - 1, -1, -1):
        if keep[t, c]:
            j = items[t]
            take[j] = True
            c -= weight[j]
    return V[cap]


@njit(cache=True)
def _relax(f, a, b, u, X):
    """L(u) and the knapsack solutions X[i, j]."""
    m, n = f.shape
    total = 0.0
    for j in range(n):
        total += u[j]
    profit = np.empty(n)
    take = np.zeros(n, dtype=np.bool_)
    for i in range(m):
        for j in range(n):
            profit[j] = u[j] - f[i, j]
        total -= _knapsack(profit, a[i], b[i], take)
        for j in range(n):
            X[i, j] = take[j]
    return total


@njit(cache=True)
def _ascent(f, a, b, u, ub, iterations, alpha, patience):
    """Subgradient ascent with a Polyak step towards `ub`; the step halves after `patience` iterations
    without progress. Returns (best bound, its multipliers, iterations done)."""
    m, n = f.shape
    X = np.zeros((m, n))
    best = -np.inf
    best_u = u.copy()
    since = 0
    it = 0
    for it in range(1, iterations + 1):
        Lv = _relax(f, a, b, u, X)
        improved, best, since, alpha = track_best(Lv, best, since, alpha, patience)
        if improved:
            best_u[:] = u
        if alpha < 1e-4 or ub - best <= 1e-9:
            break
        g = 1.0 - X.sum(axis=0)
        norm = g @ g
        if norm == 0.0:
            break  # every job in exactly one knapsack: the relaxed solution is an optimal assignment
        u = u + alpha * (ub - Lv) / norm * g
    return best, best_u, it


def _integer_data(f, a, b):
    """Costs as floats, weights and capacities as the integers the knapsack DP indexes by (a capacity is
    floored: no load can use its fraction)."""
    ai = np.ascontiguousarray(np.rint(a), dtype=np.int64)
    if not np.allclose(ai, a):
        raise ValueError("the Lagrangian GAP bound needs integer weights")
    bi = np.floor(np.asarray(b, dtype=np.float64) + 1e-9).astype(np.int64)
    # no load exceeds the agent's total weight: a larger capacity only grows the tables, never the answer
    bi = np.minimum(bi, ai.sum(axis=1))
    return np.ascontiguousarray(f, dtype=np.float64), ai, bi


MAX_TABLE_CELLS = 2e8  # about 1.6 GB of float64 tables for the forced bounds; the 0-1 table is a byte a cell


def table_cells(a, b) -> float:
    """Cells of the capacity-indexed tables one pass of the knapsack DPs fills (jobs x sum of capacities,
    after the clip to each agent's total weight), so that callers can check before they allocate."""
    a = np.asarray(a, dtype=np.float64)
    b = np.minimum(np.floor(np.asarray(b, dtype=np.float64) + 1e-9), a.sum(axis=1))
    return float(a.shape[1] + 1) * float(np.maximum(b, 1).sum())


def affordable(a, b) -> bool:
    """Whether the Lagrangian DPs fit in memory: integer weights and tables within MAX_TABLE_CELLS."""
    return bool(np.allclose(a, np.rint(a))) and table_cells(a, b) <= MAX_TABLE_CELLS


def lagrangian_bound(f, a, b, ub: float, *, u0=None, iterations: int = 300, deadline=None,
                     patience: int = 20) -> tuple[float, np.ndarray]:
    """The best L(u) found, rounded down by the error a float sum can carry, and its multipliers.
    `u0` defaults to each job's cheapest cost. Stops at the deadline (checked between chunks)."""
    f, ai, bi = _integer_data(f, a, b)
    m, n = f.shape
    u = (f.min(axis=0) if u0 is None else np.asarray(u0, dtype=np.float64)).copy()
    best, best_u, done, alpha = -np.inf, u, 0, 1.0
    per_it = None
    while done < iterations:
        k = min(25, iterations - done)
        if deadline is not None and deadline.limit is not None:
            left = deadline.remaining()
            k = min(k, 1) if per_it is None else max(0, min(k, int(0.8 * left / per_it)))
            if k == 0:
                break
        started = time.perf_counter()
        v, u_k, it = _ascent(f, ai, bi, best_u.copy(), float(ub), k, alpha, patience)
        per_it = (time.perf_counter() - started) / max(1, it)
        done += it
        if v > best + 1e-9:
            best, best_u = v, u_k
        else:
            alpha *= 0.5
        if it < k or alpha < 1e-4:
            break
    scale = np.abs(f).sum() + np.abs(best_u).sum() * (m + 1)
    return float(best - sum_error_bound(m * n + n, scale)), best_u


@njit(cache=True)
def _forced(profit, weight, cap):
    """Knapsack value K, and for each item the value with that item forced in (K_in) and forced out
    (K_out), from a forward and a backward table (F[t] over items < t, G[t] over items >= t)."""
    n = len(profit)
    F = np.zeros((n + 1, cap + 1))
    G = np.zeros((n + 1, cap + 1))
    for t in range(n):
        F[t + 1] = F[t]
        wj = weight[t]
        for c in range(wj, cap + 1):
            v = F[t, c - wj] + profit[t]
            if v > F[t + 1, c]:
                F[t + 1, c] = v
    for t in range(n - 1, -1, -1):
        G[t] = G[t + 1]
        wj = weight[t]
        for c in range(wj, cap + 1):
            v = G[t + 1, c - wj] + profit[t]
            if v > G[t, c]:
                G[t, c] = v
    K = F[n, cap]
    K_in = np.full(n, -np.inf)
    K_out = np.empty(n)
    for t in range(n):
        best = -np.inf
        for c in range(cap + 1):  # K_out: the others, capacity split between the two tables
            v = F[t, c] + G[t + 1, cap - c]
            if v > best:
                best = v
        K_out[t] = best
        if weight[t] <= cap:
            rest = cap - weight[t]
            best = -np.inf
            for c in range(rest + 1):
                v = F[t, c] + G[t + 1, rest - c]
                if v > best:
                    best = v
            K_in[t] = best + profit[t]
    return K, K_in, K_out


@njit(cache=True)
def _penalties(f, a, b, u):
    """L(u) and, for every pair, L(u) with x_ij forced to 1 (in) and to 0 (out)."""
    m, n = f.shape
    base = 0.0
    for j in range(n):
        base += u[j]
    Ks = np.empty(m)
    IN = np.empty((m, n))
    OUT = np.empty((m, n))
    profit = np.empty(n)
    for i in range(m):
        for j in range(n):
            profit[j] = u[j] - f[i, j]
        K, K_in, K_out = _forced(profit, a[i], b[i])
        Ks[i] = K
        IN[i] = K - K_in
        OUT[i] = K - K_out
    L = base - Ks.sum()
    return L, L + IN, L + OUT


def forced_bounds(f, a, b, u):
    """(L(u), L with x_ij = 1, L with x_ij = 0): a pair whose forced-in bound reaches the incumbent can be
    dropped, a pair whose forced-out bound does can be fixed (Lagrangian reduced-cost fixing)."""
    f, ai, bi = _integer_data(f, a, b)
    return _penalties(f, ai, bi, np.asarray(u, dtype=np.float64))
