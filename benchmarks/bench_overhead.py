"""The suite runner's overhead per run: 1,000 trivial runs (3-item knapsacks by knapsack.greedy).

    python benchmarks/bench_overhead.py [--runs 1000] [--jobs 1]

overhead per run = (wall time - sum of the runs' own times / jobs) / runs. It includes the worker start-up,
task hand-off, the journal append per row and the parquet checkpoints."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optalloc import make_instance, save  # noqa: E402
from optalloc.bench import bench, load_manifest  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        insts = [make_instance("knapsack", f"k{i}", {"values": [6, 10, 12 + i % 5], "weights": [1, 2, 3], "capacity": 5})
                 for i in range(a.runs)]
        save(insts, tmp / "instances" / "trivial.jsonl")
        (tmp / "instances" / "MANIFEST.json").write_text(json.dumps(
            {"format": "optalloc-manifest", "version": 1,
             "suites": {"trivial": {"files": ["trivial.jsonl"], "reader": "optalloc", "reference_kind": "optimal"}}}))
        suite = load_manifest(tmp / "instances" / "MANIFEST.json")["trivial"]
        for jobs in a.jobs:
            t0 = time.perf_counter()
            run = bench([suite], ["knapsack.greedy"], output=tmp / f"run{jobs}.parquet", jobs=jobs, progress=False)
            wall = time.perf_counter() - t0
            own = sum(r["time"] for r in run.rows)
            over = (wall - own / max(jobs, 1)) / a.runs
            print(f"jobs {jobs}: {a.runs} runs in {wall:.2f} s wall; runs' own time {own:.2f} s; "
                  f"overhead {1000 * over:.2f} ms per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
