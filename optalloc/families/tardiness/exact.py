"""Exact 1||Σw_jT_j: Lagrangian time-indexed bounds with node elimination, successive sublimation, and a
bounded dynamic program over job sets as the last resort.

With equal weights (1||ΣT_j) Lawler's decomposition (optalloc.families.tardiness.lawler) runs first; the steps below
take over only if it does not finish.

1. Upper bound: iterated dynasearch from the best dispatching rule.
2. Lower bound: the time-indexed relaxation. Relaxing "each job exactly once" with multipliers λ leaves a
   shortest path over time 0..P (P = Σp) in which any job may be used any number of times. The path costs
   Σ(w_jT_j - λ_j); L(λ) = path + Σλ; λ is improved by subgradient steps. Two strengths, after Tanaka,
   Fujikuma & Araki (2009):
   - level 1: no job twice in a row; the DP over time keeps the best and second-best first job.
   - level 2: the DP state is (time, previous job), and a pair j -> k is forbidden when k must precede j
     (Emmons), when swapping the two is strictly cheaper, or when the swap costs the same and k comes first
     in a fixed order that extends Emmons' precedences (some optimal schedule has none of these pairs).
     The tie rule is what makes level 2 tight: without it, any order of a run of on-time jobs is a path of
     the same cost, so the relaxation may repeat jobs there for free.
   Both keep every job inside the window its Emmons predecessors and successors leave it. The DP runs
   backwards, so B[t, j] bounds the cost of filling [t, P] after job j ended at t; a forward twin gives
   F[t, j], and a node (t, j) with F + B + Σλ above the cutoff is eliminated for good.
3. Successive sublimation (Tanaka et al.): on the surviving nodes, the jobs the relaxed path misuses become
   state-space modifiers (the state remembers which of them are done), round after round, until the path is
   a schedule (optimal) or nothing is left below the cutoff (the incumbent is optimal).
4. If the modifier graph outgrows its budget: forward DP over the set S of jobs already sequenced (its end
   time is p(S), so the cost to go depends on S only, and two orders of S keep only the cheaper). A state is
   dropped when its cost plus B[p(S), last] + Σ_{j∉S} λ_j cannot beat the incumbent, or when swapping its
   last two jobs is strictly cheaper. When the last level is reached the incumbent is optimal; when the
   time or the state budget runs out, the smallest bound over the live states is a proven lower bound.

Times are integers, so with integral weights an improving solution must be at least 1 below the incumbent
and states within 1 of it are dropped too."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from numba import njit, types
from numba.typed import Dict

from optalloc.families.tardiness.heuristics import RULES, edd, iterated_dynasearch, sequence_cost, wspt
from optalloc.families.tardiness.problems import largest_cost
from optalloc.engines.subgradient import track_best
from optalloc import trace


@dataclass
class TardinessResult:
    """The dedicated solver's answer: the sequence, its value, the proven lower bound, why it stopped and
    statistics."""

    sequence: np.ndarray
    value: float
    bound: float
    stopped: str  # optimal | time_limit | memory_limit
    stats: dict = field(default_factory=dict)


# ------------------------------------------------------------------ Lagrangian time-indexed bounds
@njit(cache=True)
def _tard(j, u, d, w):
    return w[j] * (u - d[j]) if u > d[j] else 0.0


@njit(cache=True)
def backward_paths(p, d, w, lam, P, E, L):
    """Level 1. b1[t]: cheapest pseudo-schedule of [t, P] (costs w_jT_j - λ_j, no job twice in a row, every
    job inside [E_j, L_j]); f1[t] its first job; b2[t], f2[t]: the cheapest whose first job differs."""
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
            if u > P or t < E[j] or u > L[j]:
                continue
            nxt = b1[u] if f1[u] != j else b2[u]
            if nxt == np.inf:
                continue
            val = _tard(j, u, d, w) - lam[j] + nxt
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
def _pair_allowed(j, k, t, p, d, w, before, rank):
    """May k start at t right after j (which ends at t)? Not when k must precede j, nor when the swapped
    pair k, j over the same interval is strictly cheaper, nor when it costs the same and k ranks first.

    The tie rule is sound because `rank` is a linear order that extends `before`: from any optimal schedule,
    swapping such tied pairs keeps it optimal, never breaks a precedence, and removes one inversion of the
    rank order each time, so an optimal schedule without them exists. All-zero ranks switch the rule off.
    It matters: without it every order of a block of on-time jobs is a path of the same cost, and no bound
    can eliminate any of them."""
    if k == j or before[k, j]:
        return False
    s = t - p[j]
    now = _tard(j, t, d, w) + _tard(k, t + p[k], d, w)
    swapped = _tard(k, s + p[k], d, w) + _tard(j, t + p[k], d, w)
    if swapped < now - 1e-9:
        return False
    return not (swapped == now and rank[k] < rank[j])


@njit(cache=True)
def _keep_best(top, topv, cnt, val, idx):
    """Insert (val, idx) into the sorted list of the len(top) cheapest seen so far; returns its new length."""
    K = len(top)
    if cnt < K or val < topv[cnt - 1]:
        pos = cnt if cnt < K else K - 1
        while pos > 0 and topv[pos - 1] > val:
            topv[pos] = topv[pos - 1]
            top[pos] = top[pos - 1]
            pos -= 1
        topv[pos] = val
        top[pos] = idx
        if cnt < K:
            cnt += 1
    return cnt


@njit(cache=True)
def _cheapest_allowed(a, a_first, t, costs, top, cnt, order, p, d, w, before, rank):
    """The cheapest b (finite costs[b]) that may neighbour job a at time t: b right after a when `a_first`,
    else a right after b. `top` holds the cnt cheapest, sorted; only when all of those are forbidden (common
    under the tie rule, in on-time stretches) are all candidates walked in cost order. That order is sorted
    once per caller's time step: pass an empty `order` first, and the returned one after. Returns (b or -1,
    order)."""
    for q in range(cnt):
        b = top[q]
        first, second = (a, b) if a_first else (b, a)
        if _pair_allowed(first, second, t, p, d, w, before, rank):
            return b, order
    if cnt < len(top):
        return -1, order  # every candidate was in `top`
    if len(order) == 0:
        order = np.argsort(costs)
    for q in range(len(order)):  # from 0: with equal costs the sort may order the first cnt otherwise
        b = order[q]
        if costs[b] == np.inf:
            break
        first, second = (a, b) if a_first else (b, a)
        if _pair_allowed(first, second, t, p, d, w, before, rank):
            return b, order
    return -1, order


@njit(cache=True)
def backward_lr2(p, d, w, lam, P, E, L, before, rank, alive, M):
    """Level 2 with state-space modifiers M (Tanaka et al.'s successive sublimation). B[t, j, mask]: cheapest
    pseudo-schedule of [t, P] after job j ended at t, when `mask` holds the jobs of M already used before t;
    the rest must use every other job of M exactly once. No forbidden pair (see _pair_allowed), every job
    inside its window; row n of the second axis is the empty start (t = 0, mask 0). With M empty this is
    plain level 2. Per (t, mask) the few best starters are kept sorted, so most (t, j) cost O(1)."""
    n = len(p)
    m = len(M)
    full = (1 << m) - 1
    bit = np.zeros(n, dtype=np.int64)
    for q in range(m):
        bit[M[q]] = 1 << q
    K = 8
    B = np.full((P + 1, n + 1, full + 1), np.inf)
    B[P, :, full] = 0.0
    v = np.empty(n)
    top = np.empty(K, dtype=np.int64)
    topv = np.empty(K)
    no_order = np.zeros(0, dtype=np.int64)
    for t in range(P - 1, -1, -1):
        for mask in range(full + 1):
            cnt = 0
            for k in range(n):
                u = t + p[k]
                v[k] = np.inf
                if u > P or t < E[k] or u > L[k] or mask & bit[k] or not alive[u, k]:
                    continue
                b = B[u, k, mask | bit[k]]
                if b == np.inf:
                    continue
                val = _tard(k, u, d, w) - lam[k] + b
                v[k] = val
                cnt = _keep_best(top, topv, cnt, val, k)
            if cnt == 0:
                continue
            if t == 0 and mask == 0:
                B[0, n, 0] = topv[0]
            order = no_order
            for j in range(n):
                s = t - p[j]
                if s < 0 or s < E[j] or t > L[j] or (bit[j] and not mask & bit[j]) or not alive[t, j]:
                    continue  # j cannot end at t with this mask, or no improving schedule has it there
                found, order = _cheapest_allowed(j, True, t, v, top, cnt, order, p, d, w, before, rank)
                if found >= 0:
                    B[t, j, mask] = v[found]
    return B


@njit(cache=True)
def _lr2_path(B, p, d, w, lam, P, E, L, before, rank, alive, M):
    """Job usage of the cheapest level-2 path, rebuilt forwards from the table, and the path's jobs."""
    n = len(p)
    bit = np.zeros(n, dtype=np.int64)
    for q in range(len(M)):
        bit[M[q]] = 1 << q
    x = np.zeros(n)
    seq = np.empty(P, dtype=np.int64)
    steps = 0
    t = 0
    j = n
    mask = 0
    while t < P:
        target = B[t, j, mask]
        pick = -1
        for k in range(n):
            u = t + p[k]
            if u > P or t < E[k] or u > L[k] or mask & bit[k] or not alive[u, k]:
                continue
            if j < n and not _pair_allowed(j, k, t, p, d, w, before, rank):
                continue
            val = _tard(k, u, d, w) - lam[k] + B[u, k, mask | bit[k]]
            if abs(val - target) <= 1e-7 * max(1.0, abs(target)):
                pick = k
                break
        if pick < 0:
            break  # cannot happen for a finite table entry; guards an endless loop
        x[pick] += 1.0
        seq[steps] = pick
        steps += 1
        t += p[pick]
        mask |= bit[pick]
        j = pick
    return x, seq[:steps]


@njit(cache=True)
def forward_lr2(p, d, w, lam, P, E, L, before, rank, alive):
    """The forward twin of backward_lr2 without modifiers. F[t, j]: cheapest level-2 pseudo-schedule of
    [0, t] that ends with job j finishing at t (costs w_jT_j - λ_j)."""
    n = len(p)
    K = 8
    F = np.full((P + 1, n), np.inf)
    top = np.empty(K, dtype=np.int64)
    topv = np.empty(K)
    no_order = np.zeros(0, dtype=np.int64)
    for s in range(P):
        # the best few jobs ending at s, sorted; s = 0 is the empty start, which any job may follow
        cnt = 0
        if s > 0:
            for i in range(n):
                val = F[s, i]
                if val == np.inf:
                    continue
                cnt = _keep_best(top, topv, cnt, val, i)
            if cnt == 0:
                continue
        order = no_order
        for k in range(n):
            u = s + p[k]
            if u > P or s < E[k] or u > L[k] or not alive[u, k]:
                continue
            if s == 0:
                F[u, k] = _tard(k, u, d, w) - lam[k]
                continue
            i, order = _cheapest_allowed(k, False, s, F[s], top, cnt, order, p, d, w, before, rank)
            if i >= 0:
                F[u, k] = F[s, i] + _tard(k, u, d, w) - lam[k]
    return F


@njit(cache=True)
def eliminate_nodes(F, B, lam, cutoff, alive):
    """Node elimination (Tanaka et al.): job j cannot end at t in any schedule of cost <= cutoff when the
    cheapest pseudo-schedule through (t, j), F + B + Σλ, already exceeds it. That holds for every λ (a schedule
    pays each λ_j exactly once), so a node once dead stays dead. A margin far above the rounding error of
    F and B keeps the test safe. Returns how many nodes are alive."""
    P1, n = F.shape
    lam_sum = lam.sum()
    scale = 0.0
    for t in range(P1):
        for j in range(n):
            if alive[t, j] and F[t, j] < np.inf and B[t, j, 0] < np.inf:
                scale = max(scale, abs(F[t, j]) + abs(B[t, j, 0]))
    margin = 1e-9 * (scale + np.abs(lam).sum() + 1.0)
    count = 0
    for t in range(P1):
        for j in range(n):
            if not alive[t, j]:
                continue
            if F[t, j] == np.inf or B[t, j, 0] == np.inf or F[t, j] + B[t, j, 0] + lam_sum - margin > cutoff:
                alive[t, j] = False
            else:
                count += 1
    return count


@njit(cache=True)
def _relaxation(level, p, d, w, lam, P, E, L, before, rank, alive, M):
    """The relaxed path's cost (without Σλ) and how often it uses each job."""
    n = len(p)
    x = np.zeros(n)
    if level == 1:
        b1, f1, b2, f2 = backward_paths(p, d, w, lam, P, E, L)
        if b1[0] == np.inf:
            return np.inf, x
        t = 0
        prev = -1
        while t < P:
            j = f1[t] if f1[t] != prev else f2[t]
            x[j] += 1.0
            prev = j
            t += p[j]
        return b1[0], x
    B = backward_lr2(p, d, w, lam, P, E, L, before, rank, alive, M)
    if B[0, n, 0] == np.inf:
        return np.inf, x
    x, _ = _lr2_path(B, p, d, w, lam, P, E, L, before, rank, alive, M)
    return B[0, n, 0], x


@njit(cache=True)
def _subgradient(level, p, d, w, lam, P, E, L, before, rank, alive, M, ub, iterations, alpha, patience, stop_gap):
    """Deflected subgradient ascent (Camerini-Fratta-Maffioli direction, Polyak step towards `ub`). The step
    halves after `patience` iterations without a better bound. Stops when ub - bound <= stop_gap.

    Each L(λ) is lowered by a bound on its floating-point error, so a returned bound never crosses the
    optimum by rounding; multipliers that leave a box no optimal λ needs are reset to the best ones."""
    n = len(p)
    best = -np.inf
    best_lam = lam.copy()
    since = 0
    prev = np.zeros(n)
    wmax = 0.0
    dmax = 0.0
    for j in range(n):
        wmax = max(wmax, abs(w[j]))
        dmax = max(dmax, abs(d[j]))
    # a job's cost ranges over [0, w_max (P + |d|_max)]; multipliers far beyond that only lose precision
    cost_scale = wmax * (P + dmax) + 1.0
    lam_cap = 16.0 * cost_scale
    eps = 2.3e-16
    it = 0
    for it in range(1, iterations + 1):
        path, used = _relaxation(level, p, d, w, lam, P, E, L, before, rank, alive, M)
        if path == np.inf:
            return np.inf, best_lam, it  # no pseudo-schedule fits the windows: nothing beats the incumbent
        # the DP adds at most P terms along a path, each below cost_scale + |λ|_max in size; every partial sum
        # carries a relative error of eps
        lam_abs = np.abs(lam)
        err = 4.0 * eps * (P + n + 2) * (n * cost_scale + P * lam_abs.max() + lam_abs.sum() + abs(path))
        Lv = path + lam.sum() - err
        improved, best, since, alpha = track_best(Lv, best, since, alpha, patience)
        if improved:
            best_lam[:] = lam
        if ub - best <= stop_gap or alpha < 1e-5:
            break
        g = 1.0 - used
        norm = g @ g
        if norm == 0.0:
            break  # the path uses every job once: it is a schedule and the bound is exact
        pp = prev @ prev
        if pp > 0:
            beta = max(0.0, -1.5 * (prev @ g) / pp)
            dg = g + beta * prev
            # deflect only while the direction still ascends: with g nearly opposite the previous direction,
            # g + 1.5 proj would point downhill and the Polyak step would then grow without end
            if dg @ g > 1e-12:
                g = dg
                norm = g @ g
        lam = lam + alpha * (ub - Lv) / norm * g
        if np.abs(lam).max() > lam_cap:
            lam = best_lam.copy()
            alpha *= 0.5
            g = np.zeros(n)
        prev = g
    return best, best_lam, it


def job_windows(p, before):
    """E_j = p(jobs that must precede j), L_j = P - p(jobs that must follow j)."""
    p = np.asarray(p, dtype=np.int64)
    return before.T.astype(np.int64) @ p, int(p.sum()) - before.astype(np.int64) @ p


def tie_ranks(d, before):
    """A linear order extending `before` (earliest due date first among the jobs free to go next), used to
    break ties in the adjacent-pair rule (see _pair_allowed)."""
    import heapq

    n = before.shape[0]
    indeg = before.sum(axis=0).astype(np.int64)
    heap = [(int(d[j]), j) for j in range(n) if indeg[j] == 0]
    heapq.heapify(heap)
    rank = np.empty(n, dtype=np.int64)
    r = 0
    while heap:
        _, j = heapq.heappop(heap)
        rank[j] = r
        r += 1
        for k in np.flatnonzero(before[j]):
            indeg[k] -= 1
            if indeg[k] == 0:
                heapq.heappush(heap, (int(d[k]), int(k)))
    if r != n:
        raise ValueError("the precedence relation has a cycle")  # Emmons' closure never makes one
    return rank


def lagrangian_bound(p, d, w, ub: float, *, iterations: int = 10000, lam0=None, deadline=None,
                     chunk: int = 500, level: int = 1, before=None, patience: int = 100, alpha: float = 1.0,
                     modifiers=None, rank=None, alive=None):
    """Subgradient ascent on L(λ) at `level` (1 or 2, level 2 with the state-space `modifiers`), in chunks so
    a deadline is honoured. `before` is a precedence matrix (Emmons) whose windows and pairs restrict the
    relaxation; `rank` (tie_ranks) adds the tie rule to the pair test.

    `alive` ((P+1) x n booleans, updated in place) turns on node elimination at level 2: after every chunk
    the nodes that no schedule better than `ub` can use are dropped, so later iterations get cheaper and the
    bound may rise past `ub` (even to inf: then nothing beats `ub`). Returns (bound, λ, iterations)."""
    n = len(p)
    P = int(p.sum())
    if not time_indexed_fits(n, P):
        return -np.inf, (np.zeros(n) if lam0 is None else np.asarray(lam0, dtype=np.float64)), 0
    pi, df, wf = np.asarray(p, dtype=np.int64), np.asarray(d, dtype=np.float64), np.asarray(w, dtype=np.float64)
    if before is None:
        before = np.zeros((n, n), dtype=np.bool_)
    E, L = job_windows(pi, before)
    rank = np.zeros(n, dtype=np.int64) if rank is None else np.asarray(rank, dtype=np.int64)
    M = np.zeros(0, dtype=np.int64) if modifiers is None else np.asarray(modifiers, dtype=np.int64)
    lam = np.zeros(n) if lam0 is None else lam0.astype(np.float64).copy()
    stop_gap = 1.0 - 1e-6 if _integral(w) else float_tolerance(p, w)
    eliminating = alive is not None and level == 2 and len(M) == 0 and np.isfinite(ub)
    if alive is None:
        alive = np.ones((P + 1, n), dtype=np.bool_)
    best, best_lam, done = -np.inf, lam, 0
    per_it = None  # seconds per iteration, measured on the first chunk, so later chunks fit the deadline
    while done < iterations:
        k = min(chunk, iterations - done)
        if per_it is None:
            # a short first chunk, with or without a limit: it times the iterations, and at level 2 the node
            # elimination after it makes the rest cheaper (wt40 at level 2: 0.16 s -> 0.06 s a solve); one
            # iteration under a limit at level 2, where an iteration of a 100-job instance takes 0.3 s
            timed = deadline is not None and deadline.limit is not None
            k = min(k, 1 if timed and level == 2 else 2)
        elif deadline is not None and deadline.limit is not None:
            k = max(1, min(k, int(0.85 * deadline.remaining() / per_it)))
        started = time.perf_counter()
        b, lam_b, it = _subgradient(level, pi, df, wf, best_lam.copy(), P, E, L, before, rank, alive, M, float(ub),
                                    k, alpha, patience, stop_gap)
        done += it
        per_it = (time.perf_counter() - started) / max(1, it)
        improved = b > best + 1e-9
        if improved:
            best, best_lam = b, lam_b
        if eliminating and improved and best < np.inf:
            B = backward_lr2(pi, df, wf, best_lam, P, E, L, before, rank, alive, M)
            F = forward_lr2(pi, df, wf, best_lam, P, E, L, before, rank, alive)
            if eliminate_nodes(F, B, best_lam, float(ub) - stop_gap, alive) == 0:
                best = np.inf  # every node is dead: no schedule beats ub
        if it < k or ub - best <= stop_gap or (deadline is not None and deadline.expired()):
            break
        if not improved:
            alpha *= 0.5
        if alpha < 1e-4:
            break
    return best, best_lam, done  # _subgradient already lowered each L(λ) by its rounding error


MAX_TIME_CELLS = 1e8  # (horizon + 1) x jobs: the time-indexed relaxation's tables (a byte to 8 bytes a cell)


def time_indexed_fits(n: int, P: int) -> bool:
    """Whether tables indexed by (time, job) fit in memory; past this the bounds over time are not computed."""
    return float(P + 1) * float(max(n, 1)) <= MAX_TIME_CELLS


def _integral(w) -> bool:
    return np.asarray(w).dtype.kind in "iu" or bool(np.all(np.asarray(w) == np.round(w)))


def float_tolerance(p, w) -> float:
    """How close two real-weighted costs must be to count as equal here: 1e-13 of the largest cost the instance
    can have (sum(w) times the horizon), ten times below the noise the certificate allows
    (TardinessProblem.value_atol), never an absolute 1e-9 (weights near 1e-6 would lose 2e-5 of the cost)."""
    return 1e-13 * largest_cost(p, w)


# ------------------------------------------------------------------ closed-form bound
def closed_form_bound(p, d, w) -> float:
    """max(0, min Σw_jC_j - Σw_jd_j) (Smith's WSPT order minimises Σw_jC_j) and min_j w_j · max lateness of
    EDD (EDD minimises the maximum lateness, and the latest job pays at least min w per unit)."""
    # exact arithmetic (Python ints, or fractions for float weights): a bound rounded up would not be one
    W = [Fraction(x) for x in np.asarray(w).tolist()]
    s = wspt(p, d, w)
    C = np.cumsum(p[s]).tolist()
    a = sum(W[j] * c for j, c in zip(s.tolist(), C)) - sum(Wj * int(dj) for Wj, dj in zip(W, d.tolist()))
    e = edd(p, d, w)
    lmax = max(c - int(d[j]) for j, c in zip(e.tolist(), np.cumsum(p[e]).tolist()))
    best = max(Fraction(0), a, min(W) * max(lmax, 0))
    return _round_down(best)


def _round_down(x: Fraction) -> float:
    """The largest float not above x, so that a bound stays a bound after leaving exact arithmetic."""
    f = float(x)
    return f if Fraction(f) <= x else math.nextafter(f, -math.inf)



def heuristic_bound(p, d, w, ub: float, *, work: float = 2e7, deadline=None) -> float:
    """The best cheap bound: the Lagrangian bound with about `work` DP cell updates, or the closed form."""
    lb = closed_form_bound(p, d, w)
    if ub - lb < 1 - 1e-9:
        return lb
    if deadline is not None and deadline.limit is not None and deadline.remaining() < 1.0:
        return lb  # loading the bound's compiled kernels alone can take a second: keep within the limit
    iters = int(min(2000, max(5, work / max(1, len(p) * float(sum(int(x) for x in p))))))
    b, _, _ = lagrangian_bound(p, d, w, ub, iterations=iters, deadline=deadline)
    b = float(np.ceil(b - 1e-6)) if np.asarray(w).dtype.kind in "iu" else float(b)
    return max(lb, b, 0.0)



# ------------------------------------------------------------------ precedence (Emmons' rules, weighted form)
def emmons_precedence(p, d, w, deadline=None):
    """before[i, j] = True when some optimal schedule has i before j (see _emmons). With a `deadline`, the
    search stops there (Ctrl-C too) and returns the relations found so far: each one is proven on its own,
    so any subset is valid, only weaker (at n = 500 the full closure took seconds)."""
    from optalloc import interrupt

    at = None if deadline is None or deadline.limit is None else deadline.start + deadline.limit
    with interrupt.stop_flag(at) as stop:
        if deadline is not None and deadline.expired():
            stop[0] = 1
        return _emmons(np.asarray(p, dtype=np.int64), np.asarray(d), np.asarray(w), stop)


@njit(cache=True, nogil=True)  # without the GIL, so the stop flag's timer can raise it while it runs
def _emmons(p, d, w, stop):
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
    A = np.empty(n, dtype=np.int64)
    B = np.empty(n, dtype=np.int64)
    changed = True
    while changed:
        changed = False
        for i in range(n):
            if stop[0]:
                return before
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
                # add i -> j and close: every a before-or-equal i precedes every b after-or-equal j (both
                # sets are fixed while closing, as i -> j creates no cycle: listed once, not rescanned per a)
                na = 0
                for a in range(n):
                    if a == i or before[a, i]:
                        A[na] = a
                        na += 1
                nb = 0
                for b in range(n):
                    if b == j or before[j, b]:
                        B[nb] = b
                        nb += 1
                for x in range(na):
                    a = A[x]
                    for y in range(nb):
                        b = B[y]
                        if a != b and not before[a, b]:
                            before[a, b] = True
                            pB[b] += p[a]
                            pA[a] += p[b]
                changed = True
    return before


def _pred_words(before, K):
    """Row j: the jobs known to precede j as a bitset of K 64-bit words (bit i of word i // 64)."""
    n = before.shape[0]
    bits = np.zeros((n, K * 64), dtype=np.uint64)
    bits[:, :n] = before.T
    # distinct powers of two: their sum is their OR
    return (bits.reshape(n, K, 64) << np.arange(64, dtype=np.uint64)).sum(axis=2, dtype=np.uint64)


# ------------------------------------------------------------------ DP over job sets
@njit(cache=True)
def _hash(words, r):
    h = np.uint64(1469598103934665603)
    for k in range(words.shape[1]):
        h = (h ^ words[r, k]) * np.uint64(1099511628211)
        h ^= h >> np.uint64(29)
    return np.int64(h & np.uint64(0x7FFFFFFFFFFFFFFF))


@njit(cache=True)
def _expand(words, g, t, last, p, d, w, lam, B, b1, f1, b2, lam_left, cutoff, cap, pred):
    """All children of one level that survive the bound and the adjacent-swap test, merged by job set.
    The cost to go is B[u, j, 0] (level 2, no modifiers) when B has rows, else the level-1 path values.
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
            if B.shape[0] > 1:
                rest = B[u, j, 0]
            else:
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


# ------------------------------------------------------------------ successive sublimation with modifiers
_NODE_MASK = types.UniTuple(types.int64, 2)
MAX_MODIFIERS = 62  # a state's mask is one int64, with its sign bit left alone

@njit(cache=True)
def _ssdp_pass(p, d, w, lam, lam_sum, P, E, L, before, rank, alive, M, m_prev, prev_keys, prev_vals, cutoff, cap,
               cap_edges):
    """One round of the modifier DP on a sparse state graph. A state is (t, j, mask): job j ended at t and
    `mask` holds the jobs of M used so far; every other job is relaxed (priced by λ). Forward: states are
    made in time order, and a new one is kept only if its cost plus the previous round's cost to go (the
    same state with the mask cut to the first m_prev modifiers: a weaker relaxation, so a valid bound) stays
    within `cutoff`; a state the previous round found dead stays dead. Backward: the cost to go over the
    kept edges. Returns (status, bound without Σλ, the best path's jobs, alive keys, their costs to go);
    status 0 done, 1 state or edge budget exceeded."""
    n = len(p)
    m = len(M)
    bit = np.zeros(n, dtype=np.int64)
    for q in range(m):
        bit[M[q]] = 1 << q
    full = (1 << m) - 1
    prevmask = (1 << m_prev) - 1
    # a state's key is (node, mask): node = t * (n + 1) + j, mask one bit per modifier (up to 62)
    prev = Dict.empty(key_type=_NODE_MASK, value_type=types.float64)
    for i in range(len(prev_vals)):
        prev[(prev_keys[i, 0], prev_keys[i, 1])] = prev_vals[i]
    st_t = np.empty(cap, dtype=np.int64)
    st_j = np.empty(cap, dtype=np.int64)
    st_mask = np.empty(cap, dtype=np.int64)
    st_F = np.empty(cap)
    st_pred = np.empty(cap, dtype=np.int64)
    nxt = np.empty(cap, dtype=np.int64)
    e_start = np.empty(cap, dtype=np.int64)
    e_end = np.empty(cap, dtype=np.int64)
    e_to = np.empty(cap_edges, dtype=np.int64)
    head = np.full(P + 1, -1, dtype=np.int64)
    index = Dict.empty(key_type=_NODE_MASK, value_type=types.int64)
    empty_i = np.zeros(0, dtype=np.int64)
    empty_k = np.zeros((0, 2), dtype=np.int64)
    empty_f = np.zeros(0)
    st_t[0] = 0
    st_j[0] = n
    st_mask[0] = 0
    st_F[0] = 0.0
    st_pred[0] = -1
    nxt[0] = -1
    head[0] = 0
    count = 1
    ne = 0
    for t in range(P):
        s = head[t]
        while s >= 0:
            j = st_j[s]
            mask = st_mask[s]
            F = st_F[s]
            e_start[s] = ne
            for k in range(n):
                if mask & bit[k]:
                    continue
                u = t + p[k]
                if u > P or t < E[k] or u > L[k] or not alive[u, k]:
                    continue
                if j < n and not _pair_allowed(j, k, t, p, d, w, before, rank):
                    continue
                nm = mask | bit[k]
                node = np.int64(u * (n + 1) + k)
                kp = (node, nm & prevmask)
                if kp not in prev:
                    continue
                Fk = F + _tard(k, u, d, w) - lam[k]
                if Fk + prev[kp] + lam_sum > cutoff:
                    continue
                key = (node, nm)
                if key in index:
                    idx = index[key]
                    if Fk < st_F[idx]:
                        st_F[idx] = Fk
                        st_pred[idx] = s
                else:
                    if count >= cap:
                        return 1, np.inf, empty_i, empty_k, empty_f
                    idx = count
                    count += 1
                    index[key] = idx
                    st_t[idx] = u
                    st_j[idx] = k
                    st_mask[idx] = nm
                    st_F[idx] = Fk
                    st_pred[idx] = s
                    nxt[idx] = head[u]
                    head[u] = idx
                if ne >= cap_edges:
                    return 1, np.inf, empty_i, empty_k, empty_f
                e_to[ne] = idx
                ne += 1
            e_end[s] = ne
            s = nxt[s]
    Bv = np.full(count, np.inf)
    s = head[P]
    best_end = -1
    while s >= 0:
        if st_mask[s] == full:
            Bv[s] = 0.0
            if best_end < 0 or st_F[s] < st_F[best_end]:
                best_end = s
        e_start[s] = 0
        e_end[s] = 0
        s = nxt[s]
    for t in range(P - 1, -1, -1):
        s = head[t]
        while s >= 0:
            best = np.inf
            for e in range(e_start[s], e_end[s]):
                o = e_to[e]
                val = _tard(st_j[o], st_t[o], d, w) - lam[st_j[o]] + Bv[o]
                if val < best:
                    best = val
            Bv[s] = best
            s = nxt[s]
    kept = 0
    for s in range(1, count):
        if st_F[s] + Bv[s] + lam_sum <= cutoff:
            kept += 1
    keys = np.empty((kept, 2), dtype=np.int64)
    vals = np.empty(kept)
    a = 0
    for s in range(1, count):
        if st_F[s] + Bv[s] + lam_sum <= cutoff:
            keys[a, 0] = st_t[s] * (n + 1) + st_j[s]
            keys[a, 1] = st_mask[s]
            vals[a] = Bv[s]
            a += 1
    if best_end < 0 or Bv[0] == np.inf:
        return 0, np.inf, empty_i, keys, vals
    length = 0
    s = best_end
    while s > 0:
        length += 1
        s = st_pred[s]
    path = np.empty(length, dtype=np.int64)
    s = best_end
    for q in range(length - 1, -1, -1):
        path[q] = st_j[s]
        s = st_pred[s]
    return 0, Bv[0], path, keys, vals


@njit(cache=True)
def _dense_keys(B, P, n):
    """The level-2 table (no modifiers) as the sparse (node, mask) keys and costs to go of round 0."""
    cnt = 0
    for t in range(P + 1):
        for j in range(n):
            if B[t, j, 0] < np.inf:
                cnt += 1
    keys = np.zeros((cnt, 2), dtype=np.int64)
    vals = np.empty(cnt)
    c = 0
    for t in range(P + 1):
        for j in range(n):
            if B[t, j, 0] < np.inf:
                keys[c, 0] = t * (n + 1) + j
                vals[c] = B[t, j, 0]
                c += 1
    return keys, vals


def successive_sublimation(p, df, wf, lam, P, before, rank, ub, cutoff, deadline, *, step: int = 4,
                           max_states: int = 3_000_000, max_edges: int = 30_000_000, alive=None):
    """Stage 3 of Tanaka et al.: grow the modifier set M with the jobs the relaxed path misuses, pruning
    states with the previous round's costs to go, until the path is a schedule or the bound reaches the
    incumbent. Returns (stopped, bound, sequence or None, stats): stopped is "optimal" (the sequence, if
    any, is optimal; else the incumbent is), "memory_limit" or "time_limit"."""
    n = len(p)
    E, L = job_windows(p, before)
    if alive is None:
        alive = np.ones((P + 1, n), dtype=np.bool_)
    lam_sum = float(lam.sum())
    B = backward_lr2(p, df, wf, lam, P, E, L, before, rank, alive, np.zeros(0, dtype=np.int64))
    keys, vals = _dense_keys(B, P, n)
    used, path = _lr2_path(B, p, df, wf, lam, P, E, L, before, rank, alive, np.zeros(0, dtype=np.int64))
    bound = B[0, n, 0] + lam_sum
    M: list[int] = []
    stats = {"rounds": 0}
    # round 0 (no modifiers) on the sparse graph keeps only the (time, job) nodes that some path within the
    # cutoff goes through; a round with `step` more modifiers can have up to 2^step states per node
    started = time.perf_counter()
    status, b, _, keys, vals = _ssdp_pass(p, df, wf, lam, lam_sum, P, E, L, before, rank, alive,
                                          np.zeros(0, dtype=np.int64), 0, keys, vals, cutoff, max_states, max_edges)
    per_state = (time.perf_counter() - started) / max(1, len(keys))  # seconds per kept state, an overestimate
    stats["alive_nodes"] = len(keys)
    if status == 1:
        return "memory_limit", bound, None, stats
    if b == np.inf:
        return "optimal", ub, None, stats
    while True:
        viol = [int(j) for j in np.argsort(-np.abs(used - 1.0), kind="stable") if used[j] != 1 and j not in M]
        if not viol:
            return "optimal", bound, path, stats  # the relaxed optimum is a schedule, so it is optimal
        if len(M) + 1 > MAX_MODIFIERS or len(keys) * 2 ** min(step, len(viol)) > max_states:
            return "memory_limit", bound, None, stats
        if deadline.limit is not None and per_state * len(keys) * 2 > deadline.remaining():
            return "time_limit", bound, None, stats  # the next round would overrun the limit
        m_prev = len(M)
        M += viol[:min(step, MAX_MODIFIERS - len(M))]
        started = time.perf_counter()
        cap = max_states
        if deadline.limit is not None and per_state > 0:
            cap = min(cap, max(1000, int(0.8 * deadline.remaining() / per_state)))  # a pass has no clock inside
        status, b, path, keys, vals = _ssdp_pass(p, df, wf, lam, lam_sum, P, E, L, before, rank, alive,
                                                 np.asarray(M, dtype=np.int64), m_prev, keys, vals, cutoff,
                                                 cap, 10 * cap)
        per_state = (time.perf_counter() - started) / max(1, len(keys))
        stats.update(rounds=stats["rounds"] + 1, modifiers=len(M), alive_states=len(keys))
        if status == 1:
            return "memory_limit", bound, None, stats
        if b == np.inf:
            return "optimal", ub, None, stats  # nothing beats the incumbent
        bound = max(bound, b + lam_sum)
        used = np.bincount(path, minlength=n).astype(np.float64)
        if np.all(used == 1):
            return "optimal", bound, path, stats  # the relaxed optimum is a schedule
        if bound > cutoff:
            return "optimal", ub, None, stats
        if deadline.expired():
            return "time_limit", bound, None, stats


def _start_sequence(p, d, w):
    cands = [RULES[r](p, d, w) for r in ("atc", "wmdd", "mdd", "edd")]
    return min(cands, key=lambda s: sequence_cost(s, p.astype(np.float64), d.astype(np.float64), w.astype(np.float64)))


# a level-2 iteration with its node elimination: three passes over the (time, job) table at about 0.6 µs a
# cell (measured on wt40 and wt100)
LR2_SECONDS_PER_CELL = 1.8e-6


def solve_tardiness(p, d, w, *, time_limit: float | None = None, max_states: int = 4_000_000,
                    lagrangian_iterations: int = 200,
                    stages=((25, 300_000), (75, 1_000_000), (200, 3_000_000), (600, 3_000_000)),
                    max_lr2_cells: int = 20_000_000,
                    seed: int = 0, rel_gap: float = 0.0,
                    abs_gap: float = 0.0) -> TardinessResult:
    """Exact 1||sum w_j T_j for processing times `p`, due dates `d`, weights `w` (Lawler's decomposition for equal
    weights; otherwise an iterated-dynasearch incumbent, Lagrangian bounds in `stages` of (iterations, state
    budget), successive sublimation and a DP over job sets). Stops at `time_limit` seconds, within
    `rel_gap`/`abs_gap`, or at `max_states` (memory_limit); `lagrangian_iterations` for the level-1 bound,
    `max_lr2_cells` caps the level-2 table, `seed` drives the search."""
    from optalloc.options import Deadline

    t0 = time.perf_counter()
    deadline = Deadline(time_limit)
    p = np.asarray(p, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    w = np.asarray(w)
    n = len(p)
    pf, df, wf = p.astype(np.float64), d.astype(np.float64), w.astype(np.float64)
    integral = _integral(w)
    tol = float_tolerance(p, w)  # real weights: what counts as equal costs
    stats: dict = {}

    # 0. equal weights: Lawler's decomposition is exact and far faster than the bound-driven DP
    if n and np.all(wf == wf[0]) and wf[0] > 0:
        from optalloc.families.tardiness.lawler import Timeout, solve_unweighted

        # a share of the limit, so that a timeout still leaves time for a good schedule and a bound: about
        # 1.5 µs x n² seconds for the steps after it (dispatch rules, a dynasearch pass, Emmons' precedences,
        # two Lagrangian iterations: 0.8 s at n = 800), and never less than 30 % of the limit
        reserve = None if time_limit is None else max(0.3 * time_limit, min(0.6 * time_limit, 1.5e-6 * n * n))
        share = Deadline(None if time_limit is None else time_limit - reserve)
        try:
            value, order, st = solve_unweighted(p, d, deadline=share)
        except Timeout:
            stats["decomposition"] = "stopped at the time limit"
        else:
            stats.update(method="lawler-decomposition", **st, seconds=time.perf_counter() - t0)
            v = float(value * wf[0])
            return TardinessResult(order, v, v, "optimal", stats)

    # where the time goes: seconds per phase, summed over the rounds
    phases = stats.setdefault("phase_seconds", {})
    last = [time.perf_counter()]

    def lap(name):
        now = time.perf_counter()
        phases[name] = phases.get(name, 0.0) + now - last[0]
        last[0] = now

    # 1. incumbent
    seq = _start_sequence(p, d, w)
    # at most a fifth of a time limit: the bound needs the rest to certify anything
    search = deadline if time_limit is None else Deadline(0.2 * deadline.remaining())
    # a short search: the bounds' successive sublimation finds the optimum when the incumbent misses it, and
    # the last 4,000 kicks cost more than they saved (wt40: 0.18 s of a 0.41 s mean, for the same proofs)
    seq, ub = iterated_dynasearch(seq, p, d, w, deadline=search, max_kicks=1000, stall=100, target=0.0, seed=seed)
    trace.record(objective=ub, bound=closed_form_bound(p, d, w))
    stats["heuristic_seconds"] = time.perf_counter() - t0
    lap("incumbent")

    def result(bound, stopped):
        bound = min(bound, ub)
        if integral:
            bound = float(np.ceil(bound - 1e-6))
        stats["seconds"] = time.perf_counter() - t0
        lap("finish")
        return TardinessResult(np.asarray(seq, dtype=np.int64), float(ub), float(bound), stopped, stats)

    def closed(lb):
        lb_eff = np.ceil(lb - 1e-6) if integral else lb
        return ub - lb_eff <= max(abs_gap, rel_gap * abs(ub)) + (0.0 if integral else tol)

    def settled(out, lb):
        """The result when a DP over job sets ended the search (nothing beats the incumbent, a better
        schedule was found, or the clock ran out); None when it only outgrew its state budget."""
        nonlocal seq, ub
        kind = out[0]
        if kind == "overflow":
            return None
        if kind == "none":
            stats.update(peak_states=out[1])
            return result(ub, "optimal")
        stats.update(peak_states=out[2])
        if kind == "time_limit":
            return result(max(lb, out[1]), "time_limit")
        val = sequence_cost(out[1], pf, df, wf)  # "found": the DP's optimum, recomputed
        if val < ub:
            seq, ub = out[1], val
            trace.record(objective=ub)
        return result(ub, "optimal")

    if ub <= (0.0 if integral else tol):
        return result(0.0, "optimal")
    if not time_indexed_fits(n, int(p.sum())):
        # the bounds are indexed by time: a horizon this long does not fit, so the schedule comes back unproven
        stats["horizon"] = int(p.sum())
        return result(0.0, "memory_limit")

    # 2. Lagrangian bounds, 3. successive sublimation, 4. the DP over job sets. Level 1 is cheap and gives
    # the multipliers a warm start; level 2 (when its (P+1) x (n+1) table fits) is far tighter.
    K = (n + 63) // 64
    before = emmons_precedence(p, d, wf, deadline)
    stats["precedences"] = int(before.sum())
    lap("precedences")
    if deadline.expired():  # no time for a bound beyond the cheap one: the incumbent, unproven
        return result(closed_form_bound(p, d, w), "time_limit")
    pred = _pred_words(before, K)
    rank = tie_ranks(d, before)
    P = int(p.sum())
    level = 2 if (P + 1) * (n + 1) <= max_lr2_cells else 1
    alive = np.ones((P + 1, n), dtype=np.bool_) if level == 2 else None  # level-2 nodes not yet eliminated
    lap("precedences")
    b, lam, its = lagrangian_bound(p, d, w, ub, iterations=lagrangian_iterations, deadline=deadline, before=before,
                                   rank=rank)
    lap("level1_bound")
    lb = max(b, 0.0)
    trace.record(bound=lb)
    its_total = {1: its, 2: 0}
    if level == 2 and not closed(lb) and deadline.limit is not None \
            and deadline.remaining() < LR2_SECONDS_PER_CELL * (P + 1) * (n + 1):
        # one level-2 iteration and the node elimination after it would overrun the limit (wt100-44 at 1 s:
        # they took it to 2.0 s once level 1 had stopped early): level 1 goes on until the limit instead
        b, lam, its = lagrangian_bound(p, d, w, ub, iterations=1_000_000, lam0=lam, deadline=deadline,
                                       before=before, rank=rank)
        lap("level1_bound")
        lb = max(lb, b)
        trace.record(bound=lb)
        stats.update(lagrangian_bound=float(min(lb, ub)), lagrangian_iterations=its_total[1] + its)
        return result(lb, "optimal" if closed(lb) else "time_limit")
    if level == 2 and not closed(lb) and not deadline.expired():
        # level-2 ascent in stages, with node elimination; after each, successive sublimation on the surviving
        # nodes under a state budget. Elimination usually leaves so few nodes that it closes in well under a
        # second once the multipliers are good; a budget overflow means they are not good enough yet.
        cutoff = ub - (1.0 - 1e-6 if integral else tol)
        # the last stage repeats while the clock allows and the bound still rises: better multipliers need
        # fewer modifiers, and a key has room for only so many
        plan = list(stages)
        lr2_best = -np.inf
        while plan:
            its_stage, budget_stage = plan.pop(0)
            lr2_before = lr2_best
            b, lam, its = lagrangian_bound(p, d, w, ub, iterations=its_stage, lam0=lam, deadline=deadline,
                                           before=before, rank=rank, level=2, chunk=25, patience=20,
                                           alive=alive)
            lap("level2_bound")
            its_total[2] += its
            lb, lr2_best = max(lb, b), max(lr2_best, b)
            trace.record(bound=lb)
            stats.update(lagrangian_bound=float(min(lb, ub)), lagrangian_iterations=its_total[1],
                         lr2_iterations=its_total[2], alive_nodes=int(alive.sum()))
            if closed(lb):
                return result(lb, "optimal")
            if deadline.expired():
                return result(lb, "time_limit")
            stopped, b, found, st = successive_sublimation(p, df, wf, lam, P, before, rank, ub, cutoff, deadline,
                                                           alive=alive, max_states=budget_stage,
                                                           max_edges=10 * budget_stage)
            lap("sublimation")
            stats.update({f"ssdp_{k}": v for k, v in st.items()})
            if found is not None:
                val = sequence_cost(found, pf, df, wf)
                if val < ub:
                    seq, ub = found, val
                    trace.record(objective=ub)
            if stopped == "optimal":
                return result(ub, "optimal")
            lb = max(lb, b)
            trace.record(bound=lb)
            if deadline.expired():
                return result(lb, "time_limit")
            if not plan and deadline.limit is not None and lr2_best > lr2_before + 1e-6 * max(1.0, abs(ub)):
                plan.append((its_stage, budget_stage))
        # the modifier graph outgrew its budget: DPs over job sets with growing budgets
    budget = min(max_states, 600_000 if level == 2 else 200_000)
    rounds = 0
    while True:
        rounds += 1
        stats.update(lagrangian_bound=float(lb), lagrangian_iterations=its_total[1],
                     lr2_iterations=its_total[2], level=level, rounds=rounds)
        if closed(lb):
            return result(lb, "optimal")
        if deadline.expired():
            return result(lb, "time_limit")
        out = _set_dp(p, df, wf, lam, P, ub, integral, budget, pred, deadline, before if level == 2 else None)
        lap("set_dp")
        done = settled(out, lb)
        if done is not None:
            return done
        if budget >= max_states:
            stats.update(peak_states=out[1])
            return result(lb, "memory_limit")
        budget = min(max_states, budget * 4)
        if level == 1:
            b, lam, its = lagrangian_bound(p, d, w, ub, iterations=lagrangian_iterations, lam0=lam,
                                           deadline=deadline, before=before, rank=rank)
            lap("level1_bound")
            its_total[1] += its
            lb = max(lb, b)
            trace.record(bound=lb)


def _set_dp(p, df, wf, lam, P, ub, integral, budget, pred, deadline, before=None):
    """Run the DP over job sets, bounded by the level-2 table when `before` is given, else by level 1.
    Returns ("overflow", peak) | ("time_limit", bound, peak) | ("none", peak) when nothing beats ub |
    ("found", sequence, peak)."""
    n = len(p)
    K = pred.shape[1]
    E, L = job_windows(p, before if before is not None else np.zeros((n, n), dtype=np.bool_))
    if before is not None:
        # no tie rule here: the DP keeps one order per job set, and its bound must hold for every optimal
        # order of that set, not only for the one the tie rule keeps
        no_ties = np.zeros(n, dtype=np.int64)
        everywhere = np.ones((P + 1, n), dtype=np.bool_)  # node elimination assumes the tie rule, too
        B = backward_lr2(p, df, wf, lam, P, E, L, before, no_ties, everywhere, np.zeros(0, dtype=np.int64))
        b1 = b2 = np.zeros(1)
        f1 = np.zeros(1, dtype=np.int64)
    else:
        B = np.zeros((1, 1, 1))
        b1, f1, b2, _ = backward_paths(p, df, wf, lam, P, E, L)
    cutoff = ub - (1.0 - 1e-6 if integral else float_tolerance(p, wf))
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
        words, g, tt, last, par, low, count = _expand(words, g, tt, last, p, df, wf, lam, B, b1, f1, b2,
                                                      lam_left, cutoff, budget, pred)
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
