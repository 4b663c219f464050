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
