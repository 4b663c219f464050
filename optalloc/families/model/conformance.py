"""Known-answer cases of the model family: small models whose optima are checked by brute force in the tests."""
from __future__ import annotations

from optalloc.conformance import Case
from optalloc.instances.format import make_instance

INF = None  # unbounded, as JSON says it


def _model(name, sense, c, rows, row_lo, row_hi, col_lo, col_hi, integer):
    triplets = [(i, j, a) for i, row in enumerate(rows) for j, a in enumerate(row) if a]
    data = {"sense": sense, "c": c, "A": {"shape": [len(rows), len(c)], "rows": [t[0] for t in triplets],
                                          "cols": [t[1] for t in triplets], "vals": [t[2] for t in triplets]},
            "row_lo": row_lo, "row_hi": row_hi, "col_lo": col_lo, "col_hi": col_hi, "integer": integer}
    return make_instance("linear_model", name, data)


def cases() -> list[Case]:
    """The model family's known-answer cases (small LPs and MIPs with known optima)."""
    return [
        # the README's knapsack with x1 + x2 <= 1 added: {0, 2} (18) beats {1} (10) and {0, 1} (16)
        Case(_model("knapsack-plus-row", "max", [6, 10, 12], [[1, 2, 3], [0, 1, 1]], [INF, INF], [5, 1],
                    [0, 0, 0], [1, 1, 1], [True, True, True]), 18),
        Case(_model("integer-min", "min", [3, 2, 4], [[1, 1, 1], [2, 1, 0]], [4, 3], [INF, INF],
                    [0, 0, 0], [5, 5, 5], [True, True, True]), 8),
        # continuous: the LP optimum sits at a fractional vertex (x = 1.5, y = 2)
        Case(_model("lp-fractional", "max", [2, 1], [[2, 0], [0, 1], [1, 1]], [INF, INF, INF], [3, 2, 3.5],
                     [0, 0], [INF, INF], [False, False]), 5.0, ("continuous",)),
        Case(_model("integer-infeasible", "min", [1, 1], [[2, 2]], [3], [3], [0, 0], [5, 5], [True, True]), None,
             ("infeasible",)),
    ]
