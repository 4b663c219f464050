"""Differential checks: every registered method against brute force on small random instances, at magnitudes
from tiny to the numeric contract's limit. The tests drive it with hypothesis; `make fuzz` drives it with
thousands of seeded instances (benchmarks/fuzz.py). Shipped in the package so a new method can prove itself.

The oracle enumerates every candidate solution and scores it with the problem kind's own `evaluate`, which
recomputes objectives exactly (Python integers, or one rounding for float data); so the oracle shares no
code with any method. A disagreement is any of: an exact method that stops without a limit and is not
optimal at the brute-force value; an objective better than the optimum; a bound on the wrong side of it;
"optimal" or "infeasible" said falsely; or an exception."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from optalloc.errors import OptallocError
from optalloc.gap import values_equal
from optalloc.instances.format import Instance, make_instance
from optalloc.numeric import EXACT_TOTAL, MAX_COEFFICIENT, MAX_HORIZON
from optalloc.status import LIMIT_STATUSES, Status

SCALES = ("tiny", "mid", "contract")
KINDS = ("knapsack", "bounded_knapsack", "mckp", "mkp", "bitalloc", "tardiness", "gap", "assignment", "makespan",
         "routing", "bmatching", "adwords")


# ------------------------------------------------------------------ random instances
def _top(scale: str, contract: float, count: int) -> int:
    """Largest coefficient at a scale: 10, 10^6, or a share of the contract's total that keeps the sum legal."""
    if scale == "tiny":
        return 10
    if scale == "mid":
        return 10**6
    return max(10, int(contract // max(count, 1)))


def random_instance(kind: str, rng: np.random.Generator, scale: str, name: str = "fuzz") -> Instance:
    """A small instance of `kind` whose brute force takes at most a few thousand evaluations."""
    if kind == "knapsack":
        n = int(rng.integers(1, 10))
        top = _top(scale, EXACT_TOTAL, n)
        w = rng.integers(0, top, n, endpoint=True).tolist()
        return make_instance(kind, name, {"values": rng.integers(0, top, n, endpoint=True).tolist(), "weights": w,
                                          "capacity": int(sum(w) * rng.uniform(0.2, 0.8))})
    if kind == "bounded_knapsack":
        n = int(rng.integers(1, 5))
        b = rng.integers(1, 4, n).tolist()
        top = _top(scale, EXACT_TOTAL, 3 * n)
        w = rng.integers(0, top, n, endpoint=True).tolist()
        return make_instance(kind, name, {"values": rng.integers(0, top, n, endpoint=True).tolist(), "weights": w,
                                          "bounds": b, "capacity": int(np.dot(w, b) * rng.uniform(0.2, 0.8))})
    if kind == "mckp":
        k = int(rng.integers(1, 6))
        sizes = rng.integers(1, 5, k)
        top = _top(scale, EXACT_TOTAL, k)
        v = [rng.integers(0, top, s, endpoint=True).tolist() for s in sizes]
        w = [rng.integers(0, top, s, endpoint=True).tolist() for s in sizes]
        cap = int(sum(min(x) for x in w) + (sum(max(x) for x in w) - sum(min(x) for x in w)) * rng.uniform(0, 0.7))
        return make_instance(kind, name, {"values": v, "weights": w, "capacity": cap})
    if kind == "mkp":
        n, m = int(rng.integers(1, 9)), int(rng.integers(1, 3))
        top = _top(scale, EXACT_TOTAL, n)
        W = rng.integers(0, top, (m, n), endpoint=True)
        caps = (W.sum(axis=1) * rng.uniform(0.2, 0.8, m)).astype(np.int64)
        return make_instance(kind, name, {"values": rng.integers(0, top, n, endpoint=True).tolist(),
                                          "weights": W.tolist(), "capacities": caps.tolist()})
    if kind == "bitalloc":
        k = int(rng.integers(1, 6))
        top = _top(scale, EXACT_TOTAL / 4, k)
        sizes = rng.integers(1, top, k, endpoint=True).tolist()
        sens = (10.0 ** rng.uniform(-3, 6 if scale != "tiny" else 1, k)).tolist()
        return make_instance(kind, name, {"sizes": sizes, "sensitivity": sens, "b_min": 2, "b_max": 4,
                                          "budget": float(rng.choice([2, 2.5, 3, 3.3, 4]))})
    if kind == "tardiness":
        n = int(rng.integers(1, 7))
        top = _top(scale, MAX_HORIZON, n)
        p = rng.integers(1, top, n, endpoint=True)
        P = int(p.sum())
        d = rng.integers(-P // 4, P, n, endpoint=True)
        wtop = 10 if scale == "tiny" else max(1, min(1000, EXACT_TOTAL // (n * 2 * P)))
        w = rng.integers(0, wtop, n, endpoint=True).tolist()
        if scale != "tiny" and rng.random() < 0.3:
            w = [float(x) + 0.5 for x in w]  # real weights: the MIPs snap nothing, so their tolerance shows
        return make_instance(kind, name, {"processing_times": p.tolist(), "due_dates": d.tolist(), "weights": w})
    top = 10 if scale == "tiny" else (10**4 if scale == "mid" else int(MAX_COEFFICIENT))
    if kind == "gap":
        m, n = int(rng.integers(1, 4)), int(rng.integers(1, 7))
        A = rng.integers(1, top, (m, n), endpoint=True)
        caps = (A.sum(axis=1) * rng.uniform(0.3, 0.9, m)).astype(np.int64)
        return make_instance(kind, name, {"costs": rng.integers(0, top, (m, n), endpoint=True).tolist(),
                                          "weights": A.tolist(), "capacities": caps.tolist(),
                                          "sense": str(rng.choice(["min", "max"]))})
    if kind == "assignment":
        m, n = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        C = rng.integers(-top, top, (m, n), endpoint=True).astype(object)
        C[rng.random((m, n)) < 0.2] = None
        return make_instance(kind, name, {"costs": C.tolist(), "sense": str(rng.choice(["min", "max"]))})
    if kind == "makespan":
        m, n = int(rng.integers(1, 4)), int(rng.integers(1, 7))
        T = rng.integers(0, top, (m, n), endpoint=True).astype(object)
        T[rng.random((m, n)) < 0.2] = None
        T[0, [j for j in range(n) if all(T[i, j] is None for i in range(m))]] = 1
        return make_instance(kind, name, {"times": T.tolist()})
    if kind == "routing":
        q, k = int(rng.integers(1, 7)), int(rng.integers(1, 4))
        cost = rng.integers(0, top, (q, k), endpoint=True)
        return make_instance(kind, name, {"quality": rng.integers(0, top, (q, k), endpoint=True).tolist(),
                                          "cost": cost.tolist(), "capacity": rng.integers(1, q + 1, k).tolist(),
                                          "budget": float(int(cost.min(axis=1).sum() + rng.uniform(0, 1) *
                                                              (cost.max(axis=1) - cost.min(axis=1)).sum()))})
    if kind == "bmatching":
        m, n = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        W = rng.integers(-top // 10, top, (m, n), endpoint=True).astype(object)
        W[rng.random((m, n)) < 0.2] = None
        return make_instance(kind, name, {"weights": W.tolist(), "row_capacity": rng.integers(1, 3, m).tolist(),
                                          "col_capacity": rng.integers(1, 3, n).tolist()})
    if kind == "adwords":
        m, n = int(rng.integers(1, 4)), int(rng.integers(1, 6))
        B = rng.integers(0, top, (m, n), endpoint=True).astype(object)
        B[rng.random((m, n)) < 0.2] = None
        return make_instance(kind, name, {"bids": B.tolist(),
                                          "budgets": rng.integers(1, max(2, top * n // 2), m).tolist()})
    raise ValueError(f"no random instances of {kind!r}")


# ------------------------------------------------------------------ the brute-force oracle
def _candidates(inst: Instance):
    d, p = inst.data, inst.problem
    if p in ("knapsack", "mkp"):
        for mask in itertools.product((0, 1), repeat=d.n):
            yield {"items": [j for j in range(d.n) if mask[j]]}
    elif p == "bounded_knapsack":
        for counts in itertools.product(*[range(int(b) + 1) for b in d.bounds]):
            yield {"counts": list(counts)}
    elif p == "mckp":
        for choice in itertools.product(*[range(int(s)) for s in d.sizes()]):
            yield {"choice": list(choice)}
    elif p == "bitalloc":
        for bits in itertools.product(range(d.b_min, d.b_max + 1), repeat=d.k):
            yield {"bits": list(bits)}
    elif p == "tardiness":
        for seq in itertools.permutations(range(d.n)):
            yield {"sequence": list(seq)}
    elif p in ("gap", "makespan", "routing"):
        m, n = (d.m, d.n) if p == "gap" else ((d.m, d.n) if p == "makespan" else (d.k, d.q))
        key = {"gap": "agent", "makespan": "machine", "routing": "model"}[p]
        for a in itertools.product(range(m), repeat=n):
            yield {key: list(a)}
    elif p == "assignment":
        m, n = d.shape
        for cols in itertools.product(range(-1, n), repeat=m):
            used = [c for c in cols if c >= 0]
            if len(used) == len(set(used)):  # each column at most once; evaluate checks the rest
                yield {"assignment": list(cols)}
    elif p == "bmatching":
        edges = [(i, j) for i, j in zip(*np.nonzero(np.isfinite(d.weights)))]
        for mask in itertools.product((0, 1), repeat=len(edges)):
            yield {"edges": [[int(i), int(j)] for (i, j), on in zip(edges, mask) if on]}
    elif p == "adwords":
        m, n = d.bids.shape
        for a in itertools.product(range(-1, m), repeat=n):
            yield {"advertiser": list(a)}
    else:
        raise ValueError(f"no brute force for {p!r}")


def brute_force(inst: Instance) -> float | None:
    """The optimum by enumeration (None: infeasible), each candidate scored by the problem's own evaluate."""
    spec, sense, best = inst.spec, inst.sense, None
    for sol in _candidates(inst):
        ev = spec.evaluate(inst.data, sol)
        if not ev.feasible:
            continue
        if best is None or (ev.objective > best if sense == "max" else ev.objective < best):
            best = ev.objective
    return best


# ------------------------------------------------------------------ checking one method
@dataclass
class Disagreement:
    """Two methods (or a method and brute force) that disagree on an instance: a bug in one of them."""

    instance: str
    method: str
    what: str

    def __str__(self) -> str:
        return f"{self.method} on {self.instance}: {self.what}"


def _worse_or_equal(a: float, b: float, sense: str) -> bool:
    return values_equal(a, b) or (a <= b if sense == "max" else a >= b)


def check_method(inst: Instance, method, optimum: float | None, time_limit: float = 10.0) -> list[Disagreement]:
    """Solve `inst` with `method` (a Method or name) and list every way the answer contradicts `optimum`."""
    from optalloc.registry import get_method
    from optalloc.solve import solve

    m = get_method(method) if isinstance(method, str) else method
    out: list[Disagreement] = []

    def bad(what):
        out.append(Disagreement(inst.name, m.name, what))

    try:
        r = solve(inst, m, time_limit=time_limit)
    except OptallocError as e:
        if type(e).__name__ == "UnsupportedProblemError":
            return out  # the method declines this data (e.g. CP-SAT on values it cannot scale): not a claim
        bad(f"{type(e).__name__}: {e}")
        return out
    sense = inst.sense
    if r.status == Status.ERROR:
        bad(f"status error: {r.message}")
        return out
    if optimum is None:
        if r.has_solution:
            bad(f"returned a solution of value {r.objective} on an infeasible instance")
        return out
    if r.status == Status.INFEASIBLE:
        bad(f"claims infeasible; the optimum is {optimum}")
    if r.has_solution and not _worse_or_equal(r.objective, optimum, sense):
        bad(f"objective {r.objective} is better than the optimum {optimum}")
    if r.bound is not None and math.isfinite(r.bound) and not _worse_or_equal(optimum, r.bound, sense):
        bad(f"bound {r.bound} is on the wrong side of the optimum {optimum}")
    if r.status == Status.OPTIMAL and not (r.has_solution and values_equal(r.objective, optimum)):
        bad(f"claims optimal with {r.objective}; the optimum is {optimum}")
    if m.kind == "exact" and r.status not in LIMIT_STATUSES and r.status != Status.OPTIMAL:
        bad(f"an exact method stopped with {r.status} before any limit")
    return out


def check_instance(inst: Instance, methods, time_limit: float = 10.0) -> list[Disagreement]:
    """Every method that accepts `inst`, against its brute-force optimum."""
    optimum = brute_force(inst)
    found = []
    for m in methods:
        if m.accepts(inst.problem) and m.available():
            found += check_method(inst, m, optimum, time_limit)
    return found
