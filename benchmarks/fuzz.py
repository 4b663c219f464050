"""`make fuzz`: random small instances of every problem kind, at every magnitude up to the numeric contract,
solved by every registered method and checked against brute force (optalloc.conformance.differential).
Prints every disagreement, the counts per kind, and the run time; exits 1 when anything disagreed.

    python benchmarks/fuzz.py --instances 10000 --seed 0 [--jobs 2] [--kinds knapsack,gap] [--methods gap.mip]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from optalloc.conformance.differential import SCALES, brute_force, check_method, fuzz_kinds, random_instance
from optalloc.registry import all_methods


def _methods(wanted: set[str]):
    # Pyomo builds the same model as the vectorised MIP (a test checks they are equal) at 100x the cost
    return [m for m in all_methods() if m.available() and (m.name in wanted if wanted else
                                                            m.backend != "pyomo+highs")]


def fuzz_one(task) -> tuple[str, int, list[str]]:
    """Instance i of the run (its own seeded generator, so the grid is the same for any --jobs)."""
    i, seed, kinds, wanted, time_limit = task
    kind, scale = kinds[i % len(kinds)], SCALES[(i // len(kinds)) % len(SCALES)]
    inst = random_instance(kind, np.random.default_rng([seed, i]), scale, name=f"{kind}-{scale}-{i}")
    optimum = brute_force(inst)
    runs, found = 0, []
    for m in _methods(wanted):
        if m.accepts(inst.problem):
            runs += 1
            found += [f"{d}  data={inst.spec.dump(inst.data)}" for d in check_method(inst, m, optimum, time_limit)]
    return kind, runs, found


def _limit_memory(gib: float = 6.0) -> None:
    """Each worker gets an address-space cap: a method that allocates by a capacity or a horizon fails there
    with MemoryError (a disagreement naming the instance) instead of taking the machine down."""
    import resource

    cap = int(gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _run_all(indices, task, jobs):
    """Yield (i, fuzz_one result) for every index. A worker that dies (a backend crashing in C) breaks the
    pool: the instances it left pending are re-run one by one in fresh processes, so the one that crashes
    is named as a disagreement and the others still count."""
    pending = list(indices)
    with ProcessPoolExecutor(jobs, initializer=_limit_memory) as pool:
        futures = {pool.submit(fuzz_one, task(i)): i for i in pending}
        broken = []
        for fut in as_completed(futures):
            try:
                yield futures[fut], fut.result()
            except BrokenProcessPool:
                broken.append(futures[fut])
    for i in sorted(broken):
        with ProcessPoolExecutor(1, initializer=_limit_memory) as solo:
            try:
                yield i, solo.submit(fuzz_one, task(i)).result()
            except BrokenProcessPool:
                kind = task(i)[2][i % len(task(i)[2])]
                yield i, (kind, 0, [f"CRASH: a process died solving instance {i} (seed {task(i)[1]})"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--kinds", default=",".join(fuzz_kinds()))
    ap.add_argument("--methods", default="", help="comma-separated; default every registered method")
    ap.add_argument("--time-limit", type=float, default=2.0,
                    help="per method run; heuristics such as gap.lns use all of it, so keep it short")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    wanted = {m for m in args.methods.split(",") if m}
    task = lambda i: (i, args.seed, kinds, wanted, args.time_limit)  # noqa: E731
    t0 = time.perf_counter()
    runs, per_kind, bad = 0, Counter(), []
    for k, (i, (kind, n_runs, found)) in enumerate(_run_all(range(args.instances), task, args.jobs), 1):
        runs += n_runs
        per_kind[kind] += 1
        for line in found:
            print(f"DISAGREE {line}", flush=True)
        bad += found
        if k % 500 == 0:
            print(f"... {k} instances, {runs} runs, {len(bad)} disagreements, "
                  f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    secs = time.perf_counter() - t0
    print(f"fuzz: {args.instances} instances ({', '.join(f'{k} {c}' for k, c in sorted(per_kind.items()))}), "
          f"{runs} method runs, {len(bad)} disagreements, {secs:.1f} s with {args.jobs} jobs")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
