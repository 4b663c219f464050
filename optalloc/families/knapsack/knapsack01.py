"""Exact 0-1 knapsack: primal-dual dynamic programming over an expanding core.

The ideas are Pisinger's minimal algorithm (Oper. Res. 45, 1997) written from the paper:
  * sort by value/weight, find the break item b; the break solution takes items 0..b-1;
  * fix every item whose Dantzig bound with its value flipped cannot beat the greedy lower bound;
  * grow a core [s, t] around b, alternately letting item t be added to, and item s be removed from,
    every state; states are (weight, value) pairs kept free of dominance and sorted by weight;
  * drop a state when its Lagrangian bound (value + ratio of the next free item times the slack) cannot
    beat the incumbent; the search ends when no state is left, which proves the incumbent optimal.
Solutions are recovered from a log of (parent, item) nodes, one per surviving new state.

The numba kernel works in slices (a budget of state operations) so the caller can honour a time limit
and return the incumbent with the best bound found so far."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from optalloc import interrupt, trace
from optalloc.numeric import sum_error_bound

_GREEDY = -2  # best solution is the greedy one, not a DP node
_EXTERNAL = -3  # best solution came from the Lagrangian phase
_ROOT = -1  # the break solution itself


@dataclass
class KnapsackSolution:
    """The 0-1 knapsack solver's answer: items taken, value, proven bound, whether proven optimal, why it stopped
    and statistics."""

    x: np.ndarray  # bool, one per original item
    value: float
    bound: float
    optimal: bool
    stopped: str  # "optimal", "time_limit", "memory_limit", "gap_limit"
    stats: dict


@njit(cache=True)
def _greedy_fill(v, w, cap_left, start, x):
    total = 0.0
    for j in range(start, len(w)):
        if w[j] <= cap_left:
            cap_left -= w[j]
            total += v[j]
            x[j] = True
    return total


@njit(cache=True)
def _grow_i8(a, need):
    if need <= len(a):
        return a
    b = np.empty(max(need, 2 * len(a)), dtype=a.dtype)
    b[: len(a)] = a
    return b


@njit(cache=True)
def _grow_f8(a, need):
    if need <= len(a):
        return a
    b = np.empty(max(need, 2 * len(a)), dtype=a.dtype)
    b[: len(a)] = a
    return b


@njit(cache=True)
def _merge(W, P, N, Q, m, dw, dp, dq, item, Wo, Po, No, Qo, par, itm, nn, stop):
    """Merge the list with its copy shifted by (dw, dp); keep only undominated states (sorted by weight,
    strictly increasing value). New states from the shifted copy get a node (parent, item). Returns k = -1
    when `stop` was raised mid-merge (a merge of millions of states takes seconds): the input list is intact."""
    i = 0
    j = 0
    k = 0
    lastP = -np.inf
    while i < m or j < m:
        if ((i + j) & 0x3FFFF) == 0 and stop[0]:
            return -1, nn
        if j >= m:
            take_old = True
        elif i >= m:
            take_old = False
        else:
            w2 = W[j] + dw
            take_old = W[i] < w2 or (W[i] == w2 and P[i] >= P[j] + dp)
        if take_old:
            if P[i] > lastP:
                Wo[k] = W[i]
                Po[k] = P[i]
                No[k] = N[i]
                Qo[k] = Q[i]
                lastP = P[i]
                k += 1
            i += 1
        else:
            p2 = P[j] + dp
            if p2 > lastP:
                Wo[k] = W[j] + dw
                Po[k] = p2
                Qo[k] = Q[j] + dq
                par[nn] = N[j]
                itm[nn] = item
                No[k] = nn
                nn += 1
                lastP = p2
                k += 1
            j += 1
    return k, nn


@njit(cache=True)
def _prune(W, P, N, Q, m, c, r_add, r_rem, has_rem, z, best, integral, use_card, card_const, mu, lam, eps):
    """Raise the incumbent from the states and drop states whose bound cannot beat it. Returns the new
    length, incumbent, best node and the largest bound over the kept states."""
    # States are sorted by weight with increasing value: the best feasible state is the last one with W <= c.
    lo = 0
    hi = m
    while lo < hi:
        mid = (lo + hi) // 2
        if W[mid] <= c:
            lo = mid + 1
        else:
            hi = mid
    if lo > 0 and P[lo - 1] > z:
        z = P[lo - 1]
        best = N[lo - 1]
    slack = 1e-6 + 1e-13 * abs(z) + eps  # eps: the proven rounding error of a state's value and bound
    need = z + 1.0 - slack if integral else z + slack
    k = 0
    ubmax = -np.inf
    for i in range(m):
        if W[i] <= c:
            ub = P[i] + (c - W[i]) * r_add
        elif has_rem:
            ub = P[i] - (W[i] - c) * r_rem
        else:
            continue
        if use_card:
            # Lagrangian bound with the cardinality row: card_const = mu k + lam c + best gain of undecided items
            ubc = card_const + P[i] - mu * Q[i] - lam * W[i]
            if ubc < ub:
                ub = ubc
        if integral:
            ub = math.floor(ub + slack)
        if ub >= need:
            W[k] = W[i]
            P[k] = P[i]
            N[k] = N[i]
            Q[k] = Q[i]
            k += 1
            if ub > ubmax:
                ubmax = ub
    return k, z, best, ubmax


@njit(cache=True, nogil=True)  # without the GIL, so Ctrl-C's watcher can set `stop` while it runs
def _run(v, w, c, fixed, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, s, t, z, best, integral, budget, max_states,
         max_nodes, use_card, card_base, mu, lam, gain_add, gain_rem, eps, stop):
    """Advance the core search by about `budget` state operations. status: 0 running, 1 done, 2 out of memory."""
    n = len(w)
    work = 0
    ubmax = np.inf  # no prune has run in this call yet: the states' bound is unknown here, not z
    status = 0
    while True:
        if m == 0:
            status = 1
            break
        if work >= budget or stop[0]:
            break
        if m > max_states or nn + 2 * m > max_nodes:
            status = 2
            break
        moved = False
        aborted = False
        for phase in range(2):
            if m == 0:
                break
            if phase == 0:
                while t < n and fixed[t]:
                    t += 1
                if t >= n:
                    continue
                dw = w[t]
                dp = v[t]
                dq = 1
                item = t
                t += 1
            else:
                while s >= 0 and fixed[s]:
                    s -= 1
                if s < 0:
                    continue
                dw = -w[s]
                dp = -v[s]
                dq = -1
                item = s
                s -= 1
            moved = True
            if stop[0]:  # before growing: at hundreds of millions of logged nodes one growth copies for a second
                if phase == 0:
                    t = item
                else:
                    s = item
                aborted = True
                break
            Wb = _grow_i8(Wb, 2 * m)
            Pb = _grow_f8(Pb, 2 * m)
            Nb = _grow_i8(Nb, 2 * m)
            Qb = _grow_i8(Qb, 2 * m)
            par = _grow_i8(par, nn + m)
            itm = _grow_i8(itm, nn + m)
            k, nn2 = _merge(W, P, N, Q, m, dw, dp, dq, item, Wb, Pb, Nb, Qb, par, itm, nn, stop)
            if k < 0:  # Ctrl-C mid-merge: the states before it stand; the item goes back to the free ones
                if phase == 0:
                    t = item
                else:
                    s = item
                aborted = True
                break
            nn = nn2
            work += m + k
            W, Wb = Wb, W
            P, Pb = Pb, P
            N, Nb = Nb, N
            Q, Qb = Qb, Q
            m = k
            # Ratios of the next free items bound what the rest of the core can still change.
            ta = t
            while ta < n and fixed[ta]:
                ta += 1
            r_add = v[ta] / w[ta] if ta < n else 0.0
            sr = s
            while sr >= 0 and fixed[sr]:
                sr -= 1
            has_rem = sr >= 0
            r_rem = v[sr] / w[sr] if has_rem else 0.0
            card_const = 0.0
            if use_card:
                card_const = card_base + gain_add[ta] + gain_rem[sr + 1]
            m, z, best, ubmax = _prune(W, P, N, Q, m, c, r_add, r_rem, has_rem, z, best, integral, use_card,
                                       card_const, mu, lam, eps)
        if aborted:
            break
        if not moved:
            # Every free item has been enumerated: the remaining states are complete solutions.
            m = 0
            status = 1
            break
    if m == 0:
        ubmax = z
    return status, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, s, t, z, best, max(ubmax, z)


@njit(cache=True, nogil=True)
def _run_seq(dW, dP, dQ, rc_abs, c, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, pos, z, best, integral, budget,
             max_states, max_nodes, card_base, mu, lam, eps, stop):
    """Phase 2: toggle items off the Lagrangian solution in order of |reduced cost|. A state's bound is
    card_base + P - mu q - lam W, the Lagrangian value minus what its toggles cost; once the next toggle costs
    more than every state's slack, no state can improve and the search is over. status: 0 running, 1 done,
    2 out of memory."""
    n = len(dW)
    work = 0
    ubmax = z
    while True:
        if m == 0:
            return 1, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, pos, z, best, z
        # largest bound among the states, and the incumbent from feasible states
        slack = 1e-6 + 1e-13 * abs(z) + eps
        ubmax = -np.inf
        for i in range(m):
            if W[i] <= c and P[i] > z:
                z = P[i]
                best = N[i]
            ub = card_base + P[i] - mu * Q[i] - lam * W[i]
            if ub > ubmax:
                ubmax = ub
        need = z + 1.0 - slack if integral else z + slack
        # Round only after subtracting the next toggle's cost: floor(u) - r can be below floor(u - r).
        after = ubmax - rc_abs[pos] if pos < n else -np.inf
        if integral:
            after = math.floor(after + slack)
            ubmax = math.floor(ubmax + slack)
        if pos >= n or after < need:
            return 1, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, pos, z, best, z
        if work >= budget or stop[0]:
            return 0, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, pos, z, best, max(ubmax, z)
        if m > max_states or nn + 2 * m > max_nodes:
            return 2, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, pos, z, best, max(ubmax, z)
        Wb = _grow_i8(Wb, 2 * m)
        Pb = _grow_f8(Pb, 2 * m)
        Nb = _grow_i8(Nb, 2 * m)
        Qb = _grow_i8(Qb, 2 * m)
        par = _grow_i8(par, nn + m)
        itm = _grow_i8(itm, nn + m)
        k, nn2 = _merge(W, P, N, Q, m, dW[pos], dP[pos], dQ[pos], pos, Wb, Pb, Nb, Qb, par, itm, nn, stop)
        if k < 0:  # Ctrl-C mid-merge: the states before it stand
            return 0, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, pos, z, best, max(ubmax, z)
        nn = nn2
        work += m + k
        W, Wb = Wb, W
        P, Pb = Pb, P
        N, Nb = Nb, N
        Q, Qb = Qb, Q
        pos += 1
        # drop states whose Lagrangian bound cannot beat the incumbent
        keep = 0
        for i in range(k):
            if W[i] <= c and P[i] > z:
                z = P[i]
                best = N[i]
        slack = 1e-6 + 1e-13 * abs(z) + eps
        need = z + 1.0 - slack if integral else z + slack
        for i in range(k):
            ub = card_base + P[i] - mu * Q[i] - lam * W[i]
            if integral:
                ub = math.floor(ub + slack)
            if ub >= need:
                W[keep] = W[i]
                P[keep] = P[i]
                N[keep] = N[i]
                Q[keep] = Q[i]
                keep += 1
        m = keep


def _lagrangian_phase(v, w, c, fixed, x_base, z, x_best, integral, info, deadline_at, rel_gap, abs_gap,
                      max_states, max_nodes, slice_ops, max_work):
    """Run phase 2 from scratch with the incumbent of phase 1, for at most `max_work` state operations.
    Returns (z, x_best, bound, stopped, states); stopped is "budget" when it gave up."""
    mu, lam = info["mu"], info["lam"]
    rc = v - mu - lam * w
    free = ~fixed
    x_L = np.where(free, rc > 0, x_base)
    seq = np.flatnonzero(free)
    seq = seq[np.argsort(np.abs(rc[seq]), kind="stable")]
    sign = np.where(x_L[seq], -1, 1)
    dW = (w[seq] * sign).astype(np.int64)
    dP = (v[seq] * sign).astype(np.float64)
    dQ = sign.astype(np.int64)
    rc_abs = np.abs(rc[seq])
    W = np.array([int(w[x_L].sum())], np.int64)
    P = np.array([float(v[x_L].sum())], np.float64)
    N = np.array([_ROOT], np.int64)
    Q = np.array([int(x_L.sum())], np.int64)
    Wb, Pb, Nb, Qb = (np.empty(16, np.int64), np.empty(16, np.float64), np.empty(16, np.int64),
                      np.empty(16, np.int64))
    par = np.empty(1024, np.int64)
    itm = np.empty(1024, np.int64)
    card_base = mu * info["k"] + lam * c
    # every float in a state's bound (card_base, P, mu q, lam W, the reduced costs) is at most this sum
    eps = sum_error_bound(len(v) + 8, float(np.abs(v).sum()) + abs(mu) * (info["k"] + len(v))
                          + abs(lam) * (c + float(w.sum())))
    nn, m, pos, best = 0, 1, 0, _GREEDY
    bound = math.inf
    stopped = "optimal"
    with interrupt.stop_flag(deadline_at) as stop:
        spent = 0
        while True:
            if spent >= max_work:
                stopped = "budget"
                break
            spent += slice_ops
            status, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, pos, z, best, ub = _run_seq(
                dW, dP, dQ, rc_abs, c, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, pos, z, best, integral, slice_ops,
                max_states, max_nodes, card_base, mu, lam, eps, stop)
            bound = min(bound, float(ub))
            if status == 1:
                bound = z
                break
            if status == 2:
                stopped = "memory_limit"
                break
            if _closed(z, bound, rel_gap, abs_gap):
                stopped = "gap_limit"
                break
            if interrupt.requested():
                stopped = "interrupted"
                break
            if stop[0] or (deadline_at is not None and time.perf_counter() >= deadline_at):
                stopped = "time_limit"
                break
    if best != _GREEDY:
        x_best = x_L.copy()
        node = best
        while node != _ROOT:
            j = seq[itm[node]]
            x_best[j] = not x_best[j]
            node = par[node]
    return z, x_best, bound, stopped, int(nn)


def solve_01(values, weights, capacity: int, *, time_limit: float | None = None, rel_gap: float = 0.0,
             abs_gap: float = 0.0, max_states: int = 20_000_000, max_nodes: int = 200_000_000,
             slice_ops: int = 3_000_000, phase2_work: int = 6_000_000,
             probe_ops: int = 100_000) -> KnapsackSolution:
    """Exact 0-1 knapsack of `values`, `weights` and `capacity` (a core DP with state pruning by bounds, a
    cardinality bound and a Lagrangian phase). Stops at `time_limit` seconds, within `rel_gap`/`abs_gap`, or at
    `max_states`/`max_nodes` (memory_limit); `slice_ops`, `probe_ops` and `phase2_work` size the work between
    checks of the clock."""
    t0 = time.perf_counter()
    values = np.asarray(values)
    weights = np.asarray(weights, dtype=np.int64)
    integral = values.dtype.kind in "iu"
    n = len(values)
    c = int(capacity)
    x = np.zeros(n, dtype=bool)
    free_take = (weights == 0) & (values > 0)
    x[free_take] = True
    cand = np.flatnonzero((weights > 0) & (weights <= c) & (values > 0))
    base_value = float(values[free_take].sum())
    stats = {"n": n, "candidates": int(len(cand))}
    if weights[cand].sum() <= c:
        x[cand] = True
        value = float(values[x].sum())
        return KnapsackSolution(x, value, value, True, "optimal", stats)
    v = values[cand].astype(np.float64)
    w = weights[cand]
    order = np.lexsort((w, -(v / w)))  # by ratio, then lighter first
    v, w, cand = v[order], w[order], cand[order]
    cumw = np.cumsum(w)
    b = int(np.searchsorted(cumw, c, side="right"))  # first item that does not fit
    Wbar = int(cumw[b - 1]) if b > 0 else 0
    Pbar = float(v[:b].sum())
    rb = v[b] / w[b]
    dantzig = Pbar + (c - Wbar) * rb
    # Integer values sum exactly in float64 (the numeric contract keeps totals below 2^53); float values carry
    # the rounding error of a sum of up to n terms. The relative 1e-13 covers the products' roundings.
    eps = 0.0 if integral else sum_error_bound(len(v) + 4, float(v.sum()))
    U = math.floor(dantzig + 1e-6 + 1e-13 * abs(dantzig)) if integral else dantzig + eps
    xg = np.zeros(len(v), dtype=bool)
    xg[:b] = True
    z = Pbar + _greedy_fill(v, w, c - Wbar, b, xg)
    # Reduction: flip one item, bound the rest by the break ratio; if that cannot beat z, the item is fixed.
    slack = 1e-6 + 1e-13 * abs(z) + eps
    need = z + 1.0 - slack if integral else z + slack
    idx = np.arange(len(v))
    u = np.where(idx >= b, Pbar + v + (c - Wbar - w) * rb, Pbar - v + (c - Wbar + w) * rb)
    if integral:
        u = np.floor(u + slack)
    fixed = u < need
    stats.update(break_item=b, dantzig=float(U), greedy=float(z), free_after_reduction=int((~fixed).sum()))
    W = np.array([Wbar], dtype=np.int64)
    P = np.array([Pbar], dtype=np.float64)
    N = np.array([_ROOT], dtype=np.int64)
    Q = np.array([b], dtype=np.int64)
    Wb = np.empty(16, np.int64)
    Pb = np.empty(16, np.float64)
    Nb = np.empty(16, np.int64)
    Qb = np.empty(16, np.int64)
    # cardinality-bound data, filled in after the first slice (too costly for the easy instances)
    use_card, card_base, mu, lam = False, 0.0, 0.0, 0.0
    gain_add = np.zeros(len(v) + 1)
    gain_rem = np.zeros(len(v) + 1)
    par = np.empty(1024, np.int64)
    itm = np.empty(1024, np.int64)
    nn, m, s, t, best = 0, 1, b - 1, b, _GREEDY
    bound = float(U)
    stopped = "optimal"
    if z >= U - (1e-9 if integral else 1e-12 * max(1.0, abs(U))):
        m = 0
    card_checked = False
    xs = None  # set when phase 2 decides the incumbent

    x_ext = None

    def incumbent():
        if best == _GREEDY:
            return xg.copy()
        if best == _EXTERNAL:
            return x_ext.copy()
        out = np.zeros(len(v), dtype=bool)
        out[:b] = True
        node = best
        while node != _ROOT:
            out[itm[node]] = not out[itm[node]]
            node = par[node]
        return out

    trace.record(objective=base_value + z, bound=base_value + bound)  # the greedy answer, Dantzig's bound
    # the kernels stop mid-merge at the limit (a timer raises the flag) or on Ctrl-C
    with interrupt.stop_flag(None if time_limit is None else t0 + time_limit) as stop:
        while m > 0:
            budget = slice_ops if card_checked else probe_ops  # a short first slice: easy instances end in it
            status, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, s, t, z, best, ub = _run(
                v, w, c, fixed, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, s, t, z, best, integral, budget,
                max_states, max_nodes, use_card, card_base, mu, lam, gain_add, gain_rem, eps, stop)
            bound = min(bound, float(ub))
            if status == 1:
                bound = z
                break
            if not card_checked:
                # The DP did not finish in its first slice: worth the cardinality bound, which often proves z.
                card_checked = True
                ub_card, info = cardinality_bound(v, w, c, z, integral)
                stats.update(cardinality_bound=ub_card, kmin=info["kmin"], kmax=info["kmax"])
                bound = min(bound, ub_card)
                binds = ub_card < U - (0.5 if integral else 1e-9 * max(1.0, abs(U)))
                if binds and info.get("mu", 0.0) != 0.0 and z < bound - (1e-9 if integral else 1e-12 * max(1.0, abs(bound))):
                    # The cardinality row binds: search in Lagrangian order from the Lagrangian solution (phase 2).
                    x0 = np.zeros(len(v), dtype=bool)
                    x0[:b] = True
                    deadline_at = None if time_limit is None else t0 + time_limit
                    z2, x2, ub2, stopped2, n2 = _lagrangian_phase(
                        v, w, c, fixed, x0, z, incumbent(), integral, info, deadline_at, rel_gap, abs_gap, max_states,
                        max_nodes, slice_ops, phase2_work)
                    stats.update(lagrangian_phase=stopped2, lagrangian_states=n2)
                    if stopped2 != "budget":
                        z, xs, stopped = z2, x2, stopped2
                        bound = min(bound, ub2)
                        m = 0 if stopped == "optimal" else -1
                        break
                    if z2 > z:  # phase 1 goes on, with the better incumbent phase 2 found
                        z, x_ext, best = z2, x2, _EXTERNAL
            trace.record(objective=base_value + z, bound=base_value + bound)
            if z >= bound - (1e-9 if integral else 1e-12 * max(1.0, abs(bound))):
                m = 0  # the incumbent meets a proven bound
                break
            if status == 2:
                stopped = "memory_limit"
                break
            if _closed(z, bound, rel_gap, abs_gap):
                stopped = "gap_limit"
                break
            if interrupt.requested():  # polled between slices of about 3 million state operations
                stopped = "interrupted"
                break
            if stop[0] or (time_limit is not None and time.perf_counter() - t0 >= time_limit):
                stopped = "time_limit"  # stop[0] without Ctrl-C: the timer, just before the limit
                break
    if m == 0:
        bound = z
        stopped = "optimal"
    if xs is None:
        xs = incumbent()
    x[cand[xs]] = True
    value = float(values[x].sum())
    stats.update(states_logged=int(nn), seconds=time.perf_counter() - t0)
    return KnapsackSolution(x, value, max(float(bound) + base_value, value), stopped == "optimal", stopped, stats)


def dantzig_bound(v: np.ndarray, w: np.ndarray, c: int) -> float:
    """LP bound of a 0-1 knapsack (items with non-positive value are left out)."""
    keep = v > 0
    free = keep & (w == 0)  # weightless items are always in
    base = float(v[free].sum())
    keep &= w > 0
    v, w = v[keep], w[keep]
    if len(v) == 0:
        return base
    order = np.argsort(-(v / w), kind="stable")
    cw = np.cumsum(w[order])
    b = int(np.searchsorted(cw, c, side="right"))
    if b >= len(v):
        return base + float(v.sum())
    prev_w = int(cw[b - 1]) if b else 0
    lp = base + float(v[order][:b].sum() + (c - prev_w) * v[order][b] / w[order][b])
    return lp + sum_error_bound(len(v) + 4, float(v.sum()) + base + abs(lp))  # proven: never below the LP


def cardinality_bound(v: np.ndarray, w: np.ndarray, c: int, z: float, integral: bool) -> tuple[float, dict]:
    """Upper bound from the LP with cardinality limits k_min <= sum x <= k_max, by Lagrangian relaxation of
    the cardinality row (Martello, Pisinger and Toth's cardinality bounds, Mgmt Sci 1999).

    k_max: the most items that fit (the lightest ones); k_min: the fewest items whose values could exceed
    the incumbent z. On strongly correlated classes (v = w + K) the bound at mu = K is c + K k_max, which is
    usually the optimum, where the plain LP bound is off by up to K."""
    ws = np.sort(w)
    kmax = int(np.searchsorted(np.cumsum(ws), c, side="right"))
    vs = np.sort(v)[::-1]
    kmin = int(np.searchsorted(np.cumsum(vs), z + (1 if integral else 1e-9), side="left")) + 1
    if kmin > kmax:
        return z, {"kmin": kmin, "kmax": kmax}  # no improving cardinality exists: z is optimal

    def f(mu: float) -> float:
        k = kmax if mu >= 0 else kmin
        return mu * k + dantzig_bound(v - mu, w, c)

    best_mu = 0.0

    lo, hi = -float(v.max()), float(v.max())
    phi = (math.sqrt(5) - 1) / 2
    a, b_ = hi - phi * (hi - lo), lo + phi * (hi - lo)
    fa, fb = f(a), f(b_)
    best, best_mu = f(0.0), 0.0
    for _ in range(80):
        if fa <= fb:
            hi, b_, fb = b_, a, fa
            a = hi - phi * (hi - lo)
            fa = f(a)
        else:
            lo, a, fa = a, b_, fb
            b_ = lo + phi * (hi - lo)
            fb = f(b_)
        for mu_, f_ in ((a, fa), (b_, fb)):
            if f_ < best:
                best, best_mu = f_, mu_
    # Also try the integer multipliers next to the minimiser: on correlated classes mu* is an integer.
    for mu in {math.floor(a), math.ceil(a), math.floor(b_), math.ceil(b_)}:
        f_ = f(float(mu))
        if f_ < best:
            best, best_mu = f_, float(mu)
    # f(mu) sums up to n + 2 floats (v - mu is itself rounded when mu is not an integer): its proven error
    err = sum_error_bound(len(v) + 4, float(np.abs(v).sum()) + abs(best_mu) * (len(v) + kmax + kmin) + abs(best))
    bound = math.floor(best + 1e-6 + 1e-13 * abs(best) + err) if integral else best + err
    return float(bound), {"kmin": kmin, "kmax": kmax, "mu": best_mu, "lam": _critical_ratio(v - best_mu, w, c),
                          "k": kmax if best_mu >= 0 else kmin}


def _critical_ratio(v: np.ndarray, w: np.ndarray, c: int) -> float:
    """The ratio of the break item of the LP (the optimal multiplier of the capacity row)."""
    keep = (v > 0) & (w > 0)
    v, w = v[keep], w[keep]
    if len(v) == 0:
        return 0.0
    order = np.argsort(-(v / w), kind="stable")
    b = int(np.searchsorted(np.cumsum(w[order]), c, side="right"))
    return 0.0 if b >= len(v) else float(v[order][b] / w[order][b])


def _closed(z, bound, rel_gap, abs_gap) -> bool:
    if rel_gap <= 0 and abs_gap <= 0:
        return False
    return bound - z <= abs_gap or (bound - z) <= rel_gap * max(abs(bound), 1e-12)
