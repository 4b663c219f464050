"""Exact 1||ΣT_j (unweighted) by Lawler's decomposition with memoisation, compiled (numba).

Number the jobs in EDD order (ties: shorter first). Lawler (1977): if k is the longest job, some optimal
sequence puts k after exactly the jobs {1..δ}∖{k} (EDD numbers) for some δ >= k, and all the others after k.
Both sides are again tardiness problems: the jobs of an EDD range that are "shorter" than k (in the strict
order (p, EDD number), which makes the longest job unique), starting at a known time. A subproblem is therefore
exactly described by (first job, last job, longest job's rank, start time); equal subproblems are solved once
(memorised), which is the idea of Branch & Memorize (Shang, T'Kindt & Della Croce). The memo is a fixed-size
table that evicts its smallest entries when full: it is a cache, so eviction costs time, never exactness.

Exact shortcuts that cut the tree:
- k only moves past job J[δ] if k would still be late one position earlier (otherwise swapping k back is never
  worse);
- the position-elimination rules of Szwarc, Della Croce & Grosso (rules 3 and 4, see `_solve`);
- a subproblem whose EDD order is on time costs 0, and one whose SPT order has every job late is solved by SPT;
- a position whose left part alone already costs the best value found is not completed.

The kernel runs without the GIL and reads a stop flag at every subproblem, so a time limit or Ctrl-C stops it
within microseconds (`Timeout`)."""
from __future__ import annotations

import numpy as np
from numba import njit

EDD_ORDER = -2  # memo choice codes: the EDD order is optimal (on time), the SPT order is optimal (all late)
SPT_ORDER = -3
MEMO_MIN = 3  # smaller subproblems are cheaper to solve again than to look up
PROBE = 8  # table slots searched per key before an entry is evicted
BITS = 21  # jobs are numbered in 21 bits: three numbers pack into one int64 key


class Timeout(Exception):
    """Lawler's decomposition ran out of time (or was interrupted): the caller falls back to the weighted
    solver."""

    pass


def solve_unweighted(p, d, *, deadline=None, memo_slots: int | None = None):
    """Optimal (value, sequence, stats) of 1||ΣT_j for integer processing times `p` and due dates `d`. Raises
    Timeout when `deadline` (an optalloc.options.Deadline) expires or Ctrl-C arrives; `memo_slots` (a power of
    two; default about 16 n², at most 2^24) sizes the memo (32 bytes a slot, touched as it fills)."""
    from optalloc import interrupt

    p = np.asarray(p, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    n = len(p)
    if n >= 1 << BITS:
        raise ValueError(f"Lawler's decomposition numbers jobs in {BITS} bits; {n} jobs is too many")
    order = np.lexsort((np.arange(n), p, d))  # EDD, then SPT, then index
    P = p[order]
    D = d[order]
    # rank in the strict "longer" order (p, EDD position): the longest job of any subset is unique
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), P))] = np.arange(n)
    if memo_slots is None:
        # n = 500 needs a few million entries; n = 800 evicts a fifth of its work from 2^22 slots
        memo_slots = min(1 << 24, 16 * n * n)
    slots = 1 << max(4, int(memo_slots - 1).bit_length())
    memo = _Memo(slots)
    counts = np.zeros(4, dtype=np.int64)  # subproblems solved, memo hits, evictions, stopped
    at = None if deadline is None or deadline.limit is None else deadline.start + deadline.limit
    with interrupt.stop_flag(at) as stop:
        seq = np.empty(n, dtype=np.int64)
        work = np.empty((n + 1, 2, max(n, 1)), dtype=np.int64)  # per recursion depth: T and S without k
        value = _sequence(np.arange(n, dtype=np.int64), 0, P, D, rank, *memo.arrays, stop, counts, seq, 0, work)
    if counts[3] or value < 0:
        raise Timeout
    return int(value), order[seq], {"subproblems": int(counts[0]), "memo_hits": int(counts[1]),
                                    "memo_evictions": int(counts[2])}


class _Memo:
    """The memo's arrays: packed (first, last, rank) key plus one (0 when empty), start time, value, choice,
    size. All zeros, so the operating system hands out the pages as the table fills."""

    def __init__(self, slots: int):
        self.arrays = (np.zeros(slots, dtype=np.int64), np.zeros(slots, dtype=np.int64),
                       np.zeros(slots, dtype=np.int64), np.zeros(slots, dtype=np.int32),
                       np.zeros(slots, dtype=np.int32))


