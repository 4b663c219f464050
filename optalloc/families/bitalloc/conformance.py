"""Known-answer cases of the bitalloc family for optalloc's conformance suite (optima small enough to be
re-derived by brute force in the tests)."""
from __future__ import annotations

import numpy as np

from optalloc.conformance import Case
from optalloc.conformance.differential import coefficient_top
from optalloc.instances.format import Instance, make_instance
from optalloc.numeric import EXACT_TOTAL


def cases() -> list[Case]:
    """The bit-allocation family's known-answer cases (optima proven by two exact methods agreeing)."""
    return [
        Case(make_instance("bitalloc", "bits-small", {"sizes": [2, 2, 1, 3], "sensitivity": [8, 1, 4, 2],
                                                      "budget": 2.5, "b_min": 1, "b_max": 4}), 0.328125),
        Case(make_instance("bitalloc", "bits-ties-overhead", {"sizes": [2, 2, 1, 3, 2], "sensitivity": [8, 1, 4, 2, 5],
                                                              "budget": 2.5, "b_min": 1, "b_max": 4, "overhead_bits": 1,
                                                              "ties": [[0, 1]]}), 1.203125),
        Case(make_instance("bitalloc", "bits-levels", {"sizes": [2, 2, 1], "sensitivity": [8, 1, 4], "budget": 1.2,
                                                       "b_min": 0, "b_max": 2, "grid": "levels"}), 1.75, ("levels",)),
        Case(make_instance("bitalloc", "bits-tables", {
            "sizes": [1, 1, 3, 1], "budget": 3.5, "ties": [[0, 1]],
            "options": {"bits": [[2, 4, 8], [2, 4, 8], [2, 4], [4, 8]],
                        "error": [[9, 3, 1], [5, 2, 0.5], [7, 2], [6, 1]],
                        "size": [[2, 4, 8], [2, 4, 8], [6, 12], [4, 8]]}}), 18, ("tables",)),
        Case(make_instance("bitalloc", "bits-infeasible", {"sizes": [4, 4], "sensitivity": [1, 2], "budget": 2,
                                                           "b_min": 2, "b_max": 4, "overhead_bits": 8}), None,
             ("infeasible",)),
    ]


def warmup() -> None:
    """Compile what the conformance cases do not reach: the bundled demo suite's sizes."""
    from optalloc.conformance import bundled, warm

    for inst in bundled("bitalloc/demo.jsonl"):
        for m in ("bitalloc.greedy", "bitalloc.mckp"):
            warm(inst, m)


# ------------------------------------------------------------------ random instances for differential testing
def random_bitalloc(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random bitalloc instance for differential testing (optalloc.conformance.differential)."""
    k = int(rng.integers(1, 6))
    top = coefficient_top(scale, EXACT_TOTAL / 4, k)
    sizes = rng.integers(1, top, k, endpoint=True).tolist()
    # tiny: sensitivities down to 1e-12 and up to 8 bits, losses near 1e-17, where an absolute tolerance would call
    # any two answers equal
    sens = (10.0 ** (rng.uniform(-3, 6, k) if scale != "tiny" else rng.uniform(-12, 1, k))).tolist()
    b_max = 4 if scale != "tiny" else int(rng.choice([4, 8]))
    return make_instance("bitalloc", name, {"sizes": sizes, "sensitivity": sens, "b_min": 2, "b_max": b_max,
                                            "budget": float(rng.choice([2, 2.5, 3, 3.3, 4]))})
