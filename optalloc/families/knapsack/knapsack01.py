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
from optalloc.families.knapsack.exact_fill import affine_offset, fill
from optalloc.families.knapsack.reductions import IdenticalItems
from optalloc.numeric import sum_error_bound

_GREEDY = -2  # best solution is the greedy one, not a DP node
_EXTERNAL = -3  # best solution came from the Lagrangian phase
_ROOT = -1  # the break solution itself
# node ids, item numbers and item counts in 32 bits: the state log is most of the memory (16 bytes a node in
# 64 bits: 0.9 GB at 57 million nodes, and half a second to free after a time limit)
_NODE = np.int32
_MAX_NODES = 2**31 - 2**20
# what freeing the search's arrays costs once it stops, kept in hand under a time limit (measured: 0.3 s for
# 2.1 GB alone, more with two runs at once)
_RELEASE_SECONDS_PER_BYTE = 0.5e-9
# the heaviest-first search's state cap
_WEIGHT_STATES = 8_000_000
# the incumbent search's node log (width x free items) at most
_BEAM_NODES = 2_000_000


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
    """Advance the core search by at most `budget` state operations (beyond it only in a slice's first round of
    merges). Returns the search's state, its bound and the operations done; status: 0
    running, 1 done, 2 out of memory."""
    n = len(w)
    work = 0
    ubmax = np.inf  # no prune has run in this call yet: the states' bound is unknown here, not z
    status = 0
    while True:
        if m == 0:
            status = 1
            break
        # the next round (two merges, about 4 m operations) must fit the budget: near a time limit the budget
        # is what is left, and one round at millions of states takes seconds; a slice always makes one round
        if work >= budget or (work > 0 and work + 4 * m > budget) or stop[0]:
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
    return status, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, s, t, z, best, max(ubmax, z), work


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


@njit(cache=True, nogil=True)
def _beam(v, w, c, b, fixed, width, stop):
    """A restricted core search for an incumbent: the exact search's merges around the break item `b`, keeping
    only the `width` states with the largest Dantzig bounds. About n x width operations; where the greedy
    solution leaves the bounds nothing to prune it often lands on the optimum (Jooken's
    n_400_c_100000000_g_14_f_0.1_eps_1e-05: greedy 6,771 below it, this at it, in 0.07 s). Returns the best
    feasible value found (-inf if none) and its items (sorted order), or value -inf when `stop` was raised."""
    n = len(v)
    cap = 2 * width + 2
    W = np.empty(cap, np.int64)
    P = np.empty(cap, np.float64)
    N = np.empty(cap, _NODE)
    Q = np.zeros(cap, _NODE)
    Wb = np.empty(cap, np.int64)
    Pb = np.empty(cap, np.float64)
    Nb = np.empty(cap, _NODE)
    Qb = np.zeros(cap, _NODE)
    free = 0
    for i in range(n):
        if not fixed[i]:
            free += 1
    par = np.empty(free * cap + 1, _NODE)
    itm = np.empty(free * cap + 1, _NODE)
    score = np.empty(cap, np.float64)
    W[0] = 0
    P[0] = 0.0
    for i in range(b):
        W[0] += w[i]
        P[0] += v[i]
    N[0] = _ROOT
    m = 1
    nn = 0
    s = b - 1
    t = b
    z = -np.inf
    zn = _GREEDY
    while True:
        while t < n and fixed[t]:
            t += 1
        while s >= 0 and fixed[s]:
            s -= 1
        if t >= n and s < 0:
            break
        for phase in range(2):
            if phase == 0:
                if t >= n:
                    continue
                item = t
                dw = w[t]
                dp = v[t]
                t += 1
            else:
                if s < 0:
                    continue
                item = s
                dw = -w[s]
                dp = -v[s]
                s -= 1
            k, nn = _merge(W, P, N, Q, m, dw, dp, 0, item, Wb, Pb, Nb, Qb, par, itm, nn, stop)
            if k < 0:
                return -np.inf, np.zeros(n, np.bool_)
            W, Wb = Wb, W
            P, Pb = Pb, P
            N, Nb = Nb, N
            Q, Qb = Qb, Q
            m = k
            ta = t
            while ta < n and fixed[ta]:
                ta += 1
            sr = s
            while sr >= 0 and fixed[sr]:
                sr -= 1
            r_add = v[ta] / w[ta] if ta < n else 0.0
            for q in range(m):
                if W[q] <= c:
                    if P[q] > z:
                        z = P[q]
                        zn = N[q]
                    score[q] = P[q] + (c - W[q]) * r_add
                elif sr >= 0:
                    score[q] = P[q] - (W[q] - c) * (v[sr] / w[sr])
                else:
                    score[q] = -np.inf
            if m > width:
                cut = -np.partition(-score[:m], width - 1)[width - 1]
                kept = 0
                for q in range(m):
                    if score[q] >= cut and kept < width:
                        W[kept] = W[q]
                        P[kept] = P[q]
                        N[kept] = N[q]
                        kept += 1
                m = kept
    x = np.zeros(n, np.bool_)
    if zn == _GREEDY:
        return z, x
    x[:b] = True
    node = zn
    while node != _ROOT:
        x[itm[node]] = not x[itm[node]]
        node = par[node]
    return z, x


