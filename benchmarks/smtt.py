"""Tardiness benchmark: optalloc's exact solver against the generic models on the same instances, in one run.

    python benchmarks/smtt.py [--time-limit 60] [--sets n20,wt40] [--per-set 6] [--out benchmarks/smtt_last_run.txt]

Methods: tardiness.dp (optalloc), the positional MIP (the seed's model) and the time-indexed MIP on HiGHS,
and CP-SAT (intervals + NoOverlap), each with the same time limit and one thread. Instances: the bundled
20-job seed set and OR-Library wt40, spread over the (TF, RDD) classes. Prints per instance, then per
method: proven within the limit, median time and the median time ratio to tardiness.dp."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import optalloc  # noqa: E402
from optalloc.instances.readers import read  # noqa: E402

METHODS = ["tardiness.dp", "tardiness.mip_positional", "tardiness.mip_time_indexed", "tardiness.cpsat"]


def instances(sets, per_set):
    out = []
    if "n20" in sets:
        insts = read("smtt", ROOT / "instances/tardiness/smtt_n20.txt")
        step = len(insts) // per_set
        out += [insts[k * step + 17] for k in range(per_set)]  # spread over the 20 classes
    if "wt40" in sets:
        insts = read("orlib-wt", ROOT / "instances/tardiness/wt40.txt")
        step = len(insts) // per_set
        out += [insts[k * step + 2] for k in range(per_set)]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--sets", default="n20,wt40")
    ap.add_argument("--per-set", type=int, default=6)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--out")
    a = ap.parse_args()
    methods = a.methods.split(",")
    lines = []

    def say(s=""):
        print(s, flush=True)
        lines.append(s)

    insts = instances(a.sets.split(","), a.per_set)
    say(f"{len(insts)} instances, limit {a.time_limit:g} s, 1 thread; value / proven? / seconds")
    say(f"{'instance':24s} {'opt':>8s} " + " ".join(f"{m.split('.')[1]:>24s}" for m in methods))
    rec = {m: [] for m in methods}
    for inst in insts:
        cells = []
        for m in methods:
            t = time.perf_counter()
            r = optalloc.solve(inst, m, time_limit=a.time_limit)
            el = time.perf_counter() - t
            proven = str(r.status) == "optimal"
            rec[m].append((proven, el, r.objective))
            val = "-" if r.objective is None else f"{r.objective:.0f}"
            cells.append(f"{val:>9s} {'P' if proven else '-'} {el:7.2f}s")
        say(f"{inst.name:24s} {inst.reference.value:8.0f} " + " ".join(f"{c:>24s}" for c in cells))
    say()
    base = np.array([e for _, e, _ in rec[methods[0]]])
    say(f"{'method':28s} {'proven':>8s} {'median s':>9s} {'median ratio to ' + methods[0]:>32s}")
    for m in methods:
        el = np.array([e for _, e, _ in rec[m]])
        proven = sum(p for p, _, _ in rec[m])
        ratio = np.median(el / np.maximum(base, 1e-3))
        say(f"{m:28s} {proven:>4d}/{len(el):<3d} {np.median(el):9.3f} {ratio:31.1f}x")
    say("(an unproven run counts its full time limit, so ratios against unproven peers are lower bounds)")
    if a.out:
        Path(a.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
