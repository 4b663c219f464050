"""Exact integer bit allocation for the model loss c_j 2^(-2 b_j), b_j in b_min..b_max, under
sum_j n_j b_j <= R.

The loss is separable and convex in b, so the greedy of Fox (1966) on marginal gains per bit-cost,
0.75 c_j 4^(-b) / n_j, is optimal when every group costs the same; it is computed here without a heap:
with a_j = log4(0.75 c_j / n_j), the Lagrangian choice at threshold t = log4(lambda) is
b_j(t) = clip(ceil(a_j - t), b_min, b_max). Writing a_j = A_j + u_j (integer and fractional parts), the
threshold is found in two steps: bisection over integers m, then the groups whose bit drops inside
[m, m + 1) are taken in order of u_j. That is the Lagrangian solution; leftover budget is filled greedily.

With groups of different sizes the greedy can leave budget unused, so the Lagrangian dual bound
F(x) - lambda * slack is checked, and if it does not close the gap, every option whose reduced cost
could still improve is handed to the exact MCKP solver (a small core). Result: optimal with a proven
bound, in O(n log n)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from optalloc.engines.mckp import solve_mckp
from optalloc.numeric import sum_error_bound

_LOG2_3_4 = math.log2(0.75)


@dataclass
class AllocSolution:
    """The exact allocation of BAQ's model: bits per group, the objective, proven bound and why it stopped."""

    bits: np.ndarray | None  # int64 per group, None if infeasible
    loss: float
    bound: float  # proven lower bound
    optimal: bool
    stopped: str
    stats: dict


@njit(cache=True)
def _used_at_integer(A, n, m, bmin, bmax):
    """Bits used at threshold t = m - epsilon: b_j = clip(A_j - m + 1, bmin, bmax)."""
    tot = 0
    for j in range(len(A)):
        b = A[j] - m + 1
        if b < bmin:
            b = bmin
        elif b > bmax:
            b = bmax
        tot += n[j] * b
    return tot


@njit(cache=True)
def _bits_at(A, m, bmin, bmax, out):
    for j in range(len(A)):
        b = A[j] - m + 1
        if b < bmin:
            b = bmin
        elif b > bmax:
            b = bmax
        out[j] = b


@njit(cache=True)
def _cont_used(beta, n, theta, bmin, bmax):
    tot = 0.0
    for j in range(len(beta)):
        b = beta[j] - theta
        if b < bmin:
            b = bmin
        elif b > bmax:
            b = bmax
        tot += n[j] * b
    return tot


@njit(cache=True)
def _mass_below(u, n, f):
    tot = 0
    for i in range(len(u)):
        if u[i] < f:
            tot += n[i]
    return tot


@njit(cache=True)
def _in_core(c, n, bl, lam, bmin, bmax, limit):
    """Groups whose one-bit move up or down has a reduced cost below `limit` (by convexity, the cheapest)."""
    out = np.zeros(len(c), dtype=np.bool_)
    for j in range(len(c)):
        b = bl[j]
        base = c[j] * 2.0 ** (-2.0 * b) + lam * n[j] * b
        if b < bmax:
            rc = c[j] * 2.0 ** (-2.0 * (b + 1)) + lam * n[j] * (b + 1) - base
            if rc < limit:
                out[j] = True
                continue
        if b > bmin:
            rc = c[j] * 2.0 ** (-2.0 * (b - 1)) + lam * n[j] * (b - 1) - base
            if rc < limit:
                out[j] = True
    return out


