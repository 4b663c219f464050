"""Known-answer cases of the matching family for optalloc's conformance suite (optima small enough to be
re-derived by brute force in the tests)."""
from __future__ import annotations

import numpy as np

from optalloc.conformance import Case
from optalloc.conformance.differential import matrix_top
from optalloc.instances.format import Instance, make_instance


def cases() -> list[Case]:
    """The matching family's known-answer cases (OR-Library optima, or optima two exact methods agree on)."""
    return [
        Case(make_instance("assignment", "assign-min", {"costs": [[4, 1, 3], [2, 0, 5], [3, 2, 2]]}), 5),
        Case(make_instance("assignment", "assign-max-rect-forbidden",
                           {"costs": [[4, None, 3, 1], [2, 6, None, 5]], "sense": "max"}), 10),
        Case(make_instance("assignment", "assign-sparse", {"shape": [3, 3], "arcs": [[0, 0, 1], [0, 1, 4], [1, 0, 2],
                                                                                    [2, 2, 3]]}), 9),
        Case(make_instance("assignment", "assign-infeasible", {"costs": [[1, None], [2, None]]}), None, ("infeasible",)),
        Case(make_instance("gap", "gap-min", {"costs": [[6, 9, 4, 2], [5, 3, 8, 7]], "weights": [[3, 4, 2, 3],
                                                                                              [2, 3, 4, 2]],
                                              "capacities": [6, 6]}), 14),
        Case(make_instance("gap", "gap-max", {"costs": [[6, 9, 4, 2], [5, 3, 8, 7]], "weights": [[3, 4, 2, 3],
                                                                                              [2, 3, 4, 2]],
                                              "capacities": [7, 7], "sense": "max"}), 30),
        Case(make_instance("gap", "gap-no-agent-fits", {"costs": [[1, 2], [3, 4]], "weights": [[1, 9], [1, 9]],
                                                        "capacities": [5, 5]}), None, ("infeasible",)),
        Case(make_instance("makespan", "makespan-small", {"times": [[4, 2, 7, None], [3, 6, 2, 5], [None, 3, 3, 4]]}),
             5),
        Case(make_instance("makespan", "makespan-no-machine", {"times": [[1, None], [2, None]]}), None,
             ("infeasible",)),
        Case(make_instance("routing", "routing-small", {
            "quality": [[9, 6, 2], [8, 7, 3], [5, 5, 4], [7, 2, 1]], "cost": [[5, 2, 1], [6, 3, 1], [4, 2, 0], [5, 1, 1]],
            "capacity": [2, 2, 4], "budget": 9}), 22),
        Case(make_instance("routing", "routing-over-capacity", {"quality": [[1, 2], [3, 4], [5, 6]],
                                                                "cost": [[1, 1], [1, 1], [1, 1]], "capacity": [1, 1],
                                                                "budget": 10}), None, ("infeasible",)),
        Case(make_instance("bmatching", "bmatching-small", {"weights": [[5, 4, None], [4, 3, 6], [None, 2, 1]],
                                                            "row_capacity": [1, 2, 1], "col_capacity": [1, 1, 2]}), 15),
        Case(make_instance("adwords", "adwords-small", {"bids": [[3, 2, None, 4], [2, None, 3, 3]],
                                                        "budgets": [5, 4]}), 9),
    ]


# ------------------------------------------------------------------ random instances for differential testing
def random_gap(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random gap instance for differential testing (optalloc.conformance.differential)."""
    hi = matrix_top(scale)
    m, n = int(rng.integers(1, 4)), int(rng.integers(1, 7))
    A = rng.integers(1, hi, (m, n), endpoint=True)
    caps = (A.sum(axis=1) * rng.uniform(0.3, 0.9, m)).astype(np.int64)
    return make_instance("gap", name, {"costs": rng.integers(0, hi, (m, n), endpoint=True).tolist(),
                                       "weights": A.tolist(), "capacities": caps.tolist(),
                                       "sense": str(rng.choice(["min", "max"]))})


def random_assignment(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random assignment instance for differential testing (optalloc.conformance.differential)."""
    hi = matrix_top(scale)
    m, n = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    C = rng.integers(-hi, hi, (m, n), endpoint=True).astype(object)
    C[rng.random((m, n)) < 0.2] = None
    return make_instance("assignment", name, {"costs": C.tolist(), "sense": str(rng.choice(["min", "max"]))})


def random_makespan(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random makespan instance for differential testing (optalloc.conformance.differential)."""
    hi = matrix_top(scale)
    m, n = int(rng.integers(1, 4)), int(rng.integers(1, 7))
    T = rng.integers(0, hi, (m, n), endpoint=True).astype(object)
    T[rng.random((m, n)) < 0.2] = None
    T[0, [j for j in range(n) if all(T[i, j] is None for i in range(m))]] = 1
    return make_instance("makespan", name, {"times": T.tolist()})


def random_routing(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random routing instance for differential testing (optalloc.conformance.differential)."""
    hi = matrix_top(scale)
    q, k = int(rng.integers(1, 7)), int(rng.integers(1, 4))
    cost = rng.integers(0, hi, (q, k), endpoint=True)
    return make_instance("routing", name, {"quality": rng.integers(0, hi, (q, k), endpoint=True).tolist(),
                                           "cost": cost.tolist(), "capacity": rng.integers(1, q + 1, k).tolist(),
                                           "budget": float(int(cost.min(axis=1).sum() + rng.uniform(0, 1) *
                                                               (cost.max(axis=1) - cost.min(axis=1)).sum()))})


def random_bmatching(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random bmatching instance for differential testing (optalloc.conformance.differential)."""
    hi = matrix_top(scale)
    m, n = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    W = rng.integers(-hi // 10, hi, (m, n), endpoint=True).astype(object)
    W[rng.random((m, n)) < 0.2] = None
    return make_instance("bmatching", name, {"weights": W.tolist(), "row_capacity": rng.integers(1, 3, m).tolist(),
                                             "col_capacity": rng.integers(1, 3, n).tolist()})


def random_adwords(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random adwords instance for differential testing (optalloc.conformance.differential)."""
    hi = matrix_top(scale)
    m, n = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    B = rng.integers(0, hi, (m, n), endpoint=True).astype(object)
    B[rng.random((m, n)) < 0.2] = None
    return make_instance("adwords", name, {"bids": B.tolist(),
                                           "budgets": rng.integers(1, max(2, hi * n // 2), m).tolist()})