@njit(cache=True, nogil=True)
def _home(key, t, mask):
    """The first slot a (key, start time) pair probes: a multiply-xorshift mix (wrapping int64 arithmetic)."""
    h = key * -7046029254386353131 + t * -4658895280553007687
    h ^= h >> 29
    h = h * -7046029254386353131
    h ^= h >> 32
    return h & mask


@njit(cache=True, nogil=True)
def _store(key, t, value, choice, size, mkey, mt, mval, mch, msize, counts):
    """Write an entry; when its PROBE slots are full, evict the smallest subproblem among them."""
    mask = len(mkey) - 1
    i = _home(key, t, mask)
    victim = i
    for _ in range(PROBE):
        k = mkey[i]
        if k == 0 or (k == key and mt[i] == t):
            victim = i
            break
        if msize[i] < msize[victim]:
            victim = i
        i = (i + 1) & mask
    if mkey[victim] != 0 and not (mkey[victim] == key and mt[victim] == t):
        counts[2] += 1
    mkey[victim] = key
    mt[victim] = t
    mval[victim] = value
    mch[victim] = choice
    msize[victim] = size


@njit(cache=True, nogil=True)
def _find(key, t, mkey, mt):
    """The slot of (key, t), or -1."""
    mask = len(mkey) - 1
    i = _home(key, t, mask)
    for _ in range(PROBE):
        k = mkey[i]
        if k == 0:
            return -1
        if k == key and mt[i] == t:
            return i
        i = (i + 1) & mask
    return -1


@njit(cache=True, nogil=True)
def _without(S, s, out):
    """S without its element at position s, written into `out` (length len(S) - 1), which is returned."""
    out[:s] = S[:s]
    out[s:] = S[s + 1:]
    return out


# One explicit signature each for the two recursive kernels: numba's cache mislinks a recursive function
# compiled in several overloads (a segfault when the next process loads it, seen with a literal `depth`)
_A = "int64[::1]"
_SOLVE = f"int64({_A}, int64, {_A}, {_A}, {_A}, {_A}, {_A}, {_A}, int32[::1], int32[::1], int8[::1], {_A}, " \
         f"int32[::1], int64[:, :, ::1], int64)"
_SEQUENCE = f"int64({_A}, int64, {_A}, {_A}, {_A}, {_A}, {_A}, {_A}, int32[::1], int32[::1], int8[::1], {_A}, " \
            f"{_A}, int64, int64[:, :, ::1])"


