"""Compile (and cache) every numba kernel once, so that no solve pays for compilation inside its time limit.

    python -m optalloc.warmup        # the Makefile runs this right after installing

numba caches compiled code next to the sources (cache=True); a fresh install has no cache, and the first
solve of a family would otherwise spend seconds compiling. Every method of optalloc's own runs on the
conformance cases, then each family's declared warm-up reaches the phases those small cases close before."""
from __future__ import annotations

import sys
import time


def _conformance() -> None:
    """Every registered method on the small known-answer cases (most of the compiled code)."""
    from optalloc.conformance import applicable, check
    from optalloc.registry import all_methods

    for m in all_methods():
        if m.available() and m.backend == "optalloc":  # optalloc's own code is where the numba kernels are
            for case in applicable(m.name):
                check(m.name, case, time_limit=20)


def main() -> int:
    """Compile and cache every family's numba kernels and run the conformance suite once (make install runs it)."""
    from optalloc.family import families, resolve

    t0 = time.perf_counter()
    print("optalloc: compiling the numba kernels once (about a minute; later solves load them in milliseconds)",
          file=sys.stderr, flush=True)
    _conformance()
    for fam in families().values():
        if fam.warmup:
            print(f"optalloc: {fam.name} kernels ({time.perf_counter() - t0:.0f} s so far)", file=sys.stderr, flush=True)
            resolve(fam.warmup)()
    print(f"optalloc: compiled kernels cached ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
