"""Known-answer cases of the knapsack family for optalloc's conformance suite (optima small enough to be
re-derived by brute force in the tests)."""
from __future__ import annotations

import numpy as np

from optalloc.conformance import Case
from optalloc.conformance.differential import coefficient_top
from optalloc.instances.format import Instance, make_instance
from optalloc.numeric import EXACT_TOTAL


def cases() -> list[Case]:
    """The knapsack family's known-answer cases (published optima, or optima two exact methods agree on)."""
    from optalloc.families.knapsack.generators import pisinger

    K = "knapsack"
    return [
        Case(make_instance(K, "kp-tiny", {"values": [6, 10, 12], "weights": [1, 2, 3], "capacity": 5}), 22),
        Case(make_instance(K, "kp-nothing-fits", {"values": [5, 7], "weights": [10, 12], "capacity": 9}), 0,
             ("empty",)),
        Case(make_instance(K, "kp-zero-capacity", {"values": [5, 7, 3], "weights": [1, 0, 2], "capacity": 0}), 7),
        Case(make_instance(K, "kp-real-values", {"values": [1.5, 2.25, 3.125, 0.5], "weights": [2, 3, 4, 1],
                                                  "capacity": 6}), 4.625),
        Case(make_instance(K, "kp-all-fit", {"values": [1, 2, 3], "weights": [1, 1, 1], "capacity": 10}), 6),
        Case(pisinger(1, 50, 1000, 1), 8373, ("pisinger",)),
        Case(pisinger(13, 50, 1000, 1), 1989, ("pisinger",)),
        Case(make_instance("bounded_knapsack", "bkp-small", {"values": [10, 7, 4], "weights": [5, 4, 3],
                                                             "bounds": [2, 3, 4], "capacity": 17}), 31),
        Case(make_instance("mckp", "mckp-small", {"values": [[3, 7, 9], [2, 6], [1, 4, 8, 9]],
                                                  "weights": [[1, 3, 5], [1, 4], [0, 2, 5, 6]], "capacity": 10}), 18),
        Case(make_instance("mckp", "mckp-ties", {"values": [[1, 5, 6], [2, 4, 9], [1, 1, 1]],
                                                 "weights": [[1, 3, 5], [1, 2, 6], [0, 1, 2]], "capacity": 8,
                                                 "ties": [[0, 1]]}), 10),
        Case(make_instance("mckp", "mckp-infeasible", {"values": [[3, 4], [5, 6]], "weights": [[4, 5], [4, 6]],
                                                       "capacity": 7}), None, ("infeasible",)),
        Case(make_instance("mkp", "mkp-small", {"values": [10, 13, 7, 8], "weights": [[3, 4, 2, 3], [2, 5, 1, 2]],
                                                "capacities": [7, 6]}), 20),
    ]


def warmup() -> None:
    """Compile what the conformance cases do not reach: the DP's core phases and the bundled demo suite."""
    from optalloc.families.knapsack.generators import pisinger
    from optalloc.conformance import warm

    warm(pisinger(3, 200, 1000, 5), "knapsack.dp")
    # a one-operation first slice, no Lagrangian-order phase (it would settle the instance first) and no wait:
    # the incumbent search and the heaviest-first search run
    from optalloc.families.knapsack.knapsack01 import solve_01

    from optalloc.families.knapsack.exact_fill import fill

    fill(np.array([3, 5, 9, 14, 20], dtype=np.int64), [2], 23)  # the exact fill's kernel (small cases rarely need it)
    # almost strongly correlated: not v = w + beta, so the exact fill does not settle it before the others run
    inst = pisinger(5, 200, 1000, 5)
    for limit in (None, 60.0):
        solve_01(inst.data.values, inst.data.weights, inst.data.capacity, probe_ops=1, phase2_work=0,
                 others_after=0.0, time_limit=limit)


# ------------------------------------------------------------------ random instances for differential testing
def random_knapsack(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random knapsack instance for differential testing (optalloc.conformance.differential)."""
    n = int(rng.integers(1, 10))
    top = coefficient_top(scale, EXACT_TOTAL, n)
    w = rng.integers(0, top, n, endpoint=True).tolist()
    return make_instance("knapsack", name, {"values": rng.integers(0, top, n, endpoint=True).tolist(), "weights": w,
                                            "capacity": int(sum(w) * rng.uniform(0.2, 0.8))})


def random_bounded(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random bounded_knapsack instance for differential testing (optalloc.conformance.differential)."""
    n = int(rng.integers(1, 5))
    b = rng.integers(1, 4, n).tolist()
    top = coefficient_top(scale, EXACT_TOTAL, 3 * n)
    w = rng.integers(0, top, n, endpoint=True).tolist()
    return make_instance("bounded_knapsack", name, {"values": rng.integers(0, top, n, endpoint=True).tolist(),
                                                    "weights": w, "bounds": b,
                                                    "capacity": int(np.dot(w, b) * rng.uniform(0.2, 0.8))})


def random_mckp(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random mckp instance for differential testing (optalloc.conformance.differential)."""
    k = int(rng.integers(1, 6))
    sizes = rng.integers(1, 5, k)
    top = coefficient_top(scale, EXACT_TOTAL, k)
    v = [rng.integers(0, top, s, endpoint=True).tolist() for s in sizes]
    w = [rng.integers(0, top, s, endpoint=True).tolist() for s in sizes]
    cap = int(sum(min(x) for x in w) + (sum(max(x) for x in w) - sum(min(x) for x in w)) * rng.uniform(0, 0.7))
    return make_instance("mckp", name, {"values": v, "weights": w, "capacity": cap})


def random_mkp(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random mkp instance for differential testing (optalloc.conformance.differential)."""
    n, m = int(rng.integers(1, 9)), int(rng.integers(1, 3))
    top = coefficient_top(scale, EXACT_TOTAL, n)
    W = rng.integers(0, top, (m, n), endpoint=True)
    caps = (W.sum(axis=1) * rng.uniform(0.2, 0.8, m)).astype(np.int64)
    return make_instance("mkp", name, {"values": rng.integers(0, top, n, endpoint=True).tolist(),
                                       "weights": W.tolist(), "capacities": caps.tolist()})
