"""Exact multiple-choice knapsack (one option per class, total weight <= capacity).

Written from Sinha & Zoltners (Oper. Res. 1979) and Pisinger's minimal MCKP algorithm (EJOR 1995):
  1. drop dominated options (heavier and not more valuable) in each class;
  2. the LP relaxation lives on each class's upper convex hull: take hull increments by decreasing slope
     until the capacity is used; the slope of the increment that does not fit is the multiplier lambda;
  3. the LP choice, improved greedily, is the incumbent z; an option whose Lagrangian bound at lambda
     (LP value minus its reduced cost) cannot beat z is dropped, and a class with only its LP option left
     is fixed;
  4. dynamic programming over the remaining classes (ordered by their cheapest reduced cost) on
     undominated (weight, value) states, dropping every state whose bound P + lambda (c - W) cannot beat z.
A state list that empties proves z optimal. The kernel runs in slices so time limits are honoured."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from optalloc import interrupt
from optalloc.numeric import sum_error_bound


@dataclass
class MCKPSolution:
    """The multiple-choice knapsack solver's answer: the chosen option per class, value, proven bound and why it
    stopped."""

    choice: np.ndarray | None  # option index per class (original numbering), None if infeasible
    value: float
    bound: float
    lp_value: float
    optimal: bool
    stopped: str  # optimal, infeasible, time_limit, memory_limit, gap_limit
    stats: dict


@njit(cache=True)
def _undominated(values, weights, starts):
    """Per class: options sorted by weight with strictly increasing value (dominated ones dropped)."""
    k = len(starts) - 1
    n = len(values)
    uv = np.empty(n, np.float64)
    uw = np.empty(n, np.int64)
    uo = np.empty(n, np.int64)
    us = np.empty(k + 1, np.int64)
    pos = 0
    for i in range(k):
        us[i] = pos
        a, b = starts[i], starts[i + 1]
        # sort by weight asc, value desc
        keys = np.empty(b - a, np.float64)
        wmax = 1.0
        for j in range(a, b):
            wmax = max(wmax, abs(float(values[j])))
        for j in range(a, b):
            keys[j - a] = weights[j] * (4.0 * wmax + 4.0) - values[j]
        order = np.argsort(keys, kind="mergesort")
        last = -np.inf
        for q in range(b - a):
            j = a + order[q]
            if values[j] > last:
                # equal weights: the first seen has the larger value, the rest fall here as dominated
                if pos > us[i] and uw[pos - 1] == weights[j]:
                    continue
                uv[pos] = values[j]
                uw[pos] = weights[j]
                uo[pos] = j - a
                last = values[j]
                pos += 1
    us[k] = pos
    return uv[:pos], uw[:pos], uo[:pos], us


@njit(cache=True)
def _hulls(uv, uw, us):
    """Upper convex hull of each class's undominated options (positions into uv/uw)."""
    k = len(us) - 1
    hull = np.empty(len(uv), np.int64)
    hs = np.empty(k + 1, np.int64)
    pos = 0
    for i in range(k):
        hs[i] = pos
        for j in range(us[i], us[i + 1]):
            while pos - hs[i] >= 2:
                a = hull[pos - 2]
                b = hull[pos - 1]
                # drop b if it lies on or below the segment a-j
                lhs = (uv[b] - uv[a]) * (uw[j] - uw[a])
                rhs = (uv[j] - uv[a]) * (uw[b] - uw[a])
                if lhs <= rhs:
                    pos -= 1
                else:
                    break
            hull[pos] = j
            pos += 1
    hs[k] = pos
    return hull[:pos], hs


