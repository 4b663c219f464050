"""GAP heuristics: Martello and Toth's regret greedy, then shift and swap local search.

Desirability is the cost (min) or minus the profit (max); lower is better. The regret of a job is how
much worse its second-best feasible agent is than its best; the job with the largest regret is placed
first, on its best agent. Local search then moves single jobs (shift) and exchanges pairs (swap) while
that improves and stays feasible."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def regret_greedy(f, a, b, order_hint):
    """A GAP assignment by regret: profits `f`, weights `a`, capacities `b`; jobs in `order_hint`'s order break
    ties. -1 marks a job it could not place."""
    m, n = f.shape
    agent = np.full(n, -1, dtype=np.int64)
    left = b.copy()
    done = 0
    while done < n:
        best_j = -1
        best_reg = -np.inf
        best_i = -1
        for j in range(n):
            if agent[j] >= 0:
                continue
            b1 = np.inf
            b2 = np.inf
            i1 = -1
            for i in range(m):
                if a[i, j] <= left[i] + 1e-9:
                    if f[i, j] < b1:
                        b2 = b1
                        b1 = f[i, j]
                        i1 = i
                    elif f[i, j] < b2:
                        b2 = f[i, j]
            if i1 < 0:
                return agent, False  # a job fits nowhere any more
            reg = b2 - b1
            if reg > best_reg or (reg == best_reg and order_hint[j] < order_hint[best_j]):
                best_reg = reg
                best_j = j
                best_i = i1
        agent[best_j] = best_i
        left[best_i] -= a[best_i, best_j]
        done += 1
    return agent, True


@njit(cache=True)
def local_search(f, a, b, agent, max_rounds):
    """Improve the GAP assignment `agent` (profits `f`, weights `a`, capacities `b`) by shifts and swaps, for at
    most `max_rounds` rounds."""
    m, n = f.shape
    load = np.zeros(m)
    for j in range(n):
        load[agent[j]] += a[agent[j], j]
    for _ in range(max_rounds):
        improved = False
        for j in range(n):  # shift
            i0 = agent[j]
            for i in range(m):
                if i != i0 and f[i, j] < f[i0, j] - 1e-12 and load[i] + a[i, j] <= b[i] + 1e-9:
                    load[i0] -= a[i0, j]
                    load[i] += a[i, j]
                    agent[j] = i
                    i0 = i
                    improved = True
        for j in range(n):  # swap
            for k in range(j + 1, n):
                p, q = agent[j], agent[k]
                if p == q:
                    continue
                delta = f[q, j] + f[p, k] - f[p, j] - f[q, k]
                if delta < -1e-12:
                    lp = load[p] - a[p, j] + a[p, k]
                    lq = load[q] - a[q, k] + a[q, j]
                    if lp <= b[p] + 1e-9 and lq <= b[q] + 1e-9:
                        load[p] = lp
                        load[q] = lq
                        agent[j] = q
                        agent[k] = p
                        improved = True
        if not improved:
            break
    return agent


def gap_heuristic(d, start=None, rounds: int = 50):
    """Regret greedy under several desirability measures, as Martello and Toth's MTHG (cost, weight,
    weight relative to capacity, cost per weight), or a given start; each feasible result is improved by
    local search and the best is kept. Returns agent per job, or None when no measure finds one."""
    f = d.costs if d.sense == "min" else -d.costs
    f = np.ascontiguousarray(f, dtype=np.float64)
    a = np.ascontiguousarray(d.weights, dtype=np.float64)
    b = np.asarray(d.capacities, dtype=np.float64)
    starts = []
    if start is not None:
        starts.append(np.asarray(start, dtype=np.int64).copy())
    for measure in (f, a, a / np.maximum(b, 1e-12)[:, None], f / np.maximum(a, 1e-12)):
        agent, ok = regret_greedy(np.ascontiguousarray(measure), a, b, np.arange(d.n))
        if ok:
            starts.append(agent)
    best, best_val = None, np.inf
    for agent in starts:
        agent = local_search(f, a, b, agent, rounds)
        val = f[agent, np.arange(d.n)].sum()
        if val < best_val:
            best, best_val = agent, val
    return best
