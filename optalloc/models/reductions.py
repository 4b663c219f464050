"""Problem reductions (CVXPY's idea): rewrite an instance into one a solver handles, and map the
solution back. Each is exact: optimal for the reduced problem means optimal for the original."""
from __future__ import annotations

import numpy as np

from ..problems.knapsack import BoundedKnapsackData, MCKPData


def merge_ties(d: MCKPData) -> tuple[MCKPData, list[list[int]]]:
    """Classes tied to one option index become one class whose option j sums their option j.
    Returns the tie-free data and, per new class, the original classes it stands for."""
    if not d.ties:
        return d, [[i] for i in range(d.k)]
    grouped = {c: g for g, group in enumerate(d.ties) for c in group}
    members: list[list[int]] = []
    done = set()
    for i in range(d.k):
        if i in grouped:
            g = grouped[i]
            if g in done:
                continue
            done.add(g)
            members.append(list(d.ties[g]))
        else:
            members.append([i])
    vals, wts = [], []
    for group in members:
        vals.append(sum(d.class_values(c) for c in group))
        wts.append(sum(d.class_weights(c) for c in group))
    starts = np.concatenate([[0], np.cumsum([len(x) for x in vals])]).astype(np.int64)
    merged = MCKPData(np.concatenate(vals), np.concatenate(wts), starts, d.capacity, [])
    return merged, members


def expand_ties(choice: np.ndarray, members: list[list[int]], k: int) -> list[int]:
    out = [0] * k
    for new_cls, group in enumerate(members):
        for c in group:
            out[c] = int(choice[new_cls])
    return out


def bounded_to_01(d: BoundedKnapsackData):
    """Binary splitting: item j with bound b becomes items of 1, 2, 4, ... copies (and a remainder), so
    every count 0..b is a subset. Returns (values, weights, item_of, copies)."""
    item_of, copies = [], []
    for j, b in enumerate(d.bounds.tolist()):
        k = 1
        while b > 0:
            take = min(k, b)
            item_of.append(j)
            copies.append(take)
            b -= take
            k *= 2
    item_of = np.asarray(item_of, dtype=np.int64)
    copies = np.asarray(copies, dtype=np.int64)
    return d.values[item_of] * copies, d.weights[item_of] * copies, item_of, copies
