"""The same suite run on the local pool and on a Dask LocalCluster (2 workers, loopback): rows must agree
in everything but time, host, machine and finish time.

    python benchmarks/bench_dask_vs_local.py [LOCAL.parquet]     # reuses a local run of the same grid if given"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optalloc.bench import bench, check, read_rows, resolve  # noqa: E402
from optalloc.bench.runner import CIRCUMSTANTIAL  # noqa: E402

SUITES = ["wt40", "smtt-n20", "gap-orlib", "assign-orlib"]
METHODS = ["tardiness.dp", "tardiness.mddc", "gap.mip", "gap.regret", "assignment.lapjv"]
OPTIONS = {"time_limit": 60.0, "threads": 1, "seed": 0}


def comparable(rows):
    return sorted(({k: v for k, v in r.items() if k not in CIRCUMSTANTIAL} for r in rows), key=lambda r: r["key"])


def main() -> int:
    from distributed import LocalCluster

    suites = resolve(SUITES)
    with tempfile.TemporaryDirectory() as tmp:
        if len(sys.argv) > 1:
            local = read_rows(sys.argv[1])
        else:
            local = bench(suites, METHODS, options=OPTIONS, output=Path(tmp) / "local.parquet", jobs=2).rows
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            remote = bench(suites, METHODS, options=OPTIONS, output=Path(tmp) / "dask.parquet",
                           scheduler=cluster.scheduler_address).rows
    a, b = comparable(local), comparable(remote)
    same = a == b
    diff = [(x["key"], k, x[k], y[k]) for x, y in zip(a, b) for k in x if x[k] != y[k]][:10]
    print(f"local {len(a)} rows, dask {len(b)} rows, identical (but for {', '.join(CIRCUMSTANTIAL)}): {same}")
    for d in diff:
        print("  differs:", d)
    print(check(remote).render().splitlines()[0])
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
