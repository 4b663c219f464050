"""Greedy-by-ratio and LP-rounding heuristics for the knapsack problems, each with its LP bound."""
from __future__ import annotations

import numpy as np

from optalloc.families.knapsack.knapsack01 import dantzig_bound
from optalloc.numeric import sum_error_bound
from optalloc.engines.mckp import lp_relaxation
from optalloc.families.knapsack.knapsack01 import _greedy_fill


def _ratio_order(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    ratio = np.where(weights > 0, values / np.maximum(weights, 1), np.inf)
    return np.lexsort((weights, -ratio))


# ------------------------------------------------------------------ 0-1
def greedy_01(values, weights, capacity) -> tuple[np.ndarray, float]:
    """Items by value/weight, each taken if it fits; the best single item is kept if better (so the
    result is at least half the optimum). Bound: Dantzig's LP bound."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=np.int64)
    useful = (v > 0) & (w <= capacity)
    order = _ratio_order(v, w)
    order = order[useful[order]]
    x = np.zeros(len(v), dtype=bool)
    taken = np.zeros(len(order), dtype=bool)
    _greedy_fill(v[order], w[order], int(capacity), 0, taken)
    x[order[taken]] = True
    if useful.any():
        j = int(np.flatnonzero(useful)[np.argmax(v[useful])])
        if v[j] > v[x].sum():
            x[:] = False
            x[j] = True
    return x, dantzig_bound(v, w, int(capacity))


def lp_round_01(values, weights, capacity) -> tuple[np.ndarray, float]:
    """Round the LP optimum down (the break solution) and fill what is left by ratio. Bound: the LP."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=np.int64)
    useful = (v > 0) & (w <= capacity)
    order = _ratio_order(v, w)
    order = order[useful[order]]
    cum = np.cumsum(w[order])
    b = int(np.searchsorted(cum, capacity, side="right"))
    x = np.zeros(len(v), dtype=bool)
    x[order[:b]] = True
    left = int(capacity) - int(w[x].sum())
    rest = np.zeros(len(order) - b, dtype=bool)
    if b < len(order):
        _greedy_fill(v[order[b:]], w[order[b:]], left, 0, rest)
        x[order[b:][rest]] = True
    return x, dantzig_bound(v, w, int(capacity))


# ------------------------------------------------------------------ bounded
def greedy_bounded(values, weights, bounds, capacity, *, lp_round: bool = False) -> tuple[np.ndarray, float]:
    """LP optimum first: whole copies by ratio up to the break item, which gets a fractional count. LP
    rounding rounds that count down; greedy then keeps taking whole copies of later items while they
    fit. Bound: the LP value."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=np.int64)
    bnd = np.where(v > 0, np.asarray(bounds, dtype=np.int64), 0)
    order = _ratio_order(v, w)
    x = np.zeros(len(v), dtype=np.int64)
    free = w == 0
    x[free] = bnd[free]
    left = int(capacity)
    lp = float((v * x).sum())
    broke = False
    for j in order:
        if free[j] or bnd[j] == 0:
            continue
        fit = min(int(bnd[j]), left // int(w[j]))
        if not broke:
            if fit < bnd[j]:
                lp += v[j] * fit + v[j] / w[j] * (left - fit * int(w[j]))
                broke = True
            else:
                lp += v[j] * fit
        elif lp_round:
            break
        x[j] = fit
        left -= fit * int(w[j])
    return x, lp + sum_error_bound(2 * len(v) + 4, float((v * bnd).sum()) + abs(lp))  # never below the LP


# ------------------------------------------------------------------ multiple-choice
def greedy_mckp(values, weights, starts, capacity, *, lp_round: bool = False):
    """Greedy: the LP solution with hull increments added while they fit. LP rounding: the LP solution
    with its fractional class rounded down, then the best single-class upgrade that fits, repeatedly.
    Returns (choice or None if infeasible, LP bound, the bound's rounding margin when the choice is proven optimal
    else None, the LP multiplier). The proof: when the LP optimum cuts no increment it is a choice of whole
    options, the integer optimum; the greedy's choice is then that choice, and its value equals the bound up to
    the float sums' margin."""
    lp = lp_relaxation(values, weights, starts, capacity)
    if lp is None:
        return None, None, None, None
    uv, uw, uo, us = lp["uv"], lp["uw"], lp["uo"], lp["us"]
    k = len(us) - 1
    # the LP value is a float sum over the classes: add its proven rounding error so it stays a bound
    margin = sum_error_bound(k + 4, k * float(np.abs(uv).max(initial=0.0)) + abs(lp["lp_value"]))
    bound = lp["lp_value"] + margin
    if not lp_round:
        proven = lp["integral"] and np.array_equal(lp["greedy_pos"], lp["lp_pos"])
        return uo[lp["greedy_pos"]].astype(np.int64), bound, 2 * margin if proven else None, lp["lam"]
    pos = lp["lp_pos"].copy()
    left = int(capacity) - int(uw[pos].sum())
    cls = np.repeat(np.arange(k), np.diff(us))
    while True:
        gain = uv - uv[pos][cls]
        extra = uw - uw[pos][cls]
        ok = (gain > 0) & (extra <= left)
        if not ok.any():
            break
        q = int(np.flatnonzero(ok)[np.argmax(gain[ok])])
        left -= int(extra[q])
        pos[cls[q]] = q
    return uo[pos].astype(np.int64), bound, None, lp["lam"]


# ------------------------------------------------------------------ multidimensional
def greedy_mkp(values, weights, capacities, order=None) -> np.ndarray:
    """Items by value per unit of scaled weight (surrogate ratio), each taken if every budget allows."""
    v = np.asarray(values, dtype=float)
    W = np.asarray(weights, dtype=float)
    cap = np.asarray(capacities, dtype=float)
    if order is None:
        scaled = (W / np.maximum(cap, 1e-12)[:, None]).sum(axis=0)
        ratio = np.where(scaled > 0, v / np.maximum(scaled, 1e-300), np.inf)
        order = np.argsort(-ratio, kind="stable")
    x = np.zeros(len(v), dtype=bool)
    load = np.zeros(len(cap))
    for j in order:
        if v[j] <= 0:
            continue
        new = load + W[:, j]
        if np.all(new <= cap + 1e-9):
            x[j] = True
            load = new
    return x
