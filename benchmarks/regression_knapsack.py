"""Regression: the exact 0-1 solver against every known optimum in ../shared/data/knapsack. Opt-in, long,
resumable. Three sets:

  pisinger        Pisinger's index, n <= 10,000 and R <= 10^5 (official rows and rows regenerated with his
                  generator), about 22,000 instances;
  pisinger-large  the index's R = 10^7 rows with a known optimum, n <= 10,000;
  pisinger-fail   the index's FAIL rows (R = 10^7, where the local combo ran out of states; no known optimum:
                  each optimum proven here is a new reference, certified by optalloc.solve's checks);
  jooken          Jooken et al. (2022), every test.in in the shared subset whose optimum is known.

    python benchmarks/regression_knapsack.py                                  # pisinger
    python benchmarks/regression_knapsack.py --set pisinger-large --time-limit 60
    python benchmarks/regression_knapsack.py --set pisinger-fail --time-limit 10
    python benchmarks/regression_knapsack.py --set jooken --time-limit 600
    python benchmarks/regression_knapsack.py --types 11,12 --max-n 500 --jobs 2 --every 10

Each answer is classed: proven (optimal and equal to the reference), stopped (a limit, with objective <=
reference <= bound: valid, only unproven), or FALSE (claims optimal with another value, or a bound or
objective on the wrong side of the reference); a proven optimum above the reference is listed apart as a
suspect reference. Rows go to --output as they finish (a rerun skips them).
Exit status 1 if any claim is false; with --strict, also if any instance is not proven."""
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
DATA = ROOT.parent / "shared/data/knapsack"
FIELDS = ["name", "status", "objective", "bound", "optimum", "seconds", "combo_seconds", "verdict"]


def verdict(status: str, obj, bound, z: int) -> str:
    """proven, stopped (valid bounds, not proven), beaten (a proven optimum above the listed one: the
    reference is suspect, e.g. knapPI_5_10000_1000_31, whose better solution is checked feasible), or false
    (a claim the reference refutes)."""
    if z is None:  # no reference (combo's FAIL rows): what optalloc proves stands on its own certificate
        return "proven" if status == "optimal" else "stopped"
    if status == "optimal":
        return "proven" if obj == z else ("beaten" if obj is not None and obj > z else "false")
    ok = (obj is None or obj <= z) and (bound is None or bound >= z)
    return "stopped" if ok else "false"


def work(task):
    name, kind, spec, z, combo, limit = task
    import optalloc

    if kind == "jooken":
        from optalloc.families.knapsack.readers import read_jooken

        inst = read_jooken(spec)[0]
    else:
        from optalloc.families.knapsack.generators import pisinger

        t, n, R, i, c = spec
        inst = pisinger(t, n, R, i)
        if inst.data.capacity != c:  # the capacity doubles as a checksum of the regenerated weights
            return [name, "capacity_mismatch", None, None, z, 0.0, combo, "false"]
    started = time.perf_counter()
    r = optalloc.solve(inst, "knapsack.dp", time_limit=limit)
    secs = time.perf_counter() - started
    obj = None if r.objective is None else int(r.objective)
    bound = None if r.bound is None else float(r.bound)
    return [name, str(r.status), obj, bound, z, round(secs, 4), combo, verdict(str(r.status), obj, bound, z)]


def tasks(args) -> list:
    if args.set == "jooken":
        index = DATA / "jooken2022/optima_and_combo_times.csv"
        folder = DATA / "jooken2022/problemInstances"
        with index.open() as fh:
            rows = {r["name"]: r for r in csv.DictReader(fh)}
        out = []
        for d in sorted(folder.iterdir()):
            r = rows.get(d.name)
            if r is not None and int(r["optimum"]) >= 0:
                out.append((d.name, "jooken", str(d / "test.in"), int(r["optimum"]), float(r["combo_time_s"]),
                            args.time_limit))
        return out[:: args.every]
    types = {int(t) for t in args.types.split(",") if t}
    large = args.set in ("pisinger-large", "pisinger-fail")
    fail = args.set == "pisinger-fail"
    with (DATA / "pisinger/optima_index.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if (r["z"] == "FAIL") == fail and int(r["n"]) <= args.max_n
                and (int(r["R"]) == 10**7 if large else int(r["R"]) <= args.max_R)
                and (not types or int(r["type"]) in types) and (int(r["instance"]) - 1) % args.every == 0]
    return [(r["name"], "pisinger", (int(r["type"]), int(r["n"]), int(r["R"]), int(r["instance"]), int(r["c"])),
             None if fail else int(r["z"]), float(r["time_s"] or "nan"), args.time_limit) for r in rows]