@njit(cache=True, nogil=True)
def _by_weight(v, w, c, fixed, order, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, step, z, best, integral, eps,
               budget, max_states, max_nodes, stop):
    """The other exact search: every undominated subset of the free items, merged heaviest first (Nemhauser and
    Ungar's lists, states over the capacity dropped), each state kept only while its Dantzig bound over the items
    still to come can beat z. Where weights come in a few magnitudes (Jooken's groups) the lists stay small
    while the core search, whose bounds cannot tell an exact fill from a near one, grows without end. `v`, `w`
    are sorted by ratio, so the items to come in index order are in ratio order. Advances by about `budget`
    state operations; returns the state and status 0 running, 1 done (z optimal), 2 out of memory, with the
    largest bound over the kept states."""
    n = len(v)
    nf = len(order)
    alive = np.zeros(n, np.bool_)
    for q in range(step, nf):
        alive[order[q]] = True
    cw = np.empty(n + 1, np.int64)
    cp = np.empty(n + 1, np.float64)
    ratio = np.empty(n + 1, np.float64)
    work = 0
    ubmax = np.inf
    while True:
        if m == 0 or step >= nf:
            return 1, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, step, z, best, z, work
        if (work > 0 and work + 2 * m > budget) or stop[0]:
            return 0, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, step, z, best, max(ubmax, z), work
        if m > max_states or nn + m > max_nodes:
            return 2, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, step, z, best, max(ubmax, z), work
        item = order[step]
        alive[item] = False
        step += 1
        Wb = _grow_i8(Wb, 2 * m)
        Pb = _grow_f8(Pb, 2 * m)
        Nb = _grow_i8(Nb, 2 * m)
        Qb = _grow_i8(Qb, 2 * m)
        par = _grow_i8(par, nn + m)
        itm = _grow_i8(itm, nn + m)
        k, nn2 = _merge(W, P, N, Q, m, w[item], v[item], 0, item, Wb, Pb, Nb, Qb, par, itm, nn, stop)
        if k < 0:  # stopped mid-merge: the lists before this item stand, and it is still to come
            step -= 1
            alive[item] = True
            return 0, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, step, z, best, max(ubmax, z), work
        nn = nn2
        work += m + k
        W, Wb = Wb, W
        P, Pb = Pb, P
        N, Nb = Nb, N
        Q, Qb = Qb, Q
        while k > 0 and W[k - 1] > c:  # items are only added from here on: over the capacity is over for good
            k -= 1
        if k > 0 and P[k - 1] > z:  # values rise with weight: the last state is the best one
            z = P[k - 1]
            best = N[k - 1]
        # Dantzig's bound over the items to come (in ratio order): cumulative weights and values
        a = 0
        cw[0] = 0
        cp[0] = 0.0
        for q in range(n):
            if alive[q]:
                cw[a + 1] = cw[a] + w[q]
                cp[a + 1] = cp[a] + v[q]
                ratio[a] = v[q] / w[q]
                a += 1
        slack = 1e-6 + 1e-13 * abs(z) + eps
        need = z + 1.0 - slack if integral else z + slack
        kept = 0
        ubmax = -np.inf
        j = a
        for q in range(k):  # lightest first: the room shrinks, so the items that fit whole only fall
            room = c - W[q]
            while j > 0 and cw[j] > room:
                j -= 1
            ub = P[q] + cp[j]
            if j < a:
                ub += (room - cw[j]) * ratio[j]
            if integral:
                ub = math.floor(ub + slack)
            if ub >= need:
                W[kept] = W[q]
                P[kept] = P[q]
                N[kept] = N[q]
                kept += 1
                if ub > ubmax:
                    ubmax = ub
        m = kept


