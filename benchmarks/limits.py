"""Time limits, measured: every registered method on a hard instance of each problem kind it solves, at
limits 0, 2 and 5 s, each run in its own process. Prints the overrun table (time from the solve call to its
return, minus the limit), with start-up (imports, the method's backends, numba's cached kernels: what
`optalloc.solve` does before the limit starts) and instance loading timed apart. The promise is an
answer within the limit + 1 s; rows past that are marked OVER.

    python benchmarks/limits.py                       # every method, limits 0 2 5
    python benchmarks/limits.py --methods knapsack.mip,tardiness.dp --limits 2
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def hard_instances(folder: Path) -> dict[str, Path]:
    """One instance per problem kind that no method here finishes in 5 s (seeded, so the same every run)."""
    import numpy as np

    from optalloc import make_instance
    from optalloc.instances import save
    from optalloc.families.knapsack import generators as gk
    from optalloc.families.matching import generators as gm
    from optalloc.families.tardiness.generators import potts_vw

    rng = np.random.default_rng(0)
    k = 300_000  # bit allocation at model scale: the level grid makes the MIP build heavy
    bitalloc = make_instance("bitalloc", "groups300k", {
        "sizes": [128] * k, "sensitivity": (10.0 ** rng.uniform(-3, 3, k)).tolist(), "b_min": 2, "b_max": 8,
        "budget": 3.3, "grid": "levels"})
    made = {
        "knapsack": gk.pisinger(16, 10_000, 10**6, 50),  # the circle class: R = 10^7 strongly correlated is now easy
        "bounded_knapsack": gk.bounded(2000, R=10**6, max_copies=50, seed=1),
        "mckp": gk.mckp(200, 20, kind="strongly", R=10**7, seed=3),
        "mkp": gk.mkp(250, 10, seed=1),
        "bitalloc": bitalloc,
        "tardiness": potts_vw(200, 0.6, 0.4, weighted=True, seed=1),
        "assignment": gm.assignment(4000, seed=1),
        "gap": gm.gap(20, 200, "D", seed=1),
        "makespan": gm.makespan(20, 500, seed=1),
        "routing": gm.routing(5000, 10, seed=1),
        "bmatching": gm.bmatching(1500, 1500, density=0.5, seed=5),
        "adwords": gm.adwords(200, 5000, seed=1),
    }
    out = {}
    for kind, inst in made.items():
        out[kind] = folder / f"{kind}.jsonl"
        save([inst], out[kind], overwrite=True)
    return out


CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import optalloc
from optalloc.instances import load
from optalloc.registry import get_method
from optalloc.solve import import_backends
import_backends([get_method(sys.argv[2])])  # start-up (backends, cached numba kernels): apart, as in solve
t1 = time.perf_counter()
inst = load(sys.argv[1])[0]
t2 = time.perf_counter()
try:
    r = optalloc.solve(inst, sys.argv[2], time_limit=float(sys.argv[3]))
    status = str(r.status)
except Exception as e:
    status = type(e).__name__
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "solve": t3 - t2, "status": status}))
"""


def run(path: Path, method: str, limit: float, hard_stop: float) -> dict:
    started = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-c", CHILD, str(path), method, str(limit)], capture_output=True,
                           text=True, timeout=hard_stop, cwd=ROOT)
        row = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 and p.stdout.strip() else \
            {"status": f"exit {p.returncode}: {p.stderr.strip().splitlines()[-1][:60] if p.stderr.strip() else ''}"}
    except subprocess.TimeoutExpired:
        row = {"status": f"killed after {hard_stop:.0f} s"}
    row["wall"] = time.perf_counter() - started
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="", help="comma-separated (default: every registered method)")
    ap.add_argument("--limits", default="0,2,5")
    ap.add_argument("--hard-stop", type=float, default=300.0, help="kill a run after this many seconds")
    args = ap.parse_args(argv)
    from optalloc.registry import all_methods

    wanted = {m for m in args.methods.split(",") if m}
    methods = [m for m in all_methods() if m.available() and (not wanted or m.name in wanted)]
    limits = [float(x) for x in args.limits.split(",")]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        files = hard_instances(Path(tmp))
        print(f"{'method':32} {'kind':16} {'limit':>5} {'import':>7} {'load':>6} {'solve':>8} {'overrun':>8}  status")
        for m in methods:
            for kind in m.problems:
                for limit in limits:
                    r = run(files[kind], m.name, limit, args.hard_stop)
                    if "solve" in r:
                        over = r["solve"] - limit
                        worst = max(worst, over)
                        flag = "  OVER" if over > 1.0 else ""
                        print(f"{m.name:32} {kind:16} {limit:5g} {r['import']:7.2f} {r['load']:6.2f} "
                              f"{r['solve']:8.2f} {over:8.2f}  {r['status']}{flag}", flush=True)
                    else:
                        print(f"{m.name:32} {kind:16} {limit:5g} {'':7} {'':6} {'':8} {'':8}  {r['status']}  OVER",
                              flush=True)
                        worst = max(worst, r["wall"] - limit)
    print(f"largest overrun: {worst:.2f} s (the promise: at most 1 s)")
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
