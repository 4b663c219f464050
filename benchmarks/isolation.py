"""HiGHS's two isolation ways side by side (optalloc.solvers.highs_process): a forked child (the command line, the
API's main thread) and a spawned helper (daemonic workers, threads, Dask).

Prints, for each way: the method's time on a MIP HiGHS proves in well under a second (the first run, which
starts a helper, and the mean of the next five, which reuse it), the same MIP solved in a multiprocessing.Pool
worker (daemonic: the helper way by necessity), and the overrun of a 2 s limit on a MIP HiGHS cannot prove in
time. Run: python benchmarks/isolation.py"""
from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import optalloc  # noqa: E402
from optalloc.families.knapsack.generators import pisinger  # noqa: E402
from optalloc.solvers import highs_process  # noqa: E402

EASY = ("knapsack", 3, 200, 1000, 7)  # strongly correlated, n = 200: HiGHS proves it in about 0.1 s
HARD = ("knapsack", 16, 10_000, 10**6, 50)  # the circle class: HiGHS does not prove it in 2 s


def _solve(spec, limit):
    _, t, n, R, i = spec
    r = optalloc.solve(pisinger(t, n, R, i), "knapsack.mip", time_limit=limit)
    return r.time, str(r.status)


def _in_pool(spec):
    with multiprocessing.get_context("fork").Pool(1) as pool:
        pool.apply(_solve, (EASY, 30))  # the worker's imports and its helper's start-up
        return pool.apply(_solve, (spec, 30))


def main() -> None:
    print("way     first run s  next five mean s  in a Pool worker s  overrun at a 2 s limit s")
    for way in ("fork", "helper"):
        os.environ[highs_process.ISOLATION_VARIABLE] = way
        first = _solve(EASY, 30)[0]
        rest = statistics.mean(_solve(EASY, 30)[0] for _ in range(5))
        pool = _in_pool(EASY)[0]
        t, status = _solve(HARD, 2.0)
        print(f"{way:6s}  {first:11.3f}  {rest:16.3f}  {pool:18.3f}  {t - 2.0:+.3f} ({status})")
    highs_process.close_helpers()


if __name__ == "__main__":
    main()
