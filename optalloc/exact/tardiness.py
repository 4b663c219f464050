"""Exact 1||Σw_jT_j: Lagrangian time-indexed bounds, then a bounded dynamic program over job sets.

With equal weights (1||ΣT_j) Lawler's decomposition (optalloc.exact.lawler) runs first; the steps below
take over only if it does not finish.

1. Upper bound: iterated dynasearch from the best dispatching rule.
2. Lower bound: the time-indexed relaxation. Relaxing "each job exactly once" with multipliers λ leaves a
   shortest path over time 0..P (P = Σp) in which any job may be used any number of times, but not twice in a
   row (Tanaka, Fujikuma & Araki's first relaxation). The path costs Σ(w_jT_j - λ_j); L(λ) = path + Σλ. λ is
   improved by subgradient steps. The DP is run backwards, so b(t) bounds the cost of filling [t, P].
3. Exact search: forward DP over the set S of jobs already sequenced (its end time is p(S), so the cost to go
   depends on S only, and two orders of S keep only the cheaper). A state is dropped when its cost plus
   b(p(S)) + Σ_{j∉S} λ_j cannot beat the incumbent, or when swapping its last two jobs is strictly cheaper.
   When the last level is reached the incumbent is optimal; when the time or the state budget runs out, the
   smallest bound over the live states is a proven lower bound.

Times are integers, so with integral weights an improving solution must be at least 1 below the incumbent
and states within 1 of it are dropped too."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numba import njit, types
from numba.typed import Dict

from ..heuristics.tardiness import RULES, iterated_dynasearch, sequence_cost


@dataclass
class TardinessResult:
    sequence: np.ndarray
    value: float
    bound: float
    stopped: str  # optimal | time_limit | memory_limit
    stats: dict = field(default_factory=dict)


# ------------------------------------------------------------------ Lagrangian time-indexed bound
@njit(cache=True)
def backward_paths(p, d, w, lam, P):
    """b1[t]: cheapest pseudo-schedule of [t, P] (costs w_jT_j - λ_j, no job twice in a row); f1[t] its first
    job; b2[t], f2[t]: the cheapest whose first job differs from f1[t]."""
    n = len(p)
    b1 = np.full(P + 1, np.inf)
    b2 = np.full(P + 1, np.inf)
    f1 = np.full(P + 1, -1, dtype=np.int64)
    f2 = np.full(P + 1, -1, dtype=np.int64)
    b1[P] = 0.0
    for t in range(P - 1, -1, -1):
        v1 = np.inf
        v2 = np.inf
        j1 = -1
        j2 = -1
        for j in range(n):
            u = t + p[j]
            if u > P:
                continue
            nxt = b1[u] if f1[u] != j else b2[u]
            if nxt == np.inf:
                continue
            c = w[j] * (u - d[j]) if u > d[j] else 0.0
            val = c - lam[j] + nxt
            if val < v1:
                v2 = v1
                j2 = j1
                v1 = val
                j1 = j
            elif val < v2:
                v2 = val
                j2 = j
        b1[t] = v1
        f1[t] = j1
        b2[t] = v2
        f2[t] = j2
    return b1, f1, b2, f2


@njit(cache=True)
def _usage(p, f1, f2, P, n):
    x = np.zeros(n)
    t = 0
    prev = -1
    while t < P:
        j = f1[t] if f1[t] != prev else f2[t]
        x[j] += 1.0
        prev = j
        t += p[j]
    return x


@njit(cache=True)
def _subgradient(p, d, w, lam, P, ub, iterations, alpha, patience, stop_gap):
    """Deflected subgradient ascent (Camerini-Fratta-Maffioli direction, Polyak step towards `ub`). The step
    halves after `patience` iterations without a better bound. Stops when ub - bound <= stop_gap."""
    n = len(p)
    best = -np.inf
    best_lam = lam.copy()
    since = 0
    prev = np.zeros(n)
    it = 0
    for it in range(1, iterations + 1):
        b1, f1, b2, f2 = backward_paths(p, d, w, lam, P)
        L = b1[0] + lam.sum()
        if L > best + 1e-9:
            best = L
            best_lam[:] = lam
            since = 0
        else:
            since += 1
            if since >= patience:
                alpha *= 0.5
                since = 0
        if ub - best <= stop_gap or alpha < 1e-5:
            break
        g = 1.0 - _usage(p, f1, f2, P, n)
        pp = prev @ prev
        if pp > 0:
            beta = max(0.0, -1.5 * (prev @ g) / pp)
            g = g + beta * prev
        norm = g @ g
        if norm == 0.0:
            break  # the path uses every job once: it is a schedule and the bound is exact
        lam = lam + alpha * (ub - L) / norm * g
        prev = g
    return best, best_lam, it


def lagrangian_bound(p, d, w, ub: float, *, iterations: int = 10000, lam0=None, deadline=None,
                     chunk: int = 500):
    """Subgradient ascent on L(λ), in chunks so a deadline is honoured. Returns (bound, λ, iterations)."""
    n = len(p)
    P = int(p.sum())
    pi, df, wf = p.astype(np.int64), d.astype(np.float64), w.astype(np.float64)
    lam = np.zeros(n) if lam0 is None else lam0.astype(np.float64).copy()
    stop_gap = 1.0 - 1e-6 if _integral(w) else 1e-9
    best, best_lam, done = -np.inf, lam, 0
    alpha = 1.0
    while done < iterations:
        k = min(chunk, iterations - done)
        b, lam_b, it = _subgradient(pi, df, wf, best_lam.copy(), P, float(ub), k, alpha, 100, stop_gap)
        done += it
        improved = b > best + 1e-9
        if improved:
            best, best_lam = b, lam_b
        if it < k or ub - best <= stop_gap or (deadline is not None and deadline.expired()):
            break
        if not improved:
            alpha *= 0.5
        if alpha < 1e-4:
            break
    return best, best_lam, done


def _integral(w) -> bool:
    return np.asarray(w).dtype.kind in "iu" or bool(np.all(np.asarray(w) == np.round(w)))


# ------------------------------------------------------------------ precedence (Emmons' rules, weighted form)
@njit(cache=True)
def emmons_precedence(p, d, w):
    """before[i, j] = True when some optimal schedule has i before j, by the rules of Emmons (1969) in the
    weighted form of Rinnooy Kan, Lageweg & Lenstra (1975), with B_j / A_j the jobs known to come before / after
    j, E_j = p(B_j) + p_j and L_i = P - p(A_i):
      (1) p_i <= p_j, w_i >= w_j and d_i <= max(d_j, E_j);
      (2) p_i > p_j, w_i >= w_j, d_i <= d_j and d_j + p_j >= L_i;
      (3) d_j >= L_i (j then finishes on time after i).
    Relations are closed transitively as they are found; a pair already ordered is never reversed."""
    n = len(p)
    P = 0
    for j in range(n):
        P += p[j]
    before = np.zeros((n, n), dtype=np.bool_)
    pB = np.zeros(n, dtype=np.int64)  # p(B_j)
    pA = np.zeros(n, dtype=np.int64)  # p(A_i)
    changed = True
    while changed:
        changed = False
        for i in range(n):
            for j in range(n):
                if i == j or before[i, j] or before[j, i]:
                    continue
                E_j = pB[j] + p[j]
                L_i = P - pA[i]
                rule = False
                if p[i] <= p[j] and w[i] >= w[j] and d[i] <= max(d[j], E_j):
                    # identical jobs: order by index so the rule cannot fire both ways
                    rule = not (p[i] == p[j] and w[i] == w[j] and d[i] == d[j] and i > j)
                elif p[i] > p[j] and w[i] >= w[j] and d[i] <= d[j] and d[j] + p[j] >= L_i:
                    rule = True
                elif d[j] >= L_i:
                    rule = True
                if not rule:
                    continue
                # add i -> j and close: every a before-or-equal i precedes every b after-or-equal j
                for a in range(n):
                    if a != i and not before[a, i]:
                        continue
                    for b in range(n):
                        if b != j and not before[j, b]:
                            continue
                        if a != b and not before[a, b]:
                            before[a, b] = True
                            pB[b] += p[a]
                            pA[a] += p[b]
                changed = True
    return before


def _pred_words(before, K):
    n = before.shape[0]
    out = np.zeros((n, K), dtype=np.uint64)
    for j in range(n):
        for i in np.flatnonzero(before[:, j]):
            out[j, i >> 6] |= np.uint64(1) << np.uint64(i & 63)
    return out


# ------------------------------------------------------------------ DP over job sets
@njit(cache=True)
def _hash(words, r):
    h = np.uint64(1469598103934665603)
    for k in range(words.shape[1]):
        h = (h ^ words[r, k]) * np.uint64(1099511628211)
        h ^= h >> np.uint64(29)
    return np.int64(h & np.uint64(0x7FFFFFFFFFFFFFFF))


@njit(cache=True)
def _expand(words, g, t, last, p, d, w, lam, b1, f1, b2, lam_left, cutoff, cap, pred):
    """All children of one level that survive the bound and the adjacent-swap test, merged by job set.
    Returns the next level (words, g, t, last, parent) and, for bound reporting, the smallest child bound
    (inf when no child survives). count = -1 means the state budget `cap` was exceeded."""
    m, K = words.shape
    n = len(p)
    nw = np.empty((cap, K), dtype=np.uint64)
    ng = np.empty(cap)
    nt = np.empty(cap, dtype=np.int64)
    nlast = np.empty(cap, dtype=np.int64)
    npar = np.empty(cap, dtype=np.int64)
    table = Dict.empty(key_type=types.int64, value_type=types.int64)
    count = 0
    low = np.inf
    for s in range(m):
        ts = t[s]
        l = last[s]
        for j in range(n):
            word = j >> 6
            bit = np.uint64(1) << np.uint64(j & 63)
            if words[s, word] & bit:
                continue
            ready = True
            for k in range(K):  # every job that must precede j is already sequenced
                if pred[j, k] & ~words[s, k]:
                    ready = False
                    break
            if not ready:
                continue
            u = ts + p[j]
            cj = w[j] * (u - d[j]) if u > d[j] else 0.0
            if l >= 0:  # would j before l be strictly cheaper? then this order is not the cheapest of the set
                a = ts - p[l]
                cl_now = w[l] * (ts - d[l]) if ts > d[l] else 0.0
                cj_sw = w[j] * (a + p[j] - d[j]) if a + p[j] > d[j] else 0.0
                cl_sw = w[l] * (u - d[l]) if u > d[l] else 0.0
                if cj_sw + cl_sw < cl_now + cj - 1e-9:
                    continue
            gj = g[s] + cj
            rest = b1[u] if f1[u] != j else b2[u]
            lb = gj + rest + lam_left[s] - lam[j]
            if lb > cutoff:
                continue
            # merge by job set
            hh = np.uint64(1469598103934665603)
            for k in range(K):
                x = words[s, k] | bit if k == word else words[s, k]
                hh = (hh ^ x) * np.uint64(1099511628211)
                hh ^= hh >> np.uint64(29)
            h = np.int64(hh & np.uint64(0x7FFFFFFFFFFFFFFF))
            while True:
                idx = -1
                if h not in table:
                    break
                idx = table[h]
                same = True
                for k in range(K):
                    x = words[s, k] | bit if k == word else words[s, k]
                    if nw[idx, k] != x:
                        same = False
                        break
                if same:
                    break
                h = (h + 1) & np.int64(0x7FFFFFFFFFFFFFFF)  # hash collision: probe on
            if idx >= 0:
                if gj < ng[idx] - 1e-9:
                    ng[idx] = gj
                    nlast[idx] = j
                    npar[idx] = s
                if lb < low:
                    low = lb
                continue
            if count >= cap:
                return nw[:0], ng[:0], nt[:0], nlast[:0], npar[:0], low, -1
            for k in range(K):
                nw[count, k] = words[s, k]
            nw[count, word] |= bit
            ng[count] = gj
            nt[count] = u
            nlast[count] = j
            npar[count] = s
            table[h] = count
            count += 1
            if lb < low:
                low = lb
    return nw[:count], ng[:count], nt[:count], nlast[:count], npar[:count], low, count


@njit(cache=True)
def _lam_left(words, lam_total, lam):
    m, K = words.shape
    out = np.empty(m)
    for s in range(m):
        v = lam_total
        for k in range(K):
            x = words[s, k]
            while x:
                low = x & (~x + np.uint64(1))
                b = 0
                y = low
                while y > np.uint64(1):
                    y >>= np.uint64(1)
                    b += 1
                v -= lam[k * 64 + b]
                x ^= low
        out[s] = v
    return out


def _start_sequence(p, d, w):
    cands = [RULES[r](p, d, w) for r in ("atc", "wmdd", "mdd", "edd")]
    return min(cands, key=lambda s: sequence_cost(s, p.astype(np.float64), d.astype(np.float64), w.astype(np.float64)))


def solve_tardiness(p, d, w, *, time_limit: float | None = None, max_states: int = 4_000_000,
                    lagrangian_iterations: int = 1000, seed: int = 0, rel_gap: float = 0.0,
                    abs_gap: float = 0.0) -> TardinessResult:
    from ..options import Deadline

    t0 = time.perf_counter()
    deadline = Deadline(time_limit)
    p = np.asarray(p, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    w = np.asarray(w)
    n = len(p)
    pf, df, wf = p.astype(np.float64), d.astype(np.float64), w.astype(np.float64)
    integral = _integral(w)
    stats: dict = {}

    # 0. equal weights: Lawler's decomposition is exact and far faster than the bound-driven DP
    if n and np.all(wf == wf[0]) and wf[0] > 0:
        from .lawler import Timeout, solve_unweighted

        try:
            value, order, st = solve_unweighted(p, d, deadline=deadline)
        except Timeout:
            stats["decomposition"] = "stopped at the time or memo limit"
        else:
            stats.update(method="lawler-decomposition", **st, seconds=time.perf_counter() - t0)
            v = float(value * wf[0])
            return TardinessResult(order, v, v, "optimal", stats)

    # 1. incumbent
    seq = _start_sequence(p, d, w)
    seq, ub = iterated_dynasearch(seq, p, d, w, deadline=deadline, max_kicks=5000,
                                  target=0.0, seed=seed)
    stats["heuristic_seconds"] = time.perf_counter() - t0

    def result(bound, stopped):
        bound = min(bound, ub)
        if integral:
            bound = float(np.ceil(bound - 1e-6))
        stats["seconds"] = time.perf_counter() - t0
        return TardinessResult(np.asarray(seq, dtype=np.int64), float(ub), float(bound), stopped, stats)

    def closed(lb):
        lb_eff = np.ceil(lb - 1e-6) if integral else lb
        return ub - lb_eff <= max(abs_gap, rel_gap * abs(ub)) + 1e-9

    if ub <= 1e-9:
        return result(0.0, "optimal")

    # 2. Lagrangian bound, then 3. the DP over job sets. When the DP outgrows a small state budget the
    # multipliers are not good enough yet: more subgradient iterations (warm), then a larger budget.
    K = (n + 63) // 64
    before = emmons_precedence(p, d, wf)
    stats["precedences"] = int(before.sum())
    pred = _pred_words(before, K)
    P = int(p.sum())
    lam = None
    lb = 0.0
    its_total = 0
    budget = min(max_states, 200_000)
    rounds = 0
    while True:
        rounds += 1
        b, lam, its = lagrangian_bound(p, d, w, ub, iterations=lagrangian_iterations, lam0=lam, deadline=deadline)
        its_total += its
        lb = max(lb, b, 0.0)
        stats.update(lagrangian_bound=float(lb), lagrangian_iterations=its_total, rounds=rounds)
        if closed(lb):
            return result(lb, "optimal")
        if deadline.expired():
            return result(lb, "time_limit")
        out = _set_dp(p, df, wf, lam, P, ub, integral, budget, pred, deadline)
        kind = out[0]
        if kind == "overflow":
            if budget >= max_states and its < lagrangian_iterations:
                stats.update(peak_states=out[1])
                return result(lb, "memory_limit")  # the subgradient has stalled and the budget is spent
            budget = min(max_states, budget * 4)
            continue
        if kind == "time_limit":
            stats.update(peak_states=out[2])
            return result(max(lb, out[1]), "time_limit")
        if kind == "none":
            stats.update(peak_states=out[1])
            return result(ub, "optimal")
        order, peak = out[1], out[2]
        stats.update(peak_states=peak)
        val = sequence_cost(order, pf, df, wf)
        if val < ub:
            seq, ub = order, val
        return result(ub, "optimal")


def _set_dp(p, df, wf, lam, P, ub, integral, budget, pred, deadline):
    """Run the DP over job sets. Returns ("overflow", peak) | ("time_limit", bound, peak) | ("none", peak)
    when nothing beats ub | ("found", sequence, peak)."""
    n = len(p)
    K = pred.shape[1]
    b1, f1, b2, f2 = backward_paths(p, df, wf, lam, P)
    cutoff = ub - (1.0 - 1e-6 if integral else 1e-9)
    words = np.zeros((1, K), dtype=np.uint64)
    g = np.zeros(1)
    tt = np.zeros(1, dtype=np.int64)
    last = np.full(1, -1, dtype=np.int64)
    lam_total = float(lam.sum())
    parents, jobs = [], []
    peak = 0
    per_state = 0.0  # seconds per expanded state on the last level (levels run in numba, without a clock)
    low = -np.inf
    for level in range(n):
        if deadline.limit is not None and level and per_state * len(g) > deadline.remaining():
            return ("time_limit", low, peak)  # this level would overrun the time limit
        started, expanded = time.perf_counter(), len(g)
        lam_left = _lam_left(words, lam_total, lam)
        words, g, tt, last, par, low, count = _expand(words, g, tt, last, p, df, wf, lam, b1, f1, b2, lam_left,
                                                      cutoff, budget, pred)
        if count < 0:
            return ("overflow", max(peak, budget))
        peak = max(peak, count)
        if count == 0:
            return ("none", peak)
        per_state = (time.perf_counter() - started) / max(1, expanded)
        parents.append(par)
        jobs.append(last.copy())
        if deadline.expired() and level < n - 1:
            return ("time_limit", low, peak)
    best = int(np.argmin(g))
    order = np.empty(n, dtype=np.int64)
    s = best
    for level in range(n - 1, -1, -1):
        order[level] = jobs[level][s]
        s = parents[level][s]
    return ("found", order, peak)