@njit(cache=True, nogil=True)  # without the GIL, so Ctrl-C's watcher can set `stop` while it runs
def _dp(cls_order, us, uv, uw, free, lp_pos, c, lam, W, P, N, m, par, pcls, popt, nn, ci, z, best, integral,
        budget, max_states, max_nodes, eps, stop):
    """Add classes cls_order[ci:] to the state list. status: 0 running, 1 done, 2 out of memory."""
    work = 0
    ubmax = np.inf  # until this call prunes, the states' bound is unknown here (z would be a false bound)
    CW = np.empty(16, np.int64)
    CP = np.empty(16, np.float64)
    CN = np.empty(16, np.int64)
    CJ = np.empty(16, np.int64)
    order = np.empty(16, np.int64)
    Wn = np.empty(16, np.int64)
    Pn = np.empty(16, np.float64)
    Nn = np.empty(16, np.int64)
    while ci < len(cls_order):
        if m == 0:
            break
        if work >= budget or stop[0]:
            return 0, W, P, N, m, par, pcls, popt, nn, ci, z, best, ubmax
        i = cls_order[ci]
        ci += 1
        base = lp_pos[i]
        cnt = 0
        for j in range(us[i], us[i + 1]):
            if free[j]:
                cnt += 1
        tot = m * cnt
        if tot > max_states or nn + tot > max_nodes:
            return 2, W, P, N, m, par, pcls, popt, nn, ci - 1, z, best, ubmax
        if tot > len(CW):
            size = max(tot, 2 * len(CW))
            CW = np.empty(size, np.int64)
            CP = np.empty(size, np.float64)
            CN = np.empty(size, np.int64)
            CJ = np.empty(size, np.int64)
            order = np.empty(size, np.int64)
            Wn = np.empty(size, np.int64)
            Pn = np.empty(size, np.float64)
            Nn = np.empty(size, np.int64)
        q = 0
        for j in range(us[i], us[i + 1]):
            if not free[j]:
                continue
            dw = uw[j] - uw[base]
            dp = uv[j] - uv[base]
            for s in range(m):
                CW[q] = W[s] + dw
                CP[q] = P[s] + dp
                CN[q] = N[s]
                CJ[q] = j
                q += 1
        if tot > 48:
            order[:tot] = np.argsort(CW[:tot], kind="mergesort")
        else:  # small lists (the common case once the core is tight): insertion sort, no allocation
            for r in range(tot):
                order[r] = r
            for r in range(1, tot):
                key = order[r]
                r2 = r - 1
                while r2 >= 0 and CW[order[r2]] > CW[key]:
                    order[r2 + 1] = order[r2]
                    r2 -= 1
                order[r2 + 1] = key
        # dominance filter over weight-sorted candidates; equal weights: keep the best value
        k = 0
        lastP = -np.inf
        r = 0
        while r < tot:
            wcur = CW[order[r]]
            bestq = order[r]
            r2 = r + 1
            while r2 < tot and CW[order[r2]] == wcur:
                if CP[order[r2]] > CP[bestq]:
                    bestq = order[r2]
                r2 += 1
            r = r2
            if CP[bestq] > lastP:
                Wn[k] = CW[bestq]
                Pn[k] = CP[bestq]
                if CJ[bestq] == base:
                    Nn[k] = CN[bestq]
                else:
                    if nn >= len(par):
                        grow = max(2 * len(par), nn + tot)
                        par2 = np.empty(grow, np.int64)
                        pc2 = np.empty(grow, np.int64)
                        po2 = np.empty(grow, np.int64)
                        par2[:nn] = par[:nn]
                        pc2[:nn] = pcls[:nn]
                        po2[:nn] = popt[:nn]
                        par, pcls, popt = par2, pc2, po2
                    par[nn] = CN[bestq]
                    pcls[nn] = i
                    popt[nn] = CJ[bestq]
                    Nn[k] = nn
                    nn += 1
                lastP = CP[bestq]
                k += 1
        work += tot
        # incumbent and bound pruning
        for s in range(k):
            if Wn[s] <= c and Pn[s] > z:
                z = Pn[s]
                best = Nn[s]
        # integer values: any improvement is a whole unit, so a state is kept when its floored bound reaches z + 1;
        # float values: a state is pruned only when it cannot beat z by more than a rounding error (eps, proven)
        # and a relative 1e-13, far below the gap a certificate calls 0 (gap.values_equal)
        slack = 1e-6 + eps if integral else 1e-13 * abs(z) + eps
        need = z + 1.0 - slack if integral else z + slack
        m = 0
        ubmax = z
        for s in range(k):
            ub = Pn[s] + lam * (c - Wn[s])
            if integral:
                ub = math.floor(ub + slack)
            if ub >= need:
                Wn[m] = Wn[s]
                Pn[m] = Pn[s]
                Nn[m] = Nn[s]
                m += 1
                if ub > ubmax:
                    ubmax = ub
        if m > len(W):
            W = np.empty(2 * m, np.int64)
            P = np.empty(2 * m, np.float64)
            N = np.empty(2 * m, np.int64)
        W[:m] = Wn[:m]
        P[:m] = Pn[:m]
        N[:m] = Nn[:m]
    return 1, W, P, N, m, par, pcls, popt, nn, ci, z, best, z