def continuous_bound(c, n, bmin: float, bmax: float, R: float) -> tuple[float, np.ndarray | None]:
    """Reverse water-filling with floors and ceilings: min sum c 2^(-2b), sum n b <= R, bmin <= b <= bmax,
    b real. KKT: b_j = clip(beta_j - theta), beta_j = 0.5 log2(2 ln2 c_j / n_j). Returns (loss, b) or
    (inf, None) when even b = bmin everywhere does not fit."""
    c = np.asarray(c, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if float(np.dot(n, np.full(len(n), bmin))) > R * (1 + 1e-12):
        return math.inf, None
    if float(n.sum()) * bmax <= R:
        b = np.full(len(c), float(bmax))
        return float(np.dot(c, np.exp2(-2.0 * b))), b
    beta = 0.5 * np.log2(2.0 * math.log(2.0) * c / n)
    theta = _water_level(beta, n, float(R), float(bmin), float(bmax))
    b = np.clip(beta - theta, bmin, bmax)
    # Report the Lagrangian dual value at this water level (lambda = 4^theta, as beta holds the 2 ln2): a lower bound by weak
    # duality whatever the bisection's last digits, and equal to the relaxed optimum when the level is exact.
    lam = 4.0**theta
    loss = float(np.dot(c, np.exp2(-2.0 * b)))
    return min(loss, loss + lam * (float(np.dot(n, b)) - R)), b


@njit(cache=True)
def _water_level(beta, n, R, bmin, bmax):
    """theta with sum n clip(beta - theta, bmin, bmax) = R: bisection until the clipped set is stable, then
    the linear equation on that segment."""
    lo = np.inf
    hi = -np.inf
    for j in range(len(beta)):
        lo = min(lo, beta[j] - bmax - 1.0)
        hi = max(hi, beta[j] - bmin + 1.0)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if _cont_used(beta, n, mid, bmin, bmax) > R:
            lo = mid
        else:
            hi = mid
    # on [lo, hi] the free groups (bmin < beta - theta < bmax at both ends) give a linear equation
    free_n = 0.0
    free_nb = 0.0
    fixed = 0.0
    for j in range(len(beta)):
        if beta[j] - hi >= bmax:
            fixed += n[j] * bmax
        elif beta[j] - lo <= bmin:
            fixed += n[j] * bmin
        elif beta[j] - lo < bmax and beta[j] - hi > bmin:
            free_n += n[j]
            free_nb += n[j] * beta[j]
        else:
            return hi  # a breakpoint inside the bracket: the bisected level is exact to 2^-40
    if free_n == 0.0:
        return hi
    theta = (free_nb + fixed - R) / free_n
    return min(max(theta, lo), hi)


def solve_bit_model(c, n, bmin: int, bmax: int, R: float, *, time_limit: float | None = None) -> AllocSolution:
    """The exact integer allocation of BAQ's model: group g of `n`[g] weights and sensitivity `c`[g] gets b in
    [`bmin`, `bmax`] bits at loss c 2^(-2b), the element-weighted average at most `R` bits; stops at
    `time_limit` seconds."""
    t0 = time.perf_counter()
    c = np.asarray(c, dtype=np.float64)
    n = np.asarray(n, dtype=np.int64)
    k = len(c)
    Rint = math.floor(R + 1e-9 * max(1.0, abs(R)))
    if int(n.sum()) * bmin > Rint:
        return AllocSolution(None, math.nan, math.inf, True, "infeasible", {"groups": k})
    if int(n.sum()) * bmax <= Rint:
        bits = np.full(k, bmax, dtype=np.int64)
        loss = float(np.dot(c, np.exp2(-2.0 * bits)))
        return AllocSolution(bits, loss, loss, True, "optimal", {"groups": k})
    a = (np.log2(c / n) + _LOG2_3_4) / 2.0  # log4 of the first-step gain per bit-cost
    A = np.floor(a).astype(np.int64)
    u = a - A
    # Integer part: the largest m with used(m) > R, so that the threshold lies in [m, m + 1).
    lo, hi = int(A.min()) - bmax - 1, int(A.max()) - bmin + 2  # used(lo) = all bmax > R, used(hi) = all bmin <= R
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _used_at_integer(A, n, mid, bmin, bmax) > Rint:
            lo = mid
        else:
            hi = mid
    m = lo
    bits = np.empty(k, dtype=np.int64)
    _bits_at(A, m, bmin, bmax, bits)  # every group at its bits just below the threshold m
    used = int(np.dot(n, bits))
    # Inside [m, m + 1): group j loses one bit when t passes m + u_j, if that bit is above bmin and it had
    # gained it at this level (A_j - m + 1 within (bmin, bmax]).
    lvl = A - m + 1
    droppable = np.flatnonzero((lvl > bmin) & (lvl <= bmax))
    need = used - Rint
    ud, nd = u[droppable], n[droppable]
    # Smallest drop point f with mass(u < f) >= need, by bisection; only the ties at f get sorted.
    if need > 0:
        flo, fhi = 0.0, 1.0 + 1e-12
        for _ in range(60):
            mid = 0.5 * (flo + fhi)
            if _mass_below(ud, nd, mid) >= need:
                fhi = mid
            else:
                flo = mid
        surely = droppable[ud < flo]
        edge = droppable[(ud >= flo) & (ud < fhi)]
        edge = edge[np.argsort(u[edge], kind="stable")]
        rest = need - int(n[surely].sum())
        cum = np.cumsum(n[edge])
        take = int(np.searchsorted(cum, rest, side="left")) + 1 if rest > 0 else 0
        dropped = np.concatenate([surely, edge[:take]])
        last = edge[take - 1] if take else (surely[np.argmax(u[surely])] if len(surely) else None)
    else:
        dropped = np.zeros(0, dtype=np.int64)
        last = None
    bits[dropped] -= 1
    used -= int(n[dropped].sum())
    # The multiplier at the threshold: between the last dropped and the first kept drop point.
    t_star = m + float(u[last]) if last is not None else float(m)
    lam = 4.0 ** t_star
    # Greedy fill of the slack with the best remaining upgrades (ratio order), each if it fits. Only the
    # best few candidates can matter: no more upgrades fit than slack / min(n).
    _fill_slack(c, n, bits, bmax, Rint - used)
    loss = float(np.dot(c, np.exp2(-2.0 * bits)))
    # Lagrangian dual bound at lambda: min_b sum f_j(b_j) + lam (n_j b_j) - lam R, at the Lagrangian choice.
    bl = np.empty(k, dtype=np.int64)
    _bits_at(A, m, bmin, bmax, bl)
    bl[dropped] -= 1
    dual = float(np.dot(c, np.exp2(-2.0 * bl)) + lam * (float(np.dot(n, bl)) - Rint))
    stats = {"groups": k, "threshold_groups": int(len(droppable)), "lambda": lam}
    # the proven rounding error of loss and dual (sums of 2k + 2 products): an absolute tolerance would be most
    # of a tiny loss and call a gap closed that is not
    tol = sum_error_bound(2 * k + 4, loss + float(np.dot(c, np.exp2(-2.0 * bl)))
                          + lam * (float(np.dot(n, bl)) + Rint))
    if loss - dual <= tol:
        return AllocSolution(bits, loss, loss, True, "optimal", stats | {"seconds": time.perf_counter() - t0})
    # Not closed: solve the core exactly. Option b of group j can help only if dual + rc_jb < loss.
    gap = loss - dual
    f_lam_choice = c * np.exp2(-2.0 * bl) + lam * n * bl

    def reduced_cost(idx, off):
        b = bl[idx] + off
        ok = (b >= bmin) & (b <= bmax)
        bb = np.clip(b, bmin, bmax)
        return np.where(ok, c[idx] * np.exp2(-2.0 * bb) + lam * n[idx] * bb - f_lam_choice[idx], np.inf)

    # By convexity the cheapest move of a group is one bit up or down: that picks the core.
    in_core = _in_core(c, n, bl, lam, bmin, bmax, gap - tol)
    core = np.flatnonzero(in_core)
    stats["core_groups"] = int(len(core))
    if len(core) == 0:
        return AllocSolution(bits, loss, loss, True, "optimal", stats | {"seconds": time.perf_counter() - t0})
    fixed = ~in_core
    sizes_in_core = np.unique(n[core])
    two_step = all((reduced_cost(core, o) >= gap - tol).all() for o in (-2, 2) if bmax - bmin >= 2)
    if len(sizes_in_core) <= 2 and two_step:
        best_bits, best_loss = _core_by_prefixes(c, n, bl, core, lam, Rint, bmin, bmax, loss)
        if best_loss < loss:
            bits, loss = best_bits, best_loss
        stats.update(core_method="prefixes", seconds=time.perf_counter() - t0)
        return AllocSolution(bits, loss, loss, True, "optimal", stats)
    remaining = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - t0))
    r, cand = _core_by_mckp(c, n, bl, core, fixed, Rint, bmin, bmax, reduced_cost, gap - tol, remaining)
    if r.choice is None:  # cannot happen: the Lagrangian choice of the core fits
        return AllocSolution(bits, loss, dual, False, "error", stats)
    cand_loss = float(np.dot(c, np.exp2(-2.0 * cand)))
    if cand_loss < loss:
        bits, loss = cand, cand_loss
    fixed_loss = float(np.dot(c[fixed], np.exp2(-2.0 * bl[fixed])))  # (fixed is a mask)
    bound = max(dual, fixed_loss - r.bound) if r.stopped != "optimal" else loss
    stats["seconds"] = time.perf_counter() - t0
    return AllocSolution(bits, loss, bound, r.stopped == "optimal", r.stopped, stats)


