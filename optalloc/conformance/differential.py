"""Differential checks: every registered method against brute force on small random instances, at magnitudes
from tiny to the numeric contract's limit. The tests drive it with hypothesis; `make fuzz` drives it with
thousands of seeded instances (benchmarks/fuzz.py). Shipped in the package so a new method can prove itself.

The oracle enumerates every candidate solution and scores it with the problem kind's own `evaluate`, which
recomputes objectives exactly (Python integers, or one rounding for float data); so the oracle shares no
code with any method. A disagreement is any of: an exact method that stops without a limit and is not
optimal at the brute-force value; an objective better than the optimum; a bound on the wrong side of it;
"optimal" or "infeasible" said falsely; or an exception."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optalloc.errors import OptallocError
from optalloc.gap import values_equal
from optalloc.family import resolve
from optalloc.instances.format import Instance
from optalloc.numeric import MAX_COEFFICIENT
from optalloc.problems import get_problem, problem_names
from optalloc.status import LIMIT_STATUSES, Status

SCALES = ("tiny", "mid", "contract")


# ------------------------------------------------------------------ random instances
def coefficient_top(scale: str, contract: float, count: int) -> int:
    """Largest coefficient at a scale: 10, 10^6, or a share of the contract's total that keeps the sum legal."""
    if scale == "tiny":
        return 10
    if scale == "mid":
        return 10**6
    return max(10, int(contract // max(count, 1)))


def matrix_top(scale: str) -> int:
    """Largest entry of a cost or weight matrix at a scale: 10, 10^4, or the contract's largest coefficient."""
    return 10 if scale == "tiny" else (10**4 if scale == "mid" else int(MAX_COEFFICIENT))


def fuzz_kinds() -> tuple[str, ...]:
    """The problem kinds that declare a random generator for differential testing (Problem.fuzz)."""
    return tuple(k for k in problem_names() if get_problem(k).fuzz is not None)


def random_instance(kind: str, rng: np.random.Generator, scale: str, name: str = "fuzz") -> Instance:
    """A small instance of `kind` whose brute force takes at most a few thousand evaluations (the generator the
    kind declares, Problem.fuzz)."""
    ref = get_problem(kind).fuzz
    if ref is None:
        raise ValueError(f"no random instances of {kind!r}")
    return resolve(ref)(rng, scale, name)


# ------------------------------------------------------------------ the brute-force oracle
def brute_force(inst: Instance) -> float | None:
    """The optimum by enumeration (None: infeasible), each candidate scored by the problem's own evaluate."""
    spec, sense, best = inst.spec, inst.sense, None
    for sol in spec.candidates(inst.data):
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


def _own_margin(r, optimum: float) -> bool:
    """A gap limit that the backend's own stated optimality tolerance explains (HiGHS on a non-integral objective
    proves only to within it): a gap no wider than that margin (whether the bound holds is checked apart)."""
    margin = r.extra.get("optimality_tolerance")
    return (r.status == Status.GAP_LIMIT and margin is not None and r.has_solution and r.bound is not None
            and abs(r.objective - r.bound) <= margin * (1 + 1e-6) + 1e-9 * abs(r.objective))


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
    if r.status == Status.OPTIMAL and not (r.has_solution and values_equal(r.objective, optimum,
                                                                         inst.spec.value_atol(inst.data))):
        bad(f"claims optimal with {r.objective}; the optimum is {optimum}")
    if m.kind == "exact" and r.status not in LIMIT_STATUSES and r.status != Status.OPTIMAL and not _own_margin(r, optimum):
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