@njit(cache=True)
def _complete(order, a, b, dw, icls, pos, left):
    """Take each increment of `order` that starts at its class's current vertex and still fits (in place)."""
    for q in order:
        c = icls[q]
        if a[q] == pos[c] and dw[q] <= left:
            pos[c] = b[q]
            left -= dw[q]
    return left


def _by_slope(slope, icls):
    """The increments in decreasing slope, each class's in their own order (the LP takes a prefix, and a class's
    vertex is its last taken increment). Within a hull the slopes strictly decrease, so the unstable sort (4x
    faster than the stable one on millions of increments) keeps each class's order unless float rounding made two
    of its slopes equal: that is checked, and the stable sort is used then."""
    order = np.argsort(-slope)
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    same = icls[1:] == icls[:-1]
    if np.any(rank[1:][same] < rank[:-1][same]):
        order = np.argsort(-slope, kind="stable")
    return order


def lp_relaxation(values, weights, starts, capacity):
    """LP relaxation on the class hulls. Returns a dict with the LP value, multiplier lambda, the LP option
    (position into the undominated arrays) per class, and the greedy-completed integer solution; or None
    when even the lightest options exceed the capacity (infeasible)."""
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    uv, uw, uo, us = _undominated(values, weights, starts)
    k = len(us) - 1
    first = us[:-1]
    if int(uw[first].sum()) > capacity:
        return None
    hull, hs = _hulls(uv, uw, us)
    # hull increments: from hull[t] to hull[t+1] within a class
    cls_of = np.repeat(np.arange(k), np.diff(hs))
    same = cls_of[1:] == cls_of[:-1]
    a, b = hull[:-1][same], hull[1:][same]
    icls = cls_of[1:][same]
    dw = uw[b] - uw[a]
    dp = uv[b] - uv[a]
    slope = dp / dw
    order = _by_slope(slope, icls)
    cumw = np.cumsum(dw[order])
    base_w = int(uw[first].sum())
    room = capacity - base_w
    taken = int(np.searchsorted(cumw, room, side="right"))
    lp_pos = first.copy()
    if taken:
        t_ord = order[:taken]
        # the last taken increment of a class is its LP vertex
        lp_pos[icls[t_ord]] = b[t_ord]  # numpy assigns in order, so the last (highest) vertex wins
    used = base_w + (int(cumw[taken - 1]) if taken else 0)
    lp_value = float(uv[lp_pos].sum())
    if taken < len(order):
        f = order[taken]
        lam = float(slope[f])
        lp_value += (capacity - used) * lam
    else:
        lam = 0.0
    # greedy completion: later increments that still fit, in slope order, when they start at the class's vertex
    pos = lp_pos.copy()
    _complete(order[taken:], a, b, dw.astype(np.int64), icls, pos, int(capacity - used))
    # the LP optimum is a choice of whole options when no increment is cut (all taken, or the room filled exactly):
    # then it is the integer optimum too, and the greedy (which starts from it) has nothing to add
    integral = taken == len(order) or used == capacity
    return {"uv": uv, "uw": uw, "uo": uo, "us": us, "lp_pos": lp_pos, "greedy_pos": pos, "lam": lam,
            "lp_value": lp_value, "integral": integral}