def _fill_slack(c, n, bits, bmax, slack) -> None:
    """Greedy fill of the budget's `slack` with the best remaining upgrades (ratio order), each if it fits (in
    place). Only the best few candidates can matter: no more upgrades fit than slack / min(n)."""
    if slack <= 0:
        return
    up = np.flatnonzero(bits < bmax)
    ratio = 0.75 * c[up] * np.exp2(-2.0 * bits[up]) / n[up]
    top = min(len(up), 4 * (slack // int(n.min()) + 1) + 64)
    part = np.argpartition(-ratio, top - 1)[:top] if top < len(up) else np.arange(len(up))
    for j in up[part[np.argsort(-ratio[part], kind="stable")]]:
        if n[j] <= slack:
            bits[j] += 1
            slack -= int(n[j])
            if slack < n.min():
                break


def _core_by_mckp(c, n, bl, core, fixed, R, bmin, bmax, reduced_cost, threshold, time_limit):
    """The core as a multiple-choice knapsack (maximise -loss, weight n b) over the options whose reduced cost is
    below `threshold` (the others cannot help): (the MCKP solution, the bits it gives every group; the groups
    outside the core keep their Lagrangian bits `bl`)."""
    cap = R - int(np.dot(n[fixed], bl[fixed]))
    offs = np.arange(bmin - bmax, bmax - bmin + 1)
    rc = np.stack([reduced_cost(core, o) for o in offs], axis=1)
    free = rc < threshold
    free[:, offs == 0] = True
    sel_b = (bl[core, None] + offs[None, :])[free]
    cls = np.repeat(np.arange(len(core)), free.sum(axis=1))
    vals = -(c[core][cls] * np.exp2(-2.0 * sel_b))
    wts = n[core][cls] * sel_b
    starts = np.concatenate([[0], np.cumsum(free.sum(axis=1))]).astype(np.int64)
    r = solve_mckp(vals, wts.astype(np.int64), starts, cap, time_limit=time_limit)
    cand = bl.copy()
    if r.choice is not None:
        cand[core] = sel_b[starts[:-1] + r.choice]
    return r, cand


def _core_by_prefixes(c, n, bl, core, lam, R, bmin, bmax, incumbent):
    """Exact core solve when every core group moves by at most one bit and there are at most two group
    sizes. From the Lagrangian choice, an up move of group j lowers the loss by f(b) - f(b+1) and uses n_j
    bits; a down move raises it and frees n_j. Moving one group of a size up and another of the same size
    down never pays (the pair costs both reduced costs), so per size the optimum takes the k best up moves
    or the k best down moves: enumerate the count of one size, fill the other from prefix sums."""
    used0 = int(np.dot(n, bl))
    per_size = []
    for size in np.unique(n[core]):
        g = core[n[core] == size]
        fb = c[g] * np.exp2(-2.0 * bl[g])
        up_ok = bl[g] < bmax
        dn_ok = bl[g] > bmin
        up_gain = np.where(up_ok, fb - c[g] * np.exp2(-2.0 * (bl[g] + 1)), -np.inf)  # loss decrease
        dn_cost = np.where(dn_ok, c[g] * np.exp2(-2.0 * (bl[g] - 1)) - fb, np.inf)  # loss increase
        uo = np.argsort(-up_gain, kind="stable")[: int(up_ok.sum())]
        do = np.argsort(dn_cost, kind="stable")[: int(dn_ok.sum())]
        # delta(k): loss change for k moves (k > 0 up, k < 0 down); weight change k * size
        up_cum = np.concatenate([[0.0], -np.cumsum(up_gain[uo])])
        dn_cum = np.concatenate([[0.0], np.cumsum(dn_cost[do])])
        per_size.append((int(size), g, uo, do, up_cum, dn_cum))
    slack = R - used0

    def best_for(k_first):
        """Best loss change with k_first moves of the first size, the second size filling the rest."""
        s1, _, _, _, up1, dn1 = per_size[0]
        d1 = up1[k_first] if k_first >= 0 else dn1[-k_first]
        room = slack - k_first * s1
        if len(per_size) == 1:
            return (d1, 0) if room >= 0 else (np.inf, 0)
        s2, _, _, _, up2, dn2 = per_size[1]
        if room >= 0:
            k2 = min(room // s2, len(up2) - 1)  # more up moves always lower the loss
            return d1 + up2[k2], k2
        k2 = -((-room) // s2 + (1 if (-room) % s2 else 0))  # fewest down moves that make it fit
        if -k2 > len(dn2) - 1:
            return np.inf, 0
        return d1 + dn2[-k2], k2

    s1, _, _, _, up1, dn1 = per_size[0]
    best = (0.0, 0, 0) if slack >= 0 else (np.inf, 0, 0)
    for k1 in range(-(len(dn1) - 1), len(up1)):
        d, k2 = best_for(k1)
        if d < best[0]:
            best = (d, k1, k2)
    bits = bl.copy()
    for (size, g, uo, do, _, _), kk in zip(per_size, (best[1], best[2])):
        if kk > 0:
            bits[g[uo[:kk]]] += 1
        elif kk < 0:
            bits[g[do[:-kk]]] -= 1
    loss = float(np.dot(c, np.exp2(-2.0 * bits)))
    return bits, loss
