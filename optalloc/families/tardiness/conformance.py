"""Known-answer cases of the tardiness family for optalloc's conformance suite (optima small enough to be
re-derived by brute force in the tests)."""
from __future__ import annotations

import numpy as np

from optalloc.conformance import Case
from optalloc.conformance.differential import coefficient_top
from optalloc.instances.format import Instance, make_instance
from optalloc.numeric import EXACT_TOTAL, MAX_HORIZON


def cases() -> list[Case]:
    """The tardiness family's known-answer cases (OR-Library optima and seeded instances two exact methods agree
    on)."""
    return [
        Case(make_instance("tardiness", "smtt-small", {"processing_times": [5, 3, 8, 2, 6, 4, 7],
                                                       "due_dates": [10, 6, 20, 4, 15, 9, 18]}), 33),
        Case(make_instance("tardiness", "wt-small", {"processing_times": [5, 3, 8, 2, 6, 4, 7],
                                                     "due_dates": [10, 6, 20, 4, 15, 9, 18],
                                                     "weights": [3, 1, 4, 2, 5, 1, 2]}), 73),
        Case(make_instance("tardiness", "wt-negative-due", {"processing_times": [4, 9, 2, 6, 5],
                                                            "due_dates": [-3, 12, 5, 0, 20],
                                                            "weights": [2, 1, 3, 1, 2]}), 43),
        Case(make_instance("tardiness", "smtt-all-on-time", {"processing_times": [2, 3, 4], "due_dates": [20, 20, 20]}),
             0),
    ]


def warmup() -> None:
    """Compile what the conformance cases do not reach: every phase of the DP on small instances."""
    import numpy as np

    from optalloc.families.tardiness import exact as X
    from optalloc.conformance import warm
    from optalloc.families.tardiness.generators import potts_vw
    from optalloc.options import Deadline

    for inst in (potts_vw(30, 0.6, 0.4, weighted=True, seed=1), potts_vw(30, 0.6, 0.4, seed=2),
                 potts_vw(12, 0.8, 0.2, weighted=True, seed=3)):
        for m in ("tardiness.dp", "tardiness.iterated_dynasearch", "tardiness.local_search", "tardiness.mddc",
                  "tardiness.eddc", "tardiness.atc"):
            warm(inst, m)
    # phases a small instance closes before reaching: the set DP with the level-2 table, node elimination and
    # the modifier stage
    d = potts_vw(9, 0.6, 0.4, weighted=True, seed=4).data
    p, dd, w = d.p.astype(np.int64), d.d.astype(np.float64), d.w.astype(np.float64)
    before = X.emmons_precedence(p, dd, w)
    lam = np.ones(len(p))
    P = int(p.sum())
    X._set_dp(p, dd, w, lam, P, 1e9, True, 1000, X._pred_words(before, 1), Deadline(None), before)
    X._set_dp(p, dd, w, lam, P, 1e9, True, 1000, X._pred_words(before, 1), Deadline(None), None)
    rank = X.tie_ranks(dd, before)
    alive = np.ones((P + 1, len(p)), dtype=np.bool_)
    X.lagrangian_bound(p, dd, w, 1e9, iterations=5, level=2, before=before, rank=rank, alive=alive)  # elimination
    X.successive_sublimation(p, dd, w, lam, P, before, rank, 1e9, 1e9, Deadline(None), step=2, alive=alive)


# ------------------------------------------------------------------ random instances for differential testing
def random_tardiness(rng: np.random.Generator, scale: str, name: str) -> Instance:
    """A small random tardiness instance for differential testing (optalloc.conformance.differential)."""
    n = int(rng.integers(1, 7))
    top = coefficient_top(scale, MAX_HORIZON, n)
    p = rng.integers(1, top, n, endpoint=True)
    P = int(p.sum())
    d = rng.integers(-P // 4, P, n, endpoint=True)
    wtop = 10 if scale == "tiny" else max(1, min(1000, EXACT_TOTAL // (n * 2 * P)))
    w = rng.integers(0, wtop, n, endpoint=True).tolist()
    if scale != "tiny" and rng.random() < 0.3:
        w = [float(x) + 0.5 for x in w]  # real weights: the MIPs snap nothing, so their tolerance shows
    elif scale == "tiny" and rng.random() < 0.5:
        # real weights far below 1 (down to 1e-12): no absolute tolerance may call two costs equal
        w = (rng.uniform(0.1, 10, n) * 10.0 ** float(rng.choice([-12, -6, 0]))).tolist()
    return make_instance("tardiness", name, {"processing_times": p.tolist(), "due_dates": d.tolist(), "weights": w})