@njit(_SOLVE, cache=True, nogil=True)
def _solve(S, t, P, D, rank, mkey, mt, mval, mch, msize, stop, counts, choice, work, depth):
    """Optimal total tardiness of the jobs S (EDD numbers, ascending) started at t; -1 when stopped.
    choice[0] is left telling how: EDD_ORDER, SPT_ORDER, or the position r of the longest job in S."""
    m = len(S)
    if m == 0:
        choice[0] = EDD_ORDER
        return 0
    if m == 1:
        choice[0] = EDD_ORDER
        return max(0, t + P[S[0]] - D[S[0]])
    if stop[0] != 0:
        counts[3] = 1
        return -1
    # one pass: the EDD order's tardiness (zero: optimal), the longest job k, its start there, the shortest
    c = t
    late = False
    tot = 0
    s = 0
    start_k = t
    lo = 0
    for q in range(m):
        j = S[q]
        if rank[j] > rank[S[s]]:
            s = q
            start_k = c
        if rank[j] < rank[S[lo]]:
            lo = q
        c += P[j]
        if c > D[j]:
            late = True
            tot += c - D[j]
    if not late:
        choice[0] = EDD_ORDER
        return 0
    k = S[s]
    key = 1 + (S[0] | (S[m - 1] << BITS) | (rank[k] << (2 * BITS)))  # 0 marks an empty slot
    if m >= MEMO_MIN:
        i = _find(key, t, mkey, mt)
        if i >= 0:
            counts[1] += 1
            choice[0] = mch[i]
            return mval[i]
    counts[0] += 1
    # every job late in SPT order: SPT is optimal (ΣT = ΣC - Σd there, and SPT minimises ΣC)
    if t + P[S[lo]] >= D[S[lo]]:  # the shortest job late first: worth the sort
        spt = S[np.argsort(rank[S])]
        c = t
        total = 0
        for j in spt:
            c += P[j]
            if c < D[j]:
                total = -1
                break
            total += c - D[j]
        if total >= 0:
            if m >= MEMO_MIN:
                _store(key, t, total, SPT_ORDER, m, mkey, mt, mval, mch, msize, counts)
            choice[0] = SPT_ORDER
            return total
    pk = P[k]
    dk = D[k]
    # T[r - s]: the tardiness of the EDD order with k moved to position r (rule 4), built by adjacent swaps
    T = work[depth, 0, :m - s]
    T[0] = tot
    a = start_k
    for r in range(s + 1, m):
        j = S[r]
        pj = P[j]
        dj = D[j]
        before = max(0, a + pk - dk) + max(0, a + pk + pj - dj)
        after = max(0, a + pj - dj) + max(0, a + pj + pk - dk)
        T[r - s] = T[r - s - 1] - before + after
        a += pj
    rest = _without(S, s, work[depth, 1, :m - 1])  # the left part for position r is rest[:r]
    best = -1
    best_r = -1
    Ck = start_k + pk  # k's completion at position r
    reach = -(1 << 62)  # rule 3: max over s < i < r of d_[i] + p_[i]
    min_T = T[0]
    for r in range(s, m):
        i = r - s
        drop = False
        if r > s:
            # k on time one position earlier: swapping it back before S[r] is never worse
            drop = Ck <= dk
            Ck += P[S[r]]
        if r >= s + 2:
            jj = S[r - 1]
            reach = max(reach, D[jj] + P[jj])
            drop = drop or Ck <= reach  # rule 3
        if r > s and T[i] >= min_T:  # rule 4: no better than an earlier position
            drop = True
        if r < m - 1 and T[i] > T[i + 1]:  # rule 4: worse than the next position
            drop = True
        min_T = min(min_T, T[i])
        if drop:
            continue
        lv = _solve(rest[:r], t, P, D, rank, mkey, mt, mval, mch, msize, stop, counts, choice, work, depth + 1)
        if lv < 0:
            return -1
        tk = max(0, Ck - dk)
        if best >= 0 and lv + tk >= best:
            continue
        rv = _solve(S[r + 1:], Ck, P, D, rank, mkey, mt, mval, mch, msize, stop, counts, choice, work, depth + 1)
        if rv < 0:
            return -1
        v = lv + tk + rv
        if best < 0 or v < best:
            best = v
            best_r = r
            if best == 0:
                break
    if m >= MEMO_MIN:
        _store(key, t, best, best_r, m, mkey, mt, mval, mch, msize, counts)
    choice[0] = best_r
    return best


@njit(_SEQUENCE, cache=True, nogil=True)
def _sequence(S, t, P, D, rank, mkey, mt, mval, mch, msize, stop, counts, out, pos, work):
    """Solve S at t and write an optimal sequence of it into out[pos:]; the value, or -1 when stopped."""
    choice = np.zeros(1, dtype=np.int32)
    value = _solve(S, t, P, D, rank, mkey, mt, mval, mch, msize, stop, counts, choice, work, 0)
    if value < 0:
        return -1
    m = len(S)
    how = choice[0]
    if how == EDD_ORDER:
        out[pos:pos + m] = S
        return value
    if how == SPT_ORDER:
        out[pos:pos + m] = S[np.argsort(rank[S])]
        return value
    s = 0
    for q in range(m):
        if rank[S[q]] > rank[S[s]]:
            s = q
    k = S[s]
    r = how
    left = _without(S, s, np.empty(m - 1, dtype=np.int64))[:r]
    if _sequence(left, t, P, D, rank, mkey, mt, mval, mch, msize, stop, counts, out, pos, work) < 0:
        return -1
    Ck = t + P[k]
    for j in left:
        Ck += P[j]
    out[pos + r] = k
    if _sequence(S[r + 1:], Ck, P, D, rank, mkey, mt, mval, mch, msize, stop, counts, out, pos + r + 1, work) < 0:
        return -1
    return value
