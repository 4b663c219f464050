"""Regression: the exact 0-1 solver against every known optimum in ../shared/data/knapsack with n <= 10,000
and R <= 100,000 (Pisinger's index: official rows and rows regenerated with his generator), plus the
large_scale files. Opt-in and long; resumable.

    python benchmarks/regression_knapsack.py                         # everything (about 22,000 instances)
    python benchmarks/regression_knapsack.py --types 11,12 --max-n 500 --jobs 2
    python benchmarks/regression_knapsack.py --output runs/kp.csv    # appends; a rerun skips rows done

Instances are rebuilt with optalloc's Pisinger generator (bit-exact; its capacity doubles as a checksum
against the index). Exit status 1 if any optimum is missed or any instance is not proven."""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared/data/knapsack/pisinger"


def work(row_and_limit):
    row, limit = row_and_limit
    import optalloc
    from optalloc.instances.generators.knapsack import pisinger

    inst = pisinger(int(row["type"]), int(row["n"]), int(row["R"]), int(row["instance"]))
    if inst.data.capacity != int(row["c"]):
        return row["name"], "capacity_mismatch", None, 0.0, int(row["z"])
    t = time.perf_counter()
    r = optalloc.solve(inst, "knapsack.dp", time_limit=limit)
    return row["name"], str(r.status), r.objective, time.perf_counter() - t, int(row["z"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--types", default="", help="comma-separated classes (default: all)")
    ap.add_argument("--max-n", type=int, default=10000)
    ap.add_argument("--max-R", type=int, default=100000)
    ap.add_argument("--every", type=int, default=1, help="take every k-th instance of each series")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--output", default="runs/regression_knapsack.csv")
    args = ap.parse_args()
    index = SHARED / "optima_index.csv"
    if not index.exists():
        print(f"{index} not found: the regression needs ../shared/data beside the repository", file=sys.stderr)
        return 2
    types = {int(t) for t in args.types.split(",") if t}
    with index.open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["z"] != "FAIL" and int(r["n"]) <= args.max_n
                and int(r["R"]) <= args.max_R and (not types or int(r["type"]) in types)
                and (int(r["instance"]) - 1) % args.every == 0]
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.exists():
        with out.open() as fh:
            done = {r["name"] for r in csv.DictReader(fh)}
    todo = [r for r in rows if r["name"] not in done]
    print(f"{len(rows)} instances selected, {len(done & {r['name'] for r in rows})} already done, {len(todo)} to run",
          flush=True)
    new = not out.exists()
    missed = unproven = 0
    t0 = time.perf_counter()
    with out.open("a", newline="") as fh, ProcessPoolExecutor(args.jobs) as pool:
        w = csv.writer(fh)
        if new:
            w.writerow(["name", "status", "objective", "optimum", "seconds"])
        for k, (name, status, obj, secs, z) in enumerate(pool.map(work, [(r, args.time_limit) for r in todo],
                                                                  chunksize=4), 1):
            w.writerow([name, status, obj, z, f"{secs:.4f}"])
            fh.flush()  # each row is kept as soon as it finishes
            if obj is not None and obj > z and status == "optimal":
                print(f"BEATEN {name}: proven optimum {obj} > listed {z}: the reference is wrong", flush=True)
            elif obj != z:
                missed += 1
                print(f"MISSED {name}: {obj} != {z} ({status})", flush=True)
            elif status != "optimal":
                unproven += 1
                print(f"UNPROVEN {name}: {status} after {secs:.1f} s", flush=True)
            if k % 500 == 0:
                print(f"{k}/{len(todo)} done, {time.perf_counter() - t0:.0f} s", flush=True)
    # summary over the whole output file (this run and earlier ones)
    with out.open() as fh:
        allrows = [r for r in csv.DictReader(fh) if r["name"] in {x["name"] for x in rows}]
    def val(r):
        return float(r["objective"] or "nan")

    ok = sum(r["status"] == "optimal" and val(r) == float(r["optimum"]) for r in allrows)
    beaten = [r for r in allrows if r["status"] == "optimal" and val(r) > float(r["optimum"])]
    secs = sorted(float(r["seconds"]) for r in allrows)
    print(f"reproduced and proven: {ok}/{len(allrows)}; beaten (suspect references): {len(beaten)}; "
          f"time mean {sum(secs) / max(len(secs), 1):.4f} s, median {secs[len(secs) // 2] if secs else 0:.4f} s, "
          f"max {secs[-1] if secs else 0:.3f} s")
    for r in beaten:
        print(f"  suspect reference: {r['name']} listed {r['optimum']}, proven optimum {r['objective']}")
    bad = [r for r in allrows if r not in beaten and not (r["status"] == "optimal" and val(r) == float(r["optimum"]))]
    for r in bad[:50]:
        print(f"  not reproduced: {r['name']} {r['status']} {r['objective']} (optimum {r['optimum']})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
