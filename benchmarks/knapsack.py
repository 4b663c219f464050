"""Knapsack benchmark: optalloc's exact 0-1 DP against OR-Tools' KnapsackSolver (branch and bound) and the
HiGHS MIP, on the same Pisinger instances in one run; then the exact MCKP solver at 10,000 x 128.

    python benchmarks/knapsack.py            # full run (about 15 minutes: peers get 10 s, 60 s on the sc set)
    python benchmarks/knapsack.py --quick    # a few instances, short limits

Instances come from optalloc's bit-exact re-implementation of Pisinger's generator, so the run needs no data
files; optima are checked against ../shared/data/knapsack/pisinger/optima_index.csv when it is there.
Prints one row per instance and method, then the ratios (peer time / optalloc time)."""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import optalloc  # noqa: E402
from optalloc.families.knapsack.generators import mckp, pisinger  # noqa: E402

INDEX = ROOT.parent / "shared/data/knapsack/pisinger/optima_index.csv"


def known_optima() -> dict[str, int]:
    if not INDEX.exists():
        return {}
    with INDEX.open() as fh:
        return {r["name"]: int(r["z"]) for r in csv.DictReader(fh) if r["z"] != "FAIL"}


def ortools_bb(inst, limit: float):
    from ortools.algorithms.python import knapsack_solver as ks

    s = ks.KnapsackSolver(ks.SolverType.KNAPSACK_MULTIDIMENSION_BRANCH_AND_BOUND_SOLVER, "bb")
    d = inst.data
    s.init(d.values.tolist(), [d.weights.tolist()], [int(d.capacity)])
    s.set_time_limit(limit)
    t = time.perf_counter()
    value = s.solve()
    took = time.perf_counter() - t
    return value, s.is_solution_optimal(), took


def run_optalloc(inst, method: str, limit: float):
    t = time.perf_counter()
    r = optalloc.solve(inst, method, time_limit=limit)
    return r.objective, str(r.status) == "optimal", time.perf_counter() - t


def suites(quick: bool):
    main = [(t, 1000, 1000, 50) for t in (1, 2, 3, 4, 5, 6, 9)]
    main += [(t, 10000, 1000, 50) for t in (1, 2, 3, 4, 5, 6, 9)]
    main += [(t, 1000, 100000, 50) for t in (1, 2, 3, 4, 5, 6, 9)]
    main += [(t, 500, 1000, 50) for t in (11, 12, 13, 14, 15, 16)]
    sc = [(3, 1000, 1000, i) for i in (30, 60, 90)] + [(5, 1000, 1000, i) for i in (30, 60, 90)] + \
         [(3, 1000, 100000, i) for i in (30, 60, 90)]
    if quick:
        return [("main", main[::5], 5.0), ("strongly correlated n=1000", sc[::4], 10.0)]
    return [("main", main, 10.0), ("strongly correlated n=1000", sc, 60.0)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    opt = known_optima()
    optalloc.solve(pisinger(1, 50, 1000, 1), "knapsack.dp")  # load the compiled kernels once, outside timing
    rows = []
    print(f"{'instance':28} {'optimum':>12} {'optalloc s':>11} {'ortools-bb s':>13} {'highs s':>9}  notes")
    for label, specs, peer_limit in suites(args.quick):
        print(f"--- {label}: peers limited to {peer_limit:.0f} s")
        for t, n, R, i in specs:
            inst = pisinger(t, n, R, i)
            z = opt.get(inst.name)
            ov, oo, ot = run_optalloc(inst, "knapsack.dp", 60.0)
            bv, bo, bt = ortools_bb(inst, peer_limit)
            hv, ho, ht = run_optalloc(inst, "knapsack.mip", peer_limit)
            notes = []
            if z is not None and ov != z:
                notes.append(f"OPTALLOC MISSED {z}")
            if not oo:
                notes.append("optalloc not proven")
            if not bo:
                notes.append(f"ortools unproven ({bv})")
            if not ho:
                notes.append(f"highs unproven ({hv})")
            rows.append({"suite": label, "name": inst.name, "optalloc": ot, "optalloc_ok": oo, "ortools": bt,
                         "ortools_ok": bo, "highs": ht, "highs_ok": ho})
            print(f"{inst.name:28} {int(ov):>12} {ot:>11.4f} {bt:>13.3f} {ht:>9.3f}  {'; '.join(notes)}", flush=True)
    print()
    ot = [r["optalloc"] for r in rows]
    print(f"optalloc: {sum(r['optalloc_ok'] for r in rows)}/{len(rows)} proven, max {max(ot):.3f} s, "
          f"median {statistics.median(ot):.4f} s, {sum(x <= 1.0 for x in ot)}/{len(rows)} within 1 s")
    for peer in ("ortools", "highs"):
        ratios = [r[peer] / max(r["optalloc"], 1e-4) for r in rows]
        unsolved = [r["name"] for r in rows if not r[f"{peer}_ok"]]
        both = [r["name"] for r in rows if not r["ortools_ok"] and not r["highs_ok"] and r["optalloc_ok"]]
        print(f"{peer}: median time ratio {statistics.median(ratios):.1f}x (peer / optalloc, optalloc floor 0.1 ms), "
              f"unproven within its limit: {len(unsolved)}/{len(rows)}")
    print(f"left unsolved by both peers and proven by optalloc: {len(both)} {both}")
    # MCKP at scale
    print()
    for kind in ("uncorrelated", "concave"):
        inst = mckp(10000, 128, kind=kind, seed=1, capacity_ratio=0.3)
        t = time.perf_counter()
        r = optalloc.solve(inst, "knapsack.dp")
        took = time.perf_counter() - t
        print(f"MCKP 10,000 x 128 {kind:13}: {r.status}, objective {r.objective:.0f}, gap {r.gap}, {took:.3f} s "
              f"(solver {r.time:.3f} s)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
