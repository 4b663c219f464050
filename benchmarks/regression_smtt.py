"""Regression for single-machine tardiness against the proven optima in ../shared/data/smtt.

    python benchmarks/regression_smtt.py exact wt40 wt50 wt100 smtt20 smtt100 [--time-limit 60] [--jobs 2]
    python benchmarks/regression_smtt.py exact smtt500 gen800 gen1000 --jobs 2   # issue 19's tables
    python benchmarks/regression_smtt.py seed                    # EDD/MDD/EDDC/MDDC gap tables, n = 20..500
    python benchmarks/regression_smtt.py ids wt100 smtt500      # iterated dynasearch gaps and times
    options: --first N (only the first N instances of each set), --out FILE (Markdown appended)

`exact` reports per set: proven, reproduced, references beaten (a proven value below the reference) and
time per instance. gen800 / gen1000 are seeded Potts-Van Wassenhove sets beyond the published ones (two per
(RDD, TF) class, RDD 0.2..1.0 x TF 0.2..0.8, as in the n = 500 set): no references, only the share proven.
Exit status 1 if an exact result contradicts a reference (a proven optimum above it)."""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared/data/smtt"

SETS = {"wt40": ("orlib-wt", "wt40.txt"), "wt50": ("orlib-wt", "wt50.txt"), "wt100": ("orlib-wt", "wt100.txt"),
        "smtt20": ("smtt", "smtt_n20.txt"), "smtt100": ("smtt", "smtt_n100.txt"),
        "smtt200": ("smtt", "smtt_n200.txt"), "smtt500": ("smtt", "smtt_n500.txt")}
GENERATED = {"gen800": 800, "gen1000": 1000}
CLASSES = [(rdd, tf) for rdd in (0.2, 0.4, 0.6, 0.8, 1.0) for tf in (0.2, 0.4, 0.6, 0.8)]


def load(name, first=None):
    from optalloc.instances.readers import read

    if name in GENERATED:
        from optalloc.families.tardiness.generators import potts_vw

        n = GENERATED[name]
        insts = [potts_vw(n, tf, rdd, seed=1000 * n + 10 * c + k, name=f"smtt_n{n}-{rdd:g}-{tf:g}-{k + 1}")
                 for c, (rdd, tf) in enumerate(CLASSES) for k in range(2)]
    else:
        fmt, f = SETS[name]
        insts = read(fmt, DATA / f)
    return insts[:first] if first else insts


_WARM = []


def _warm_up():
    """Load the numba cache once per process, so the first instance's time is not the load time."""
    if not _WARM:
        import optalloc
        from optalloc.families.tardiness.generators import potts_vw

        # large enough to reach every phase (bounds, set DP), so all compiled code is loaded before timing
        for inst in (potts_vw(30, 0.6, 0.4, weighted=True, seed=1), potts_vw(30, 0.6, 0.4, seed=2)):
            for m in ("tardiness.dp", "tardiness.iterated_dynasearch"):
                optalloc.solve(inst, m, time_limit=5)
        _WARM.append(True)


def _exact(args):
    name, k, limit = args
    import optalloc

    _warm_up()

    inst = load(name)[k]
    r = optalloc.solve(inst, "tardiness.dp", time_limit=limit)
    ref = inst.reference.value if inst.reference is not None else None
    return (inst.name, str(r.status), r.objective, r.bound, ref, r.time)


def _ids(args):
    name, k, limit = args
    import optalloc

    _warm_up()

    inst = load(name)[k]
    r = optalloc.solve(inst, "tardiness.iterated_dynasearch", {"time_limit": limit, "seed": 0})
    return (inst.name, r.objective, inst.reference.value, r.time)


def run_grid(fn, name, count, limit, jobs):
    tasks = [(name, k, limit) for k in range(count)]
    if jobs <= 1:
        return [fn(t) for t in tasks]
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(fn, tasks, chunksize=1))


