"""What certifying your own model costs (optalloc.solve_model): on models of 100,000 columns, the time
HiGHS spends solving against the time optalloc spends re-checking every row, bound and integrality and
recomputing the objective (optalloc.families.model.problems.evaluate_point), and the whole call's overhead
over HiGHS alone.

    python benchmarks/solve_model.py            # 100,000 columns; --columns N to change it
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def model(n: int, m: int, integer: bool, seed: int = 0):
    """max c x, A x <= b (m budget rows, 5 % dense), 0 <= x <= 1: a multidimensional knapsack or its LP."""
    from optalloc.models.linear import LinearModel

    rng = np.random.default_rng(seed)
    A = sp.random(m, n, density=0.05, random_state=rng, data_rvs=lambda k: rng.integers(1, 100, k)).tocsr()
    c = rng.integers(1, 1000, n).astype(float)
    b = np.floor(0.3 * np.asarray(A.sum(axis=1)).ravel())
    return LinearModel("max", c, A.astype(float), np.full(m, -np.inf), b, np.zeros(n), np.ones(n),
                       np.full(n, integer), [], [], 0.0)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--columns", type=int, default=100_000)
    ap.add_argument("--rows", type=int, default=50, help="budget rows of the LP")
    ap.add_argument("--mip-rows", type=int, default=5, help="budget rows of the MIP (HiGHS finds no 100,000-column "
                                                           "50-row solution in 60 s)")
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()

    import optalloc
    from optalloc.families.model.problems import evaluate_point
    from optalloc.options import Deadline, SolveOptions
    from optalloc.solvers.highs import solve_linear

    optalloc.solve_model(model(50, 3, True))  # start-up (imports, the forked child's first use) apart
    print(f"{'model':<34} {'HiGHS s':>8} {'certify s':>10} {'share':>7} {'solve_model s':>14} {'overhead':>9}")
    for integer in (False, True):
        rows = args.mip_rows if integer else args.rows
        lm = model(args.columns, rows, integer)
        opts = SolveOptions(time_limit=args.time_limit)
        t = time.perf_counter()
        lo = solve_linear(lm, opts, Deadline(args.time_limit))
        highs = time.perf_counter() - t
        what = f"{'MIP' if integer else 'LP'} {args.columns:,} x {rows} ({lm.A.nnz:,} nz)"
        if lo.x is None:  # nothing to certify
            print(f"{what:<34} {highs:>8.2f}   no solution within the limit ({lo.status}, {lo.raw_status})")
            continue
        x = np.asarray(lo.x, dtype=float)
        x[lm.integer] = np.round(x[lm.integer])
        t = time.perf_counter()
        ev = evaluate_point(lm, x.tolist())
        certify = time.perf_counter() - t
        t = time.perf_counter()
        r = optalloc.solve_model(lm, time_limit=args.time_limit)
        whole = time.perf_counter() - t
        assert ev.feasible, ev.violations
        print(f"{what:<34} {highs:>8.2f} {certify:>10.3f} {100 * certify / highs:>6.1f}% {whole:>14.2f} "
              f"{100 * (whole - highs) / highs:>8.1f}%   ({r.status}, gap {r.gap})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