def _meets(z: float, bound: float, integral: bool) -> bool:
    """Whether the incumbent z reaches the proven bound (to the unit's rounding for integer values, relatively
    for float ones): then z is optimal."""
    return z >= bound - (1e-9 if integral else 1e-12 * max(1.0, abs(bound)))


def _cardinality_terms(v, w, q, c, info, terms: int):
    """The Lagrangian bound with the cardinality row at info's multipliers: mu, lam, each item's reduced cost
    (item j counts q[j] copies in the row), the constant mu k + lam c, and the proven rounding error of a bound
    that sums `terms` floats of these."""
    mu, lam = info["mu"], info["lam"]
    rc = v - mu * q - lam * w
    card_base = mu * info["k"] + lam * c
    eps = sum_error_bound(terms, float(np.abs(v).sum()) + abs(mu) * (info["k"] + float(q.sum()))
                          + abs(lam) * (c + float(w.sum())))
    return mu, lam, rc, card_base, eps


def _lagrangian_phase(v, w, q, c, fixed, x_base, z, x_best, integral, info, deadline_at, rel_gap, abs_gap,
                      max_states, max_nodes, slice_ops, max_work):
    """Run phase 2 from scratch with the incumbent of phase 1, for at most `max_work` state operations; item j
    counts q[j] in the cardinality row (the copies a piece stands for). Returns (z, x_best, bound, stopped,
    states); stopped is "budget" when it gave up."""
    # every float in a state's bound (card_base, P, mu q, lam W, the reduced costs) counts in eps
    mu, lam, rc, card_base, eps = _cardinality_terms(v, w, q, c, info, len(v) + 8)
    free = ~fixed
    x_L = np.where(free, rc > 0, x_base)
    seq = np.flatnonzero(free)
    seq = seq[np.argsort(np.abs(rc[seq]), kind="stable")]
    sign = np.where(x_L[seq], -1, 1)
    dW = (w[seq] * sign).astype(np.int64)
    dP = (v[seq] * sign).astype(np.float64)
    dQ = (q[seq] * sign).astype(np.int64)
    rc_abs = np.abs(rc[seq])
    W = np.array([int(w[x_L].sum())], np.int64)
    P = np.array([float(v[x_L].sum())], np.float64)
    N = np.array([_ROOT], _NODE)
    Q = np.array([int(q[x_L].sum())], _NODE)
    Wb, Pb, Nb, Qb = (np.empty(16, np.int64), np.empty(16, np.float64), np.empty(16, _NODE),
                      np.empty(16, _NODE))
    par = np.empty(1024, _NODE)
    itm = np.empty(1024, _NODE)
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


