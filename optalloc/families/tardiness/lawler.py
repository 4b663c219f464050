"""Exact 1||ΣT_j (unweighted) by Lawler's decomposition with memoisation.

Number the jobs in EDD order (ties: shorter first). Lawler (1977): if k is the longest job, some optimal
sequence puts k after exactly the jobs {1..δ}∖{k} (EDD numbers) for some δ >= k, and all the others after k.
Both sides are again tardiness problems: the jobs of an EDD range that are "shorter" than k (in the strict
order (p, index), which makes the longest job unique), starting at a known time. A subproblem is therefore
(first job, last job, rank bound, start time); equal subproblems are solved once (memorised), which is the idea
of Branch & Memorize (Shang, T'Kindt & Della Croce).

Two exact shortcuts cut the tree:
- k only moves past job J[δ] if k would still be late one position earlier (otherwise swapping k back is never
  worse), and
- a subproblem whose EDD order is on time costs 0, and one whose SPT order has every job late is solved by SPT.

Plain Python with memo tables: fast for the easy classes, and it stops at a deadline (raising Timeout)."""
from __future__ import annotations

import sys

import numpy as np


class Timeout(Exception):
    """Lawler's decomposition ran out of time or memo space: the caller falls back to the weighted solver."""

    pass


def solve_unweighted(p, d, *, deadline=None, max_memo: int = 20_000_000, rules: bool = True):
    """Optimal (value, sequence) of 1||ΣT_j. Raises Timeout at the deadline or when the memo outgrows max_memo."""
    p = np.asarray(p, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    n = len(p)
    order = np.lexsort((np.arange(n), p, d))  # EDD, then SPT, then index
    P_ = p[order].tolist()
    D_ = d[order].tolist()
    # rank in the strict "longer" order (p, EDD position): the longest job of any subset is unique
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), p[order]))] = np.arange(n)
    R_ = rank.tolist()
    memo: dict = {}
    calls = [0]

    def solve(J, t):
        """(value, sequence of EDD numbers) for job list J (EDD order) starting at t."""
        if not J:
            return 0, ()
        # J is exactly the jobs of EDD range [J[0], J[-1]] with rank <= max rank: that is the key
        key = (J[0], J[-1], max(R_[j] for j in J), t)
        hit = memo.get(key)
        if hit is not None:
            return hit
        calls[0] += 1
        # every 64 calls: one call on a 500-job subproblem costs up to a millisecond of Python (4,096 per check
        # let a 2 s limit run to 3.5 s)
        if calls[0] % 64 == 0:
            if deadline is not None and deadline.expired():
                raise Timeout
            if len(memo) > max_memo:
                raise Timeout
        res = _solve(J, t)
        memo[key] = res
        return res

    def _solve(J, t):
        m = len(J)
        if m == 1:
            j = J[0]
            return max(0, t + P_[j] - D_[j]), (j,)
        # EDD on time: optimal with zero tardiness
        c = t
        late = False
        for j in J:
            c += P_[j]
            if c > D_[j]:
                late = True
                break
        if not late:
            return 0, tuple(J)
        # all late in SPT order: SPT is optimal (ΣT = ΣC - Σd and SPT minimises ΣC)
        spt = sorted(J, key=lambda j: (P_[j], j))
        c = t
        all_late = True
        total = 0
        for j in spt:
            c += P_[j]
            if c < D_[j]:
                all_late = False
                break
            total += c - D_[j]
        if all_late:
            return total, tuple(spt)
        k_pos = max(range(m), key=lambda q: R_[J[q]])
        k = J[k_pos]
        Rk = R_[k]
        best = None
        best_seq = ()
        allowed = _positions(J, k_pos, t, P_, D_) if rules else None
        prefix = t
        for q in range(k_pos):
            prefix += P_[J[q]]
        Ck = prefix + P_[k]  # k right after the jobs before it in EDD order
        for delta in range(k_pos, m):
            if delta > k_pos:
                before = Ck
                Ck += P_[J[delta]]
                if before <= D_[k]:
                    continue  # k on time one position earlier: swapping k back before J[delta] is never worse
            if allowed is not None and not allowed[delta - k_pos]:
                continue
            if deadline is not None and deadline.expired():  # each position costs O(m), even on memo hits
                raise Timeout
            left = [j for j in J[:delta + 1] if j != k]
            right = J[delta + 1:]
            lv, ls = solve(left, t)
            if best is not None and lv >= best:
                continue
            rv, rs = solve(right, Ck)
            v = lv + max(0, Ck - D_[k]) + rv
            if best is None or v < best:
                best, best_seq = v, ls + (k,) + rs
        return best, best_seq

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10 * n + 1000))
    try:
        value, seq = solve(list(range(n)), 0)
    finally:
        sys.setrecursionlimit(old)
    return int(value), order[np.asarray(seq, dtype=np.int64)], {"subproblems": len(memo)}


def _positions(J, s, t, P_, D_):
    """Which positions r >= s of the longest job J[s] survive the elimination rules of Szwarc, Della Croce &
    Grosso (as used by Branch & Memorize), with C(r) its completion time after J[0..r] and T(r) the tardiness
    of the EDD order with the longest job moved to r:
      rule 3: drop r >= s+2 when C(r) <= max over s < i < r of d_J[i] + p_J[i];
      rule 4: drop r when T(r) >= min over s <= i < r of T(i), or when T(r) > T(r+1)."""
    m = len(J)
    k = J[s]
    rest = J[:s] + J[s + 1:]
    C = t
    for q in range(s):
        C += P_[J[q]]
    # tardiness of EDD-with-k-at-r, for r = s..m-1, built incrementally
    T = []
    for r in range(s, m):
        seq = rest[:r] + [k] + rest[r:]
        c, tot = t, 0
        for j in seq:
            c += P_[j]
            if c > D_[j]:
                tot += c - D_[j]
        T.append(tot)
    keep = [True] * (m - s)
    Cr = C + P_[k]
    reach = -10**18
    best_before = None
    for r in range(s, m):
        if r > s:
            Cr += P_[J[r]]
        i = r - s
        if r >= s + 2:
            reach = max(reach, D_[J[r - 1]] + P_[J[r - 1]])
            if Cr <= reach:
                keep[i] = False
        if best_before is not None and T[i] >= best_before:
            keep[i] = False
        if r < m - 1 and T[i] > T[i + 1]:
            keep[i] = False
        best_before = T[i] if best_before is None else min(best_before, T[i])
    return keep
