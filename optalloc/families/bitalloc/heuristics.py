"""Bit-allocation heuristics, for comparison with the exact allocation.

uniform       the same bits for every group: the largest grid value the budget allows.
round_clip    BAQ's rule: b_j = B + 1/2 log2(c_j / geomean(c)), then rounded (bits grid) or turned into a
              rounded level count N_j = round(2^b_j) (levels grid, as BAQ's code), clipped to the grid. No
              repair: it can miss the budget, and the result says by how much.
ranking       sensitivity ranking (NNCF-like): everyone at the lowest option, then groups in decreasing
              sensitivity per parameter are raised as far as the budget allows."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from optalloc.families.bitalloc.problems import BitAllocData


def uniform(d: BitAllocData) -> np.ndarray:
    """Option index per group at one common level b: each group takes its largest option with bits <= b
    (its lowest option if it has none), for the largest b the budget allows. None if nothing fits."""
    cap = d.capacity_bits
    if not d.tables:  # one grid for everybody: the largest grid value that fits
        grid = d.grid_bits()
        total = float(d.sizes.sum())
        fits = np.flatnonzero(grid * total <= cap + 1e-9 * max(1.0, abs(cap)))
        return None if len(fits) == 0 else np.full(d.k, int(fits[-1]), dtype=np.int64)
    bits, err, size, starts = d.option_tables()
    cls = np.repeat(np.arange(d.k), np.diff(starts))
    best = None
    for b in np.unique(bits):
        # per group: the largest option <= b (ties: the first), else the group's lowest option
        below = bits <= b + 1e-12
        key_b = np.where(below, bits, -np.inf)
        top = np.maximum.reduceat(key_b, starts[:-1])
        pick = below & (bits == top[cls])
        first_pick = np.full(d.k, -1, dtype=np.int64)
        idx = np.flatnonzero(pick)
        first_pick[cls[idx][::-1]] = idx[::-1]
        none = first_pick < 0
        if none.any():
            low = np.minimum.reduceat(bits, starts[:-1])
            lp = np.flatnonzero(bits == low[cls])
            first_low = np.full(d.k, -1, dtype=np.int64)
            first_low[cls[lp][::-1]] = lp[::-1]
            first_pick[none] = first_low[none]
        if float(size[first_pick].sum()) <= cap + 1e-9 * max(1.0, abs(cap)):
            best = first_pick - starts[:-1]
        else:
            break
    return best


def round_clip(d: BitAllocData) -> np.ndarray:
    """Option index per group from BAQ's closed form, rounded and clipped, budget ignored (model mode)."""
    c = d.sensitivity
    geo = math.exp(float(np.mean(np.log(c))))
    b = d.budget + 0.5 * np.log2(c / geo)
    if d.grid == "levels":
        N = np.clip(np.maximum(1, np.round(np.exp2(b))), 2**d.b_min, 2**d.b_max).astype(np.int64)
        return N - 2**d.b_min
    return (np.clip(np.round(b), d.b_min, d.b_max) - d.b_min).astype(np.int64)


@njit(cache=True)
def _raise_in_order(order, sizes, grid, cap_left, choice):
    """Model mode: each group in turn takes the highest grid value the remaining budget allows."""
    top = len(grid) - 1
    for j in order:
        for g in range(top, choice[j], -1):
            extra = sizes[j] * (grid[g] - grid[choice[j]])
            if extra <= cap_left + 1e-9:
                cap_left -= extra
                choice[j] = g
                break
    return choice


def ranking(d: BitAllocData) -> np.ndarray:
    """Option index per group: lowest option first, then raise groups by sensitivity per parameter."""
    if not d.tables and not d.ties:
        grid = d.grid_bits()
        left = d.capacity_bits - float(d.sizes.sum()) * grid[0]
        if left < -1e-9 * max(1.0, abs(d.capacity_bits)):
            return None
        order = np.argsort(-(d.sensitivity / d.sizes), kind="stable")
        return _raise_in_order(order, d.sizes.astype(np.float64), grid, left, np.zeros(d.k, dtype=np.int64))
    bits, err, size, starts = d.option_tables()
    k = d.k
    lowest = np.array([starts[j] + int(np.argmin(size[starts[j]:starts[j + 1]])) for j in range(k)])
    choice = lowest.copy()
    left = d.capacity_bits - float(size[choice].sum())
    if left < -1e-9 * max(1.0, abs(d.capacity_bits)):
        return None
    # sensitivity per parameter: the error the group can still lose, per parameter
    drop = np.maximum.reduceat(err, starts[:-1]) - np.minimum.reduceat(err, starts[:-1])
    order = np.argsort(-(drop / d.sizes), kind="stable")
    tie_of = {j: g for g, grp in enumerate(d.ties) for j in grp}
    done = set()
    for j in order:
        group = d.ties[tie_of[j]] if j in tie_of else [j]
        if group[0] in done:
            continue
        done.add(group[0])
        m = int(starts[j + 1] - starts[j])
        # the lowest-error option of the (tied) group that still fits
        best_k, best_err = None, None
        for kk in range(m):
            extra = sum(float(size[starts[g] + kk] - size[choice[g]]) for g in group)
            e = sum(float(err[starts[g] + kk]) for g in group)
            if extra <= left + 1e-9 and (best_err is None or e < best_err):
                best_k, best_err = kk, e
        if best_k is not None:
            extra = sum(float(size[starts[g] + best_k] - size[choice[g]]) for g in group)
            for g in group:
                choice[g] = starts[g] + best_k
            left -= extra
    return choice - starts[:-1]