class _HeaviestFirst:
    """The heaviest-first search (_by_weight) as a resumable run beside the core search: it starts from the
    break solution's fixed items, and `advance` gives it a slice of operations with the current incumbent."""

    def __init__(self, v, w, c, b, fixed, integral, eps, max_states, max_nodes):
        free = np.flatnonzero(~fixed)
        self.order = free[np.lexsort((free, -w[free]))].astype(np.int64)  # heaviest first, ties in ratio order
        self.base = fixed.copy()
        self.base[b:] = False  # the fixed items that the break solution takes
        self.v, self.w, self.c, self.fixed = v, w, c, fixed
        self.integral, self.eps, self.max_states, self.max_nodes = integral, eps, max_states, max_nodes
        self.arrays = (np.array([int(w[self.base].sum())], np.int64), np.array([float(v[self.base].sum())]),
                       np.array([_ROOT], _NODE), np.zeros(1, _NODE), np.empty(16, np.int64), np.empty(16),
                       np.empty(16, _NODE), np.empty(16, _NODE), np.empty(1024, _NODE), np.empty(1024, _NODE))
        self.m, self.nn, self.step, self.best = 1, 0, 0, _GREEDY
        self.bound = math.inf
        self.work = 0
        self.speed = None  # operations a second in the last slice

    def advance(self, z: float, budget: int, stop) -> int:
        """Run about `budget` operations with incumbent `z`. Returns 0 running, 1 done (then self.z is optimal),
        2 out of memory; self.z is the best value seen (z or better), self.bound a proven bound."""
        W, P, N, Q, Wb, Pb, Nb, Qb, par, itm = self.arrays
        started = time.perf_counter()
        status, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, step, z, best, ub, done = _by_weight(
            self.v, self.w, self.c, self.fixed, self.order, W, P, N, Q, self.m, Wb, Pb, Nb, Qb, par, itm, self.nn,
            self.step, z, self.best, self.integral, self.eps, budget, self.max_states, self.max_nodes, stop)
        self.speed = max(done, 1) / max(time.perf_counter() - started, 1e-9)
        self.work += done
        self.arrays = (W, P, N, Q, Wb, Pb, Nb, Qb, par, itm)
        self.m, self.nn, self.step, self.z, self.best = m, nn, step, z, best
        self.bound = z if status == 1 else min(self.bound, float(ub))
        return status

    def items(self):
        """The items of the best solution this search found (None if it found none better than its first z)."""
        if self.best == _GREEDY:
            return None
        par, itm = self.arrays[8], self.arrays[9]
        x = self.base.copy()
        node = self.best
        while node != _ROOT:
            x[itm[node]] = True
            node = par[node]
        return x