def exact(names, limit, jobs, first, out):
    bad = 0
    lines = ["| set | instances | proven | reproduced | reference beaten | mean s | median s | max s |",
             "|---|---|---|---|---|---|---|---|"]
    for name in names:
        count = len(load(name, first))
        t0 = time.perf_counter()
        rows = run_grid(_exact, name, count, limit, jobs)
        proven = [r for r in rows if r[1] == "optimal"]
        known = [r for r in rows if r[4] is not None]  # the generated sets have no references
        repro = [r for r in known if r[1] == "optimal" and r[2] == r[4]]
        beaten = [r for r in known if r[2] is not None and r[2] < r[4]]
        contra = [r for r in known if r[1] == "optimal" and r[2] > r[4]]
        bad += len(contra)
        t = np.array([r[5] for r in rows])
        line = (f"| {name} | {count} | {len(proven)} | {len(repro) if known else '-'} | "
                f"{len(beaten) if known else '-'} | {t.mean():.3f} | "
                f"{np.median(t):.3f} | {t.max():.2f} |")
        lines.append(line)
        print(line, f"(wall {time.perf_counter() - t0:.0f} s)", flush=True)
        for r in beaten:
            print(f"  reference beaten: {r[0]} reference {r[4]} found {r[2]:.0f} ({r[1]})")
        for r in contra:
            print(f"  CONTRADICTED: {r[0]} reference {r[4]} proven {r[2]:.0f}")
        unproven = [r for r in rows if r[1] != "optimal"]
        for r in unproven[:10]:
            print(f"  not proven: {r[0]} {r[1]} value {r[2]} bound {r[3]} reference {r[4]}")
    _emit(out, f"### Exact (tardiness.dp, limit {limit} s per instance, {jobs} jobs in parallel)", lines)
    return bad


def seed(out):
    from optalloc.families.tardiness import heuristics as H

    rules = ("edd", "mdd", "eddc", "mddc")
    lines = ["| n | " + " | ".join(f"{r.upper()} mean gap %" for r in rules) + " | " +
             " | ".join(f"{r.upper()} aggregate %" for r in rules) + " | #opt>0 |",
             "|---" * (2 * len(rules) + 2) + "|"]
    for name in ("smtt20", "smtt100", "smtt200", "smtt500"):
        insts = load(name)
        gaps = {r: [] for r in rules}
        sums = {r: 0.0 for r in rules}
        opt_sum = 0.0
        for inst in insts:
            dd, opt = inst.data, inst.reference.value
            opt_sum += opt
            for r in rules:
                v = dd.cost(H.RULES[r](dd.p, dd.d, dd.w))
                sums[r] += v
                if opt > 0:
                    gaps[r].append(100 * (v - opt) / opt)
        lines.append(f"| {name[4:]} | " + " | ".join(f"{np.mean(gaps[r]):.2f}" for r in rules) + " | " +
                     " | ".join(f"{100 * (sums[r] / opt_sum - 1):.2f}" for r in rules) + f" | {len(gaps['edd'])} |")
        print(lines[-1], flush=True)
    _emit(out, "### Dispatching rules against the optima (the seed's metric: mean over opt > 0)", lines)
    return 0


def ids(names, limit, jobs, first, out):
    lines = ["| set | instances | mean gap % (opt > 0) | optimal | mean s | max s |", "|---|---|---|---|---|---|"]
    for name in names:
        count = len(load(name, first))
        rows = run_grid(_ids, name, count, limit, jobs)
        gaps = [100 * (v - o) / o for _, v, o, _ in rows if o > 0]
        t = np.array([r[3] for r in rows])
        nopt = sum(v <= o for _, v, o, _ in rows)
        lines.append(f"| {name} | {count} | {np.mean(gaps):.4f} | {nopt} | {t.mean():.3f} | {t.max():.2f} |")
        print(lines[-1], flush=True)
    _emit(out, f"### Iterated dynasearch (seed 0, limit {limit} s)", lines)
    return 0


def _emit(out, title, lines):
    if out:
        with open(out, "a") as fh:
            fh.write(f"\n{title}\n\n" + "\n".join(lines) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["exact", "seed", "ids"])
    ap.add_argument("sets", nargs="*")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--first", type=int)
    ap.add_argument("--out")
    a = ap.parse_args()
    if not DATA.is_dir():
        print(f"{DATA} not found", file=sys.stderr)
        return 2
    unknown = [s for s in a.sets if s not in SETS and s not in GENERATED]
    if unknown:
        print(f"unknown set {unknown[0]}; sets: {', '.join([*SETS, *GENERATED])}", file=sys.stderr)
        return 2
    if a.what == "exact":
        return 1 if exact(a.sets or ["wt40", "wt50"], a.time_limit, a.jobs, a.first, a.out) else 0
    if a.what == "seed":
        return seed(a.out)
    return ids(a.sets or ["wt100"], a.time_limit, a.jobs, a.first, a.out)


if __name__ == "__main__":
    sys.exit(main())
