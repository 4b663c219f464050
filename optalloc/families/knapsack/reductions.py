"""Problem reductions (CVXPY's idea): rewrite an instance into one a solver handles, and map the
solution back. Each is exact: optimal for the reduced problem means optimal for the original."""
from __future__ import annotations

import numpy as np

from optalloc.families.knapsack.problems import BoundedKnapsackData


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


class IdenticalItems:
    """Identical 0-1 items (same weight and value) grouped into binary pieces of 1, 2, 4, ... copies and a
    remainder, so any count of copies is a set of pieces: a kind of k copies costs the search about log2(k) items
    instead of k (Pisinger's spanner classes draw 10,000 items from 20 kinds). `values`/`weights`/`copies` are the
    pieces'; `items(chosen)` maps chosen pieces back to as many of the original items, `pieces_for(items)` the
    other way."""

    def __init__(self, values: np.ndarray, weights: np.ndarray):
        n = len(values)
        order = np.lexsort((values, weights))
        ws, vs = weights[order], values[order]
        new_kind = np.ones(n, dtype=bool)
        new_kind[1:] = (ws[1:] != ws[:-1]) | (vs[1:] != vs[:-1])
        starts = np.flatnonzero(new_kind)
        count = np.diff(np.append(starts, n))
        # j whole powers 1..2^(j-1) cover 0..2^j - 1 copies; the remainder tops that up to the count
        powers = np.floor(np.log2(count + 1)).astype(np.int64)
        powers -= (2 ** powers - 1) > count  # guard the float log at exact powers of two
        powers += (2 ** (powers + 1) - 1) <= count
        rest = count - (2 ** powers - 1)
        per_kind = powers + (rest > 0)
        kind = np.repeat(np.arange(len(starts)), per_kind)
        rank = np.arange(len(kind)) - np.repeat(np.cumsum(per_kind) - per_kind, per_kind)
        copies = np.where(rank < powers[kind], 2 ** rank, rest[kind])
        self.order, self.starts, self.count, self.powers, self.rest = order, starts, count, powers, rest
        self.kind, self.rank, self.copies = kind, rank, copies.astype(np.int64)
        self.kind_of = np.empty(n, dtype=np.int64)  # each given item's kind
        self.kind_of[order] = np.cumsum(new_kind) - 1
        self.values = vs[starts][kind] * self.copies
        self.weights = ws[starts][kind] * self.copies

    def items(self, chosen: np.ndarray) -> np.ndarray:
        """Positions (into the arrays given) of the items that the chosen pieces (a bool mask) stand for."""
        take = np.bincount(self.kind[chosen], weights=self.copies[chosen], minlength=len(self.starts))
        sorted_kind = self.kind_of[self.order]
        rank = np.arange(len(self.order)) - self.starts[sorted_kind]  # each item's place among its kind's copies
        return self.order[rank < take[sorted_kind]]

    def pieces_for(self, items: np.ndarray) -> np.ndarray:
        """The pieces (a bool mask) standing for as many copies of each kind as the bool mask `items` holds: a
        count below 2^j in binary over the powers; from 2^j on, the remainder piece and the rest in binary."""
        take = np.bincount(self.kind_of[items], minlength=len(self.starts))
        use_rest = take > 2 ** self.powers - 1
        binary = take - np.where(use_rest, self.rest, 0)
        is_power = self.rank < self.powers[self.kind]
        return np.where(is_power, (binary[self.kind] >> self.rank) & 1 == 1, use_rest[self.kind])