def main() -> int:
    ap = argparse.ArgumentParser(description="knapsack.dp against the known optima in ../shared/data/knapsack")
    ap.add_argument("--set", choices=("pisinger", "pisinger-large", "pisinger-fail", "jooken"), default="pisinger")
    ap.add_argument("--types", default="", help="comma-separated classes (default: all)")
    ap.add_argument("--max-n", type=int, default=10000)
    ap.add_argument("--max-R", type=int, default=100000)
    ap.add_argument("--every", type=int, default=1, help="take every k-th instance of each series")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--output", default="")
    ap.add_argument("--strict", action="store_true", help="exit 1 also when an instance is not proven")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"{DATA} not found: the regression needs ../shared/data beside the repository", file=sys.stderr)
        return 2
    out = Path(args.output or f"runs/regression_knapsack_{args.set}.csv")
    todo_all = tasks(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.exists():
        with out.open() as fh:
            done = {r["name"] for r in csv.DictReader(fh)}
    todo = [t for t in todo_all if t[0] not in done]
    print(f"{args.set}: {len(todo_all)} instances selected, {len(todo_all) - len(todo)} already done, "
          f"{len(todo)} to run (time limit {args.time_limit:g} s)", flush=True)
    new = not out.exists()
    t0 = time.perf_counter()
    with out.open("a", newline="") as fh, ProcessPoolExecutor(args.jobs) as pool:
        w = csv.writer(fh)
        if new:
            w.writerow(FIELDS)
        for k, row in enumerate(pool.map(work, todo, chunksize=1), 1):
            w.writerow(row)
            fh.flush()  # each row is kept as soon as it finishes
            if row[-1] == "false":
                print(f"FALSE CLAIM {row[0]}: {row[1]} objective {row[2]} bound {row[3]}, reference {row[4]}",
                      flush=True)
            if k % 200 == 0:
                print(f"{k}/{len(todo)} done, {time.perf_counter() - t0:.0f} s", flush=True)
    names = {t[0] for t in todo_all}
    with out.open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["name"] in names]
    return summary(args.set, rows, args.strict)


def summary(name: str, rows: list[dict], strict: bool) -> int:
    count = {v: sum(r["verdict"] == v for r in rows) for v in ("proven", "stopped", "beaten", "false")}
    ours = sorted(float(r["seconds"]) for r in rows)
    combo = sorted(t for t in (float(r["combo_seconds"]) for r in rows) if t == t)  # FAIL rows have no time
    proven_secs = [float(r["seconds"]) for r in rows if r["verdict"] == "proven"]

    def within(xs, t):
        return sum(x <= t for x in xs)

    print(f"{name}: {len(rows)} instances: {count['proven']} proven, {count['stopped']} stopped with valid bounds, "
          f"{count['beaten']} references beaten (suspect), {count['false']} false claims")
    if rows:
        theirs = (f"combo (reference times): mean {sum(combo) / len(combo):.3f} s, max {combo[-1]:.2f} s" if combo
                  else "combo: no time (it failed on every one)")
        print(f"  time: mean {sum(ours) / len(ours):.3f} s, median {ours[len(ours) // 2]:.3f} s, max {ours[-1]:.2f} s;"
              f" {theirs}")
        for t in (1, 10, 60, 600):
            print(f"  within {t:>3} s: ours {within(proven_secs, t)} proven, combo {within(combo, t)}")
    for r in rows:
        if r["verdict"] == "beaten":
            print(f"  suspect reference {r['name']}: listed {r['optimum']}, proven optimum {r['objective']}")
        if r["verdict"] == "false":
            print(f"  FALSE {r['name']}: {r['status']} objective {r['objective']} bound {r['bound']}, "
                  f"reference {r['optimum']}")
    return 1 if count["false"] or (strict and count["stopped"]) else 0


if __name__ == "__main__":
    sys.exit(main())
