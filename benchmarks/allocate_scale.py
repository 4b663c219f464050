"""optalloc.allocate at scale (issue 32): 10^5 units x 64 levels (a concave, saturating value per unit, unit
cost steps), against knapsack.dp on the raw multiple-choice instance built from the same arrays, in one process,
warm (each the median of 5 runs after one untimed), printed as a ratio.

    python benchmarks/allocate_scale.py [--units 100000] [--levels 64]
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import optalloc  # noqa: E402
from optalloc.engines.mckp_model import checked_mckp  # noqa: E402
from optalloc.instances import Instance  # noqa: E402


def timed(f, runs: int = 5):
    out = f()  # warm: imports, numba kernels, caches
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return out, sorted(times)[runs // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=100_000)
    ap.add_argument("--levels", type=int, default=64)
    args = ap.parse_args()
    U, L = args.units, args.levels
    rng = np.random.default_rng(0)
    level = np.tile(np.arange(L), U)
    rate = np.repeat(rng.lognormal(-2, 0.7, U), L)
    value = 1 - np.exp(-rate * level)
    df = pd.DataFrame({"unit": np.repeat(np.arange(U), L), "level": level, "cost": level, "value": value})
    budget = 16 * U
    plan, t_allocate = timed(lambda: optalloc.allocate(df, budget, time_limit=None))
    raw = Instance("mckp", "raw", checked_mckp(value, level, np.arange(U + 1) * L, budget), None, {})
    dp, t_dp = timed(lambda: optalloc.solve(raw, "knapsack.dp"))
    assert str(plan.status) == str(dp.status) == "optimal"
    assert abs(plan.value - dp.objective) <= 1e-6 * abs(dp.objective)
    print(f"{U:,} units x {L} levels ({U * L:,} rows), budget {budget:,}")
    print(f"optalloc.allocate (table in, certified plan out): {t_allocate:.2f} s ({plan.method}, {plan.status})")
    print(f"knapsack.dp on the raw instance:                  {t_dp:.2f} s")
    print(f"ratio allocate / knapsack.dp: {t_allocate / t_dp:.2f}")


if __name__ == "__main__":
    main()