def solve_01(values, weights, capacity: int, *, time_limit: float | None = None, rel_gap: float = 0.0,
             abs_gap: float = 0.0, max_states: int = 20_000_000, max_nodes: int = 200_000_000,
             slice_ops: int = 3_000_000, phase2_work: int = 6_000_000,
             probe_ops: int = 100_000, beam_width: int = 4096,
             weight_work: int = 1_500_000_000, others_after: float = 0.1) -> KnapsackSolution:
    """Exact 0-1 knapsack of `values`, `weights` and `capacity` (a core DP with state pruning by bounds, a
    cardinality bound and a Lagrangian phase). Stops at `time_limit` seconds, within `rel_gap`/`abs_gap`, or at
    `max_states`/`max_nodes` (memory_limit); `slice_ops`, `probe_ops` and `phase2_work` size the work between
    checks of the clock. When the core search has not settled it within `others_after` seconds, a restricted
    search of `beam_width` states looks for a better incumbent, and a heaviest-first search runs beside the core
    search, taking turns of equal time, for at most `weight_work` operations; 0 skips either."""
    t0 = time.perf_counter()
    values = np.asarray(values)
    weights = np.asarray(weights, dtype=np.int64)
    integral = values.dtype.kind in "iu"
    max_nodes = min(int(max_nodes), _MAX_NODES)  # node ids are 32-bit
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
    # Exact reductions first. Identical items become binary pieces (IdenticalItems). A common divisor of the
    # values is divided out: every solution's value is then a multiple of it, so a bound rounds down to one (the
    # search asks a state to beat z by a whole divisor: Pisinger's profit-ceiling class has all values in 3s). A
    # common divisor of the weights is divided out of them and of the capacity.
    kinds = IdenticalItems(values[cand], weights[cand])
    v_int = kinds.values.astype(np.int64) if integral else None
    vdiv = max(1, int(np.gcd.reduce(v_int))) if integral else 1
    wdiv = max(1, int(np.gcd.reduce(kinds.weights)))
    v = (v_int // vdiv if integral else kinds.values).astype(np.float64)
    w = kinds.weights // wdiv
    c //= wdiv
    abs_gap = abs_gap / vdiv  # the search's values are in units of vdiv
    stats.update(item_kinds=int(len(kinds.starts)), pieces=int(len(v)), value_divisor=vdiv, weight_divisor=wdiv)
    order = np.lexsort((w, -(v / w)))  # by ratio, then lighter first
    v, w = v[order], w[order]
    piece = order  # the piece each sorted position stands for
    q = kinds.copies[order]  # the items a piece stands for: its weight in the cardinality bounds
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
    stats.update(break_item=b, dantzig=vdiv * float(U), greedy=vdiv * float(z),
                 free_after_reduction=int((~fixed).sum()))
    W = np.array([Wbar], dtype=np.int64)
    P = np.array([Pbar], dtype=np.float64)
    N = np.array([_ROOT], dtype=_NODE)
    Q = np.array([b], dtype=_NODE)
    Wb = np.empty(16, np.int64)
    Pb = np.empty(16, np.float64)
    Nb = np.empty(16, _NODE)
    Qb = np.empty(16, _NODE)
    # cardinality-bound data, filled in after the first slice (too costly for the easy instances)
    use_card, card_base, mu, lam = False, 0.0, 0.0, 0.0
    gain_add = np.zeros(len(v) + 1)
    gain_rem = np.zeros(len(v) + 1)
    par = np.empty(1024, _NODE)
    itm = np.empty(1024, _NODE)
    nn, m, s, t, best = 0, 1, b - 1, b, _GREEDY
    bound = float(U)
    stopped = "optimal"
    if _meets(z, U, integral):
        m = 0
    card_checked = False
    xs = None  # set when phase 2 decides the incumbent

    x_ext = None
    heavy = None  # the heaviest-first search, once the core search has run for `others_after` seconds
    started_others = False  # the incumbent search and the heaviest-first search

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

    trace.record(objective=base_value + vdiv * z, bound=base_value + vdiv * bound)  # the greedy answer, Dantzig's
    # the kernels stop mid-merge at the limit (a timer raises the flag) or on Ctrl-C
    deadline_at = None if time_limit is None else t0 + time_limit
    ops_done, last_rate = 0, 0.0  # the kernel's speed, to end its last slice before the limit
    with interrupt.stop_flag(deadline_at) as stop:
        while m > 0:
            budget = slice_ops if card_checked else probe_ops  # a short first slice: easy instances end in it
            if card_checked and not started_others and ops_done:
                # The core search runs alone for `others_after` seconds: most of Pisinger's instances are proven
                # by then and would pay for the others (n = 1,000-5,000 of classes 11-16 ran up to three times
                # slower when they joined after the first slice). Short slices, so that they join on time.
                budget = min(budget, max(probe_ops, int(last_rate * (t0 + others_after - time.perf_counter()))))
            if deadline_at is not None and ops_done:
                rate = last_rate  # the last slice's: slices slow down as the lists outgrow the caches
                held = sum(a.nbytes for a in (W, P, N, Q, Wb, Pb, Nb, Qb, par, itm))
                held += 0 if heavy is None else sum(a.nbytes for a in heavy.arrays)
                left = deadline_at - time.perf_counter() - _RELEASE_SECONDS_PER_BYTE * held
                if heavy is not None:
                    left /= 2  # the heaviest-first search takes a turn as long as this slice
                if left < 4 * m / rate:  # not even one more round of merges fits before the limit
                    stopped = "time_limit"
                    break
                budget = min(budget, int(rate * left))
            started = time.perf_counter()
            status, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, s, t, z, best, ub, done = _run(
                v, w, c, fixed, W, P, N, Q, m, Wb, Pb, Nb, Qb, par, itm, nn, s, t, z, best, integral, budget,
                max_states, max_nodes, use_card, card_base, mu, lam, gain_add, gain_rem, eps, stop)
            ops_done += done
            slice_seconds = time.perf_counter() - started
            last_rate = max(done, 1) / max(slice_seconds, 1e-9)
            bound = min(bound, float(ub))
            if status == 1:
                bound = z
                break
            if not card_checked:
                # The DP did not finish in its first slice: worth a better incumbent (it prunes states and fixes
                # items) and the cardinality bound, which often proves z.
                card_checked = True
                ub_card, info = cardinality_bound(v, w, c, z, integral, q)
                stats.update(cardinality_bound=vdiv * ub_card, kmin=info["kmin"], kmax=info["kmax"])
                # k_min counts the items a solution better than z needs: the bound is on those, so the optimum
                # is at most the larger of it and z (knapPI_9_10000_10000000_21: bound 6.2 million below z,
                # and z optimal)
                bound = min(bound, max(ub_card, z))
                # v = w + beta over the original items (not the pieces, which stand for several): a bound of
                # c + beta k is met by k items that fill c exactly, which exact_fill constructs
                v_items, w_items = values[cand] / vdiv, weights[cand] // wdiv
                beta = affine_offset(v_items, w_items) if integral else None
                if beta is not None:
                    if beta > 0:
                        counts = range(info["kmax"], max(0, info["kmax"] - 3), -1)
                    elif beta < 0:
                        counts = range(info["kmin"], info["kmin"] + 3)
                    else:  # subset sum: any count fills; the break solution's first, then its neighbours
                        kb = int(q[:b].sum())
                        counts = [kb + (r + 1) // 2 * (1 if r % 2 else -1) for r in range(11)]
                    k_fill, x_fill = fill(w_items, [k for k in counts if c + beta * k > z], c)
                    stats.update(exact_fill=k_fill)
                    if k_fill is not None:
                        z, x_ext, best = float(c + beta * k_fill), kinds.pieces_for(x_fill)[piece], _EXTERNAL
                if _meets(z, bound, integral):
                    m = 0  # the exact fill met the bound
                    break
                # (only without pieces: the core search's state counts Q count pieces, not the copies the row
                # counts; with pieces this bound proved 12 where 13 was optimal)
                if info["kmin"] == info["kmax"] and "mu" in info and bool((q == 1).all()):
                    # Every solution better than z has the same count (Pisinger's class 9: weights 100 R plus a
                    # little): each state of the core search is bounded by the Lagrangian bound with the cardinality
                    # row, its decided items as they are and the undecided ones at their best (gain_add for those
                    # it could add, gain_rem for those it could remove)
                    # (the bound sums two gains of up to n terms each besides the state's own)
                    mu, lam, rc, card_base, card_eps = _cardinality_terms(v, w, q, c, info, 2 * len(v) + 8)
                    rc = np.where(fixed, 0.0, rc)
                    gain_add = np.append(np.cumsum(np.maximum(rc, 0.0)[::-1])[::-1], 0.0)
                    gain_rem = np.append(0.0, np.cumsum(np.maximum(-rc, 0.0)))
                    use_card = True
                    stats.update(cardinality_per_state=True)
                    eps = max(eps, card_eps)
                binds = ub_card < U - (0.5 if integral else 1e-9 * max(1.0, abs(U)))
                if binds and info.get("mu", 0.0) != 0.0 and not _meets(z, bound, integral):
                    # The cardinality row binds: search in Lagrangian order from the Lagrangian solution (phase 2).
                    x0 = np.zeros(len(v), dtype=bool)
                    x0[:b] = True
                    deadline_at = None if time_limit is None else t0 + time_limit
                    z2, x2, ub2, stopped2, n2 = _lagrangian_phase(
                        v, w, q, c, fixed, x0, z, incumbent(), integral, info, deadline_at, rel_gap, abs_gap,
                        max_states, max_nodes, slice_ops, phase2_work)
                    stats.update(lagrangian_phase=stopped2, lagrangian_states=n2)
                    if stopped2 != "budget":
                        z, xs, stopped = z2, x2, stopped2
                        bound = min(bound, ub2)
                        m = 0 if stopped == "optimal" else -1
                        break
                    if z2 > z:  # phase 1 goes on, with the better incumbent phase 2 found
                        z, x_ext, best = z2, x2, _EXTERNAL
            if not started_others and time.perf_counter() - t0 >= others_after and m > 0 and not stop[0]:
                started_others = True
                width = int(min(beam_width, max(256, _BEAM_NODES // max(1, int((~fixed).sum())))))
                zb, xb = _beam(v, w, c, b, fixed, width, stop) if beam_width > 0 else (-math.inf, None)
                stats.update(beam=float(zb) if zb > -math.inf else None)
                if zb > z and int(w[xb].sum()) <= c:
                    z, x_ext, best = float(v[xb].sum()), xb, _EXTERNAL
                    # items the search has not reached yet are fixed when flipping them cannot beat the new z
                    slack = 1e-6 + 1e-13 * abs(z) + eps
                    need = z + 1.0 - slack if integral else z + slack
                    fixed[: s + 1] |= u[: s + 1] < need
                    fixed[t:] |= u[t:] < need
                    stats.update(free_after_beam=int((~fixed).sum()))
                if weight_work > 0:
                    # every item the reduction fixes at the current z is fixed for it: it starts afresh
                    slack = 1e-6 + 1e-13 * abs(z) + eps
                    need = z + 1.0 - slack if integral else z + slack
                    heavy = _HeaviestFirst(v, w, c, b, fixed | (u < need), integral, eps,
                                           min(max_states, _WEIGHT_STATES), max_nodes)
            if heavy is not None and not stop[0]:
                # the heaviest-first search gets as much time as the core search's slice took
                speed = heavy.speed
                share = slice_ops if speed is None else max(1, int(speed * slice_seconds))
                if deadline_at is not None and speed is not None:
                    held = sum(a.nbytes for a in (W, P, N, Q, Wb, Pb, Nb, Qb, par, itm) + heavy.arrays)
                    left = deadline_at - time.perf_counter() - _RELEASE_SECONDS_PER_BYTE * held
                    share = min(share, max(1, int(speed * left)))
                heavy_status = heavy.advance(z, min(share, weight_work - heavy.work), stop)
                x_heavy = heavy.items() if heavy.z > z else None
                if x_heavy is not None and int(w[x_heavy].sum()) <= c:
                    z, x_ext, best = float(v[x_heavy].sum()), x_heavy, _EXTERNAL
                bound = min(bound, heavy.bound)
                if heavy_status == 1:  # it enumerated every undominated solution: z is optimal
                    stats.update(proven_by="heaviest-first search")
                    m = 0
                    break
                # its lists rarely shrink: the items still to come times the list's length is about what is left
                ahead = heavy.m * (len(heavy.order) - heavy.step)
                hopeless = ahead > weight_work - heavy.work or (
                    deadline_at is not None and ahead > heavy.speed * (deadline_at - time.perf_counter()))
                if heavy_status == 2 or heavy.work >= weight_work or hopeless:
                    stats.update(heaviest_first="memory_limit" if heavy_status == 2 else "budget")
                    heavy = None  # the core search goes on alone (measured: Pisinger's classes 11-16 at n = 10,000
                    # give up within a few turns instead of halving the core search's speed to the end)
            trace.record(objective=base_value + vdiv * z, bound=base_value + vdiv * bound)
            if _meets(z, bound, integral):
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
    chosen = np.zeros(len(v), dtype=bool)
    chosen[piece[xs]] = True
    x[cand[kinds.items(chosen)]] = True
    value = float(values[x].sum())
    stats.update(states_logged=int(nn), seconds=time.perf_counter() - t0,
                 state_bytes=int(sum(a.nbytes for a in (W, P, N, Q, Wb, Pb, Nb, Qb, par, itm))))
    return KnapsackSolution(x, value, max(vdiv * float(bound) + base_value, value), stopped == "optimal", stopped,
                            stats)


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


def cardinality_bound(v: np.ndarray, w: np.ndarray, c: int, z: float, integral: bool,
                      q: np.ndarray | None = None) -> tuple[float, dict]:
    """Upper bound on every solution better than `z`: the LP with cardinality limits k_min <= sum q x <= k_max, by
    Lagrangian relaxation of the cardinality row (Martello, Pisinger and Toth's cardinality bounds, Mgmt Sci
    1999). Item j counts `q[j]` in the row (default 1: the copies of an item that a binary piece stands for). It
    may lie below z, which then is optimal: the optimum is at most the larger of the two.

    k_max: the most copies that fit (the lightest per copy first, the LP's count rounded down); k_min: the fewest
    copies whose values could exceed the incumbent z (the most valuable per copy first, rounded up). On strongly
    correlated classes (v = w + K) the bound at mu = K is c + K k_max, which is usually the optimum, where the
    plain LP bound is off by up to K."""
    q = np.ones(len(v), dtype=np.int64) if q is None else np.asarray(q, dtype=np.int64)
    kmax = _fill_count(w, q, c)
    by_value = np.lexsort((q, -(v / q)))
    cum = np.cumsum(v[by_value])
    target = z + (1 if integral else 1e-9)
    i = int(np.searchsorted(cum, target, side="left"))
    if i >= len(v):
        return z, {"kmin": int(q.sum()) + 1, "kmax": kmax}  # no set of items beats z
    j = by_value[i]
    short = target - (float(cum[i - 1]) if i else 0.0)  # value still missing when piece j is reached
    # the fraction of piece j's copies that covers it, rounded down by a hair: k_min must not overshoot
    kmin = int(q[by_value[:i]].sum()) + max(1, math.ceil(short * float(q[j]) / float(v[j]) - 1e-9))
    if kmin > kmax:
        return z, {"kmin": kmin, "kmax": kmax}  # no improving cardinality exists: z is optimal

    def f(mu: float) -> float:
        k = kmax if mu >= 0 else kmin
        return mu * k + dantzig_bound(v - mu * q, w, c)

    best_mu = 0.0

    lo, hi = -float((v / q).max()), float((v / q).max())
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
    # f(mu) sums up to n + 2 floats (v - mu q is itself rounded when mu is not an integer): its proven error
    err = sum_error_bound(len(v) + 4, float(np.abs(v).sum()) + abs(best_mu) * (float(q.sum()) + kmax + kmin)
                          + abs(best))
    bound = math.floor(best + 1e-6 + 1e-13 * abs(best) + err) if integral else best + err
    return float(bound), {"kmin": kmin, "kmax": kmax, "mu": best_mu, "lam": _critical_ratio(v - best_mu * q, w, c),
                          "k": kmax if best_mu >= 0 else kmin}


def _fill_count(w: np.ndarray, q: np.ndarray, c: int) -> int:
    """The most copies a solution can hold: pieces lightest per copy first, the last one's copies in part (the
    LP's count, rounded down; with one copy each, the number of lightest items that fit)."""
    by_weight = np.lexsort((w, w / q))
    cum = np.cumsum(w[by_weight])
    i = int(np.searchsorted(cum, c, side="right"))  # whole pieces that fit
    if i >= len(w):
        return int(q.sum())
    j = by_weight[i]
    room = c - (int(cum[i - 1]) if i else 0)
    return int(q[by_weight[:i]].sum()) + (room * int(q[j])) // int(w[j])


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
