"""Matching benchmark, in one run: dense assignment against scipy and OR-Tools, GAP against HiGHS and CP-SAT.

    python benchmarks/matching.py [--n 5000] [--repeats 3] [--gap-limit 60] [--gap-set d] [--out FILE]

Assignment: a seeded n x n dense instance, costs U{1..hi} (default 1000). optalloc's assignment.lapjv (validation,
solve and verification of the answer from the data, as a user calls it) against scipy's
linear_sum_assignment called bare and OR-Tools' SimpleLinearSumAssignment (its arcs added from numpy
arrays, which is its fastest path; the time counts the arc loading, which a user cannot skip). Every
solver must return the same cost. Median of `repeats`.

GAP: OR-Library gapd (Yagiura type D, minimisation, n <= 200), each method given the same limit, one
thread: optalloc's gap.lns, HiGHS alone (gap.mip) and CP-SAT (gap.cpsat). Prints value, % above the best
known, and each method's mean."""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import optalloc  # noqa: E402
from optalloc.families.matching.generators import assignment  # noqa: E402
from optalloc.instances.readers import read  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "matching"
GAP_METHODS = ["gap.lns", "gap.mip", "gap.cpsat"]


def _timed(fn, repeats):
    times, value = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def bench_assignment(n, hi, repeats, say):
    from ortools.graph.python import linear_sum_assignment as ortools_lsa
    from scipy.optimize import linear_sum_assignment

    inst = assignment(n, hi=hi, seed=2026)
    C = inst.data.costs

    def scipy_run():
        r, c = linear_sum_assignment(C)
        return float(C[r, c].sum())

    def optalloc_run():
        return optalloc.solve(inst, "assignment.lapjv").objective

    Ci = C.astype(np.int64)
    left, right = np.divmod(np.arange(n * n, dtype=np.int64), n)

    def ortools_run():
        a = ortools_lsa.SimpleLinearSumAssignment()
        a.add_arcs_with_cost(left, right, Ci.ravel())
        if a.solve() != a.OPTIMAL:
            raise RuntimeError("OR-Tools did not solve the assignment")
        return float(a.optimal_cost())

    rows = [("scipy linear_sum_assignment", *_timed(scipy_run, repeats)),
            ("optalloc assignment.lapjv", *_timed(optalloc_run, repeats)),
            ("OR-Tools SimpleLinearSumAssignment", *_timed(ortools_run, repeats))]
    if len({v for _, _, v in rows}) != 1:
        raise SystemExit(f"the solvers disagree: {rows}")
    base = rows[0][1]
    say(f"dense assignment n = {n} (costs U{{1..{hi}}}, seed 2026), median of {repeats}; every cost = {rows[0][2]:.0f}")
    say(f"{'solver':38s} {'seconds':>9s} {'ratio to scipy':>15s}")
    for name, t, _ in rows:
        say(f"{name:38s} {t:9.3f} {t / base:15.2f}")
    return {name: t for name, t, _ in rows}


def bench_gap(limit, files, say):
    insts = []
    for f in files:
        insts += read("orlib-gap", SHARED / "gap" / "orlib" / f"gap{f}.txt")
    say(f"\nGAP, {len(insts)} instances, {limit:g} s each, 1 thread; value (% above best known)")
    say(f"{'instance':10s} {'best':>7s} " + " ".join(f"{m:>18s}" for m in GAP_METHODS))
    above = {m: [] for m in GAP_METHODS}
    for inst in insts:
        ref = inst.reference.value
        cells = []
        for m in GAP_METHODS:
            r = optalloc.solve(inst, m, time_limit=limit, threads=1)
            if r.objective is None:
                cells.append(f"{'-':>18s}")
                above[m].append(np.inf)
                continue
            pct = 100 * (r.objective - ref) / ref
            above[m].append(pct)
            cells.append(f"{r.objective:8.0f} ({pct:6.3f}%)")
        say(f"{inst.name:10s} {ref:7.0f} " + " ".join(cells))
    say(f"{'mean %':18s} " + " ".join(f"{np.mean(above[m]):17.3f}%" for m in GAP_METHODS))
    say(f"{'max %':18s} " + " ".join(f"{np.max(above[m]):17.3f}%" for m in GAP_METHODS))
    return above


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--hi", type=int, default=1000, help="costs U{1..hi} (with 100 the optimum is n, all ones)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--gap-limit", type=float, default=60.0)
    ap.add_argument("--gap-set", default="d", help="OR-Library GAP files, e.g. d or c,d")
    ap.add_argument("--skip-gap", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    lines = []

    def say(s=""):
        print(s, flush=True)
        lines.append(s)

    bench_assignment(a.n, a.hi, a.repeats, say)
    if not a.skip_gap:
        if not SHARED.is_dir():
            say(f"\n{SHARED} is absent: GAP part skipped")
        else:
            bench_gap(a.gap_limit, a.gap_set.split(","), say)
    if a.out:
        Path(a.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
