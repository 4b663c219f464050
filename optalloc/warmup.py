"""Compile (and cache) every numba kernel once, so that no solve pays for compilation inside its time limit.

    python -m optalloc.warmup        # the Makefile runs this right after installing

numba caches compiled code next to the sources (cache=True); a fresh install has no cache, and the first
solve of a family would otherwise spend seconds compiling. Each dedicated method below is run on small
instances that reach all of its phases."""
from __future__ import annotations

import sys
import time


def _solve(inst, method: str) -> None:
    """Solve for the compilation's sake; an instance a method does not take is simply passed over."""
    from . import solve
    from .errors import UnsupportedProblemError

    try:
        solve(inst, method, time_limit=20)
    except UnsupportedProblemError:
        pass  # e.g. bitalloc.greedy on a table-mode instance: the other methods compile that code


def _tardiness() -> None:
    import numpy as np

    from .exact import tardiness as X
    from .instances.generators.scheduling import potts_vw
    from .options import Deadline

    for inst in (potts_vw(30, 0.6, 0.4, weighted=True, seed=1), potts_vw(30, 0.6, 0.4, seed=2),
                 potts_vw(12, 0.8, 0.2, weighted=True, seed=3)):
        for m in ("tardiness.dp", "tardiness.iterated_dynasearch", "tardiness.local_search", "tardiness.mddc",
                  "tardiness.eddc", "tardiness.atc"):
            _solve(inst, m)
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


def _knapsack_and_bits() -> None:
    from pathlib import Path

    from .instances import load
    from .instances.generators import knapsack as gen

    _solve(gen.pisinger(3, 200, 1000, 5), "knapsack.dp")
    here = Path(__file__).resolve().parents[1] / "instances"  # the bundled suites, in a source checkout
    if (here / "knapsack" / "demo.jsonl").is_file():
        for inst in load(here / "knapsack" / "demo.jsonl"):
            _solve(inst, "knapsack.dp")
    if (here / "bitalloc" / "demo.jsonl").is_file():
        for inst in load(here / "bitalloc" / "demo.jsonl"):
            for m in ("bitalloc.greedy", "bitalloc.mckp"):
                _solve(inst, m)


def _conformance() -> None:
    """Every registered method on the small known-answer cases (the rest of the compiled code)."""
    from .conformance import applicable, check
    from .registry import all_methods

    for m in all_methods():
        if m.available() and m.backend == "optalloc":  # optalloc's own code is where the numba kernels are
            for case in applicable(m.name):
                check(m.name, case, time_limit=20)


def main() -> int:
    t0 = time.perf_counter()
    for step in (_conformance, _knapsack_and_bits, _tardiness):
        step()
    print(f"optalloc: compiled kernels cached ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
