"""Incumbents for knapsacks whose values are the weights plus a constant (v = w + beta: subset sum, Pisinger's
strongly and inversely strongly correlated classes).

There a solution of k items weighs W and is worth W + beta k, so the bounds (c, or c + beta k at the cardinality
bound's k) are met exactly by k items that fill the capacity to the unit. The core search reaches such a fill
only by enumerating the subsets near the break item, which at R = 10^5-10^7 means millions of states, whereas
there are usually many fills: this search constructs one directly. It starts from the k consecutive weights
(in sorted order) whose sum is the largest at most the target, then swaps one item in for one out, each time
the pair whose difference comes closest to the remaining gap without passing it; when no pair closes it further
it makes a small random swap backwards and goes on. When that ends short of the target, it looks for two, three or
four swaps at once whose differences add up to the gap (single swaps and sums of two, sorted by difference, each
one's complement looked up: a meet in the middle; sparse weights, n = 50-2,000 at R = 10^7, need it). It proves
nothing by itself: the caller compares the fill's value with its proven bound."""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _k_subset_with_sum(ws, k, target, max_steps, max_pairs, seed):
    """k positions of the ascending weights `ws` that sum to `target` exactly. Returns (found, mask)."""
    n = len(ws)
    mask = np.zeros(n, dtype=np.bool_)
    if k <= 0 or k >= n:
        if k == n and k > 0:
            total = 0
            for i in range(n):
                total += ws[i]
            if total == target:
                mask[:] = True
                return True, mask
        return target == 0 and k == 0, mask
    pre = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        pre[i + 1] = pre[i] + ws[i]
    if pre[k] > target or pre[n] - pre[n - k] < target:
        return False, mask
    lo, hi = 0, n - k  # the last window whose sum is at most the target (window sums grow with the start)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pre[mid + k] - pre[mid] <= target:
            lo = mid
        else:
            hi = mid - 1
    s = lo
    gap = target - (pre[s + k] - pre[s])
    ins = ws[s:s + k].copy()
    ins_pos = np.arange(s, s + k)
    m_out = n - k
    out = np.empty(m_out, dtype=np.int64)  # the weights outside, ascending, and their positions
    out_pos = np.empty(m_out, dtype=np.int64)
    out[:s] = ws[:s]
    out_pos[:s] = np.arange(s)
    out[s:] = ws[s + k:]
    out_pos[s:] = np.arange(s + k, n)
    np.random.seed(seed)
    steps = 0
    # 1. one swap at a time, the one that closes the gap most without passing it
    while gap > 0 and steps < max_steps:
        steps += 1
        best_d, best_a, best_p = 0, -1, -1
        for a in range(k):
            # the heaviest outside item at most ins[a] + gap: the swap's difference is at most the gap
            p = np.searchsorted(out, ins[a] + gap, side="right") - 1
            if p >= 0:
                d = out[p] - ins[a]
                if d > best_d:
                    best_d, best_a, best_p = d, a, p
                    if d == gap:
                        break
        if best_d == 0:
            # no swap closes the gap further: one a little backwards (the next lighter item outside), then on
            a = np.random.randint(k)
            p = np.searchsorted(out, ins[a], side="left") - 1
            if p < 0:
                continue
            best_a, best_p, best_d = a, p, out[p] - ins[a]
        a, p = best_a, best_p
        w_in, pos_in = out[p], out_pos[p]
        w_out, pos_out = ins[a], ins_pos[a]
        ins[a], ins_pos[a] = w_in, pos_in
        # out loses position p and gains w_out, kept ascending
        q = np.searchsorted(out, w_out, side="left")
        if q <= p:
            for r in range(p, q, -1):
                out[r] = out[r - 1]
                out_pos[r] = out_pos[r - 1]
            out[q], out_pos[q] = w_out, pos_out
        else:
            for r in range(p, q - 1):
                out[r] = out[r + 1]
                out_pos[r] = out_pos[r + 1]
            out[q - 1], out_pos[q - 1] = w_out, pos_out
        gap -= best_d
    if gap != 0:
        # 2. two swaps at once whose differences add up to the gap: the swaps (all of them, or a random sample
        # of max_pairs) sorted by difference, each one's complement looked up
        total = k * m_out
        cnt = total if total <= max_pairs else max_pairs
        d = np.empty(cnt, dtype=np.int64)
        sa = np.empty(cnt, dtype=np.int64)
        sp = np.empty(cnt, dtype=np.int64)
        for e in range(cnt):
            if total <= max_pairs:
                a, p = e // m_out, e % m_out
            else:
                a, p = np.random.randint(k), np.random.randint(m_out)
            d[e], sa[e], sp[e] = out[p] - ins[a], a, p
        o = np.argsort(d)
        d, sa, sp = d[o], sa[o], sp[o]
        found = 0
        e1 = e2 = e3 = e4 = -1
        for e in range(cnt):  # two swaps
            need = gap - d[e]
            f = np.searchsorted(d, need, side="left")
            while f < cnt and d[f] == need:
                if sa[f] != sa[e] and sp[f] != sp[e]:
                    e1, e2, found = e, f, 2
                    break
                f += 1
            if found:
                break
        if not found:
            # three and four swaps: the sums of two disjoint swaps (all, or a random sample), sorted, each one's
            # complement looked up among single swaps and among these sums
            total2 = cnt * (cnt - 1) // 2
            cnt2 = total2 if total2 <= max_pairs else max_pairs
            d2 = np.empty(cnt2, dtype=np.int64)
            u2 = np.empty(cnt2, dtype=np.int64)
            v2 = np.empty(cnt2, dtype=np.int64)
            e = 0
            if total2 <= max_pairs:
                for x in range(cnt):
                    for y in range(x + 1, cnt):
                        d2[e], u2[e], v2[e] = d[x] + d[y], x, y
                        e += 1
            else:
                while e < cnt2:
                    x, y = np.random.randint(cnt), np.random.randint(cnt)
                    d2[e], u2[e], v2[e] = d[x] + d[y], x, y
                    e += 1
            o2 = np.argsort(d2)
            d2, u2, v2 = d2[o2], u2[o2], v2[o2]
            for e in range(cnt2):
                x, y = u2[e], v2[e]
                if sa[x] == sa[y] or sp[x] == sp[y]:
                    continue
                need = gap - d2[e]
                f = np.searchsorted(d, need, side="left")  # a third single swap
                while f < cnt and d[f] == need:
                    if sa[f] != sa[x] and sa[f] != sa[y] and sp[f] != sp[x] and sp[f] != sp[y]:
                        e1, e2, e3, found = x, y, f, 3
                        break
                    f += 1
                if found:
                    break
                f = np.searchsorted(d2, need, side="left")  # two more
                while f < cnt2 and d2[f] == need:
                    g1, g2 = u2[f], v2[f]
                    if (sa[g1] != sa[g2] and sp[g1] != sp[g2] and sa[g1] != sa[x] and sa[g1] != sa[y]
                            and sa[g2] != sa[x] and sa[g2] != sa[y] and sp[g1] != sp[x] and sp[g1] != sp[y]
                            and sp[g2] != sp[x] and sp[g2] != sp[y]):
                        e1, e2, e3, e4, found = x, y, g1, g2, 4
                        break
                    f += 1
                if found:
                    break
        if not found:
            return False, mask
        for e in (e1, e2, e3, e4):
            if e >= 0:
                ins_pos[sa[e]] = out_pos[sp[e]]
    for a in range(k):
        mask[ins_pos[a]] = True
    return True, mask


def affine_offset(v: np.ndarray, w: np.ndarray) -> int | None:
    """beta when every value is its weight plus the same integer beta (values given as floats), else None."""
    if len(v) == 0:
        return None
    d = v - w
    beta = d[0]
    if beta != np.floor(beta) or not np.all(d == beta):
        return None
    return int(beta)


def fill(w: np.ndarray, counts, capacity: int, max_steps: int = 400, max_pairs: int = 1_000_000, seed: int = 1):
    """The first count in `counts` for which some that many items weigh exactly `capacity`, with such a set (a
    bool mask over `w`); (None, None) if the search finds none."""
    order = np.argsort(w, kind="stable")
    ws = np.ascontiguousarray(w[order], dtype=np.int64)
    for k in counts:
        found, mask = _k_subset_with_sum(ws, int(k), int(capacity), max_steps, max_pairs, seed)
        if found:
            x = np.zeros(len(w), dtype=bool)
            x[order[mask]] = True
            return int(k), x
    return None, None
