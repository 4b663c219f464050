"""The conformance suite: every registered method runs on small known-answer instances.

Shipped in the package (like MathOptInterface's Test module) so a new method, or a third-party backend
registered with optalloc.registry.register, can prove itself:

    from optalloc.conformance import run_conformance
    run_conformance("knapsack.dp")        # raises ConformanceError listing every failed check

Checks, for each case whose problem the method solves:
  exact methods: status optimal, objective = the known optimum, bound = objective, gap 0;
  heuristics: a feasible solution no better than the optimum, a bound no better than... the optimum
  (bound >= optimum for max), gap consistent with objective and bound;
  infeasible cases: status infeasible and no solution;
  every returned solution is re-verified against the instance data by optalloc.solve."""
from __future__ import annotations

from dataclasses import dataclass, field

from optalloc.errors import UnsupportedProblemError
from optalloc.gap import gap as gap_of
from optalloc.gap import bound_crosses, values_equal
from optalloc.instances.format import Instance


class ConformanceError(AssertionError):
    """A method failed checks of the conformance suite; the message lists every failed check."""


@dataclass
class Case:
    """A known-answer case: an instance, its proven optimum (or infeasibility), and tags methods may exclude."""

    instance: Instance
    optimum: float | None  # None: infeasible
    tags: tuple[str, ...] = field(default_factory=tuple)  # features; a method skips cases whose tags it excludes

    @property
    def problem(self) -> str:
        return self.instance.problem


def cases() -> list[Case]:
    """The known-answer instances of every family (each family's declaration names its own)."""
    from optalloc.family import families, resolve

    return [c for fam in families().values() if fam.conformance for c in resolve(fam.conformance)()]


def check(method: str, case: Case, *, time_limit: float = 60.0) -> list[str]:
    """Run one case; return the failed checks (empty when it conforms)."""
    from optalloc.registry import get_method
    from optalloc.solve import solve
    from optalloc.status import SolutionStatus, Status

    m = get_method(method)
    r = solve(case.instance, m, time_limit=time_limit)
    who = f"{method} on {case.instance.name}"
    fails = []
    sense = case.instance.sense
    atol = case.instance.spec.value_atol(case.instance.data)  # the instance's float noise, as certify uses it
    if case.optimum is None:
        if r.status != Status.INFEASIBLE:
            fails.append(f"{who}: status {r.status}, expected infeasible")
        if r.solution is not None:
            fails.append(f"{who}: returned a solution for an infeasible instance")
        return fails
    if r.solution is None:
        return [f"{who}: no solution (status {r.status}, {r.message})"]
    if r.solution_status == SolutionStatus.INFEASIBLE_POINT:
        if not m.may_return_infeasible:
            fails.append(f"{who}: returned an infeasible point")
        return fails
    opt = case.optimum
    margin = r.extra.get("optimality_tolerance")
    if m.kind == "exact" and r.status == Status.GAP_LIMIT and margin:
        # the backend proves only to within its own stated margin (HiGHS on a non-integral objective): the
        # optimum found, the bound at most that margin from it, and said so
        if not values_equal(r.objective, opt, atol):
            fails.append(f"{who}: objective {r.objective}, expected the optimum {opt}")
        if r.bound is None or abs(opt - r.bound) > margin + 1e-15 * abs(opt) or bound_crosses(opt, r.bound, sense):
            fails.append(f"{who}: bound {r.bound}, expected within the backend's margin {margin:g} of {opt}")
    elif m.kind == "exact":
        if r.status != Status.OPTIMAL or r.solution_status != SolutionStatus.OPTIMAL:
            fails.append(f"{who}: status {r.status}/{r.solution_status}, expected optimal/optimal")
        if not values_equal(r.objective, opt, atol):
            fails.append(f"{who}: objective {r.objective}, expected the optimum {opt}")
        if r.bound is None or not values_equal(r.bound, opt, atol):
            fails.append(f"{who}: bound {r.bound}, expected {opt}")
        if r.gap != 0.0:
            fails.append(f"{who}: gap {r.gap}, expected 0")
    else:
        if r.status not in (Status.COMPLETED, Status.OPTIMAL):
            fails.append(f"{who}: status {r.status}, expected completed or optimal")
        worse_ok = r.objective <= opt + 1e-9 if sense == "max" else r.objective >= opt - 1e-9
        if not worse_ok:
            fails.append(f"{who}: heuristic objective {r.objective} beats the optimum {opt}")
        if r.bound is not None:
            holds = r.bound >= opt - 1e-9 if sense == "max" else r.bound <= opt + 1e-9
            if not holds:
                fails.append(f"{who}: bound {r.bound} cuts off the optimum {opt}")
        if r.status == Status.OPTIMAL and not values_equal(r.objective, opt, atol):
            fails.append(f"{who}: claims optimal at {r.objective}, optimum is {opt}")
    if r.gap is not None and r.bound is not None and r.gap != gap_of(r.objective, r.bound, sense, atol):
        fails.append(f"{who}: gap {r.gap} is not the gap of objective and bound")
    return fails


def applicable(method: str) -> list[Case]:
    """The conformance cases `method` takes: its problem kinds, less the tags it excludes."""
    from optalloc.registry import get_method

    m = get_method(method)
    excluded = set(m.excludes)
    return [c for c in cases() if m.accepts(c.problem) and not excluded & set(c.tags)]


def run_conformance(method: str) -> int:
    """Run every applicable case; raise ConformanceError listing failures. Returns the number of cases."""
    todo = applicable(method)
    if not todo:
        raise ConformanceError(f"{method}: no conformance case covers its problems; add one to the cases "
                               f"its family declares (Family.conformance)")
    fails = [f for c in todo for f in check(method, c)]
    if fails:
        raise ConformanceError("\n".join(fails))
    return len(todo)


def warm(instance, method: str) -> None:
    """Solve for the compilation's sake (python -m optalloc.warmup); a method that does not take the
    instance is passed over: the other methods compile that code."""
    from optalloc.solve import solve

    try:
        solve(instance, method, time_limit=20)
    except UnsupportedProblemError:
        pass


def bundled(relative: str) -> list:
    """The instances of a bundled suite file (instances/<relative>) in a source checkout; none elsewhere."""
    from optalloc.instances import load

    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "instances" / relative
    return load(path) if path.is_file() else []