def solve_mckp(values, weights, starts, capacity: int, *, time_limit: float | None = None, rel_gap: float = 0.0,
               abs_gap: float = 0.0, max_states: int = 20_000_000, max_nodes: int = 200_000_000,
               slice_ops: int = 2_000_000) -> MCKPSolution:
    """Exact multiple-choice knapsack: class c's options are `values`/`weights`[starts[c]:starts[c+1]], one per
    class, total weight at most `capacity`. Stops at `time_limit` seconds, within `rel_gap`/`abs_gap`, or at
    `max_states`/`max_nodes` (memory_limit), checking the clock every `slice_ops` state operations."""
    t0 = time.perf_counter()
    values = np.asarray(values)
    integral = values.dtype.kind in "iu"
    starts = np.asarray(starts, dtype=np.int64)
    lp = lp_relaxation(values, weights, starts, capacity)
    k = len(starts) - 1
    if lp is None:
        return MCKPSolution(None, math.nan, -math.inf, -math.inf, True, "infeasible", {"classes": k})
    uv, uw, uo, us, lam = lp["uv"], lp["uw"], lp["uo"], lp["us"], lp["lam"]
    lp_pos, pos0 = lp["lp_pos"], lp["greedy_pos"]
    c = int(capacity)
    z = float(uv[pos0].sum())
    U = lp["lp_value"]
    # integer values sum exactly (the numeric contract); float ones carry a sum's rounding error
    eps = sum_error_bound(k + 4, float(np.abs(uv).max(initial=0.0)) * k + abs(U)) if not integral else 0.0
    U = math.floor(U + 1e-6 + 1e-13 * abs(U)) if integral else U + eps
    stats = {"classes": k, "undominated": int(len(uv)), "lp_value": lp["lp_value"], "lp_multiplier": lam,
             "greedy": z}
    # float values: an option that could improve z by less than `slack` is dropped, so "optimal" is within it
    # (relative 1e-13 plus the proven rounding error: never an absolute amount, which would be most of a tiny
    # objective); callers state it as their answer's tolerance
    slack = 1e-6 + eps if integral else 1e-13 * abs(z) + eps
    if not integral:
        stats["tolerance"] = slack
    best_pos = pos0.copy()
    bound = float(U)
    stopped = "optimal"
    need = z + 1.0 - slack if integral else z + slack
    if z < U - (1e-9 if integral else 2 * eps):  # floats: closed only to within the LP value's rounding
        # Lagrangian reduction at lambda: option j of class i can matter only if L - d_ij beats z.
        cls_of = np.repeat(np.arange(k), np.diff(us))
        red = (uv[lp_pos] - lam * uw[lp_pos])[cls_of] - (uv - lam * uw)
        L = lp["lp_value"]
        ubj = L - red
        if integral:
            ubj = np.floor(ubj + slack)
        free = ubj >= need
        free[lp_pos] = True
        nfree = np.bincount(cls_of, weights=free, minlength=k)
        core = np.flatnonzero(nfree > 1)
        red_masked = np.where(free & (red > 0), red, np.inf)
        min_red = np.full(k, np.inf)
        np.minimum.at(min_red, cls_of, red_masked)
        cls_order = core[np.argsort(min_red[core], kind="stable")].astype(np.int64)
        stats.update(core_classes=int(len(core)), free_options=int(free.sum()))
        W = np.array([int(uw[lp_pos].sum())], np.int64)
        P = np.array([float(uv[lp_pos].sum())], np.float64)
        N = np.array([-1], np.int64)
        par = np.empty(1024, np.int64)
        pcls = np.empty(1024, np.int64)
        popt = np.empty(1024, np.int64)
        nn, m, ci, best = 0, 1, 0, -2
        with interrupt.stop_flag(None if time_limit is None else t0 + time_limit) as stop:  # mid-merge stops
            while True:
                status, W, P, N, m, par, pcls, popt, nn, ci, z, best, ub = _dp(
                    cls_order, us, uv, uw, free, lp_pos, c, lam, W, P, N, m, par, pcls, popt, nn, ci, z, best, integral,
                    slice_ops, max_states, max_nodes, eps, stop)
                bound = min(bound, float(ub))
                if status == 1 or m == 0:
                    bound = z
                    break
                if status == 2:
                    stopped = "memory_limit"
                    break
                if rel_gap > 0 or abs_gap > 0:
                    if bound - z <= abs_gap or bound - z <= rel_gap * max(abs(bound), 1e-12):
                        stopped = "gap_limit"
                        break
                if interrupt.requested():
                    stopped = "interrupted"
                    break
                if stop[0] or (time_limit is not None and time.perf_counter() - t0 >= time_limit):
                    stopped = "time_limit"  # stop[0] without Ctrl-C: the timer, just before the limit
                    break
        if best != -2:
            best_pos = lp_pos.copy()
            node = best
            while node != -1:
                best_pos[pcls[node]] = popt[node]
                node = par[node]
        stats["states_logged"] = int(nn)
    else:
        bound = z
    choice = uo[best_pos]
    value = float(np.asarray(values, dtype=np.float64)[starts[:-1] + choice].sum())
    stats["seconds"] = time.perf_counter() - t0
    return MCKPSolution(choice.astype(np.int64), value, max(bound, value), lp["lp_value"], stopped == "optimal",
                        stopped, stats)
