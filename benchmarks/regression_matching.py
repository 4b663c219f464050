"""Regression for the matching family: the 12 OR-Library assignment optima, all 60 gap1-12 optima in both
senses, and gapa-gapc (minimisation) proven optimal; plus the heuristics' gaps on the same instances.

    python benchmarks/regression_matching.py [--time-limit 120] [--skip-abc]

Needs ../shared/data/matching. Exit status 1 if an optimum is missed or not proven."""
from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared/data/matching"

import optalloc  # noqa: E402
from optalloc.instances.readers import read  # noqa: E402
from optalloc.families.matching.readers import read_orlib_gap  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--skip-abc", action="store_true")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"{DATA} not found", file=sys.stderr)
        return 2
    bad = []
    rows = list(csv.DictReader(open(DATA / "assign/assign_values.csv")))
    t0 = time.perf_counter()
    for row in rows:
        (inst,) = read("orlib-assign", DATA / row["file"])
        r = optalloc.solve(inst, "assignment.lapjv")
        if r.reference["verdict"] != "reproduced" or str(r.status) != "optimal":
            bad.append((inst.name, r.status, r.objective))
    print(f"assignment: {len(rows) - len(bad)}/{len(rows)} optima reproduced ({time.perf_counter() - t0:.2f} s)")
    files = [f"gap{k}" for k in range(1, 13)] + ([] if args.skip_abc else ["gapa", "gapb", "gapc"])
    for fname in files:
        senses = ("max", "min") if fname[3:].isdigit() else ("min",)
        for sense in senses:
            times, heur = [], []
            for inst in read_orlib_gap(DATA / f"gap/orlib/{fname}.txt", sense=sense):
                r = optalloc.solve(inst, "gap.mip", time_limit=args.time_limit)
                h = optalloc.solve(inst, "gap.regret")
                times.append(r.time)
                heur.append(h.reference["gap"] if h.has_solution and h.reference else None)
                ok = str(r.status) == "optimal" and r.reference and r.reference["verdict"] == "reproduced"
                if not ok:
                    bad.append((inst.name, sense, r.status, r.objective, r.reference))
            hs = [g for g in heur if g is not None]
            print(f"{fname} {sense}: MIP proven {len(times)} instances, max {max(times):.2f} s; gap.regret feasible "
                  f"{len(hs)}/{len(heur)}, mean gap to optimum {100 * sum(hs) / max(len(hs), 1):.2f} %", flush=True)
    for b in bad:
        print("NOT REPRODUCED", *b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
