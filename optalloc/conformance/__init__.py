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

from ..gap import gap as gap_of
from ..gap import values_equal
from ..instances.format import Instance, make_instance


class ConformanceError(AssertionError):
    """A method failed checks of the conformance suite; the message lists every failed check."""


@dataclass
class Case:
    instance: Instance
    optimum: float | None  # None: infeasible
    tags: tuple[str, ...] = field(default_factory=tuple)  # features; a method skips cases whose tags it excludes

    @property
    def problem(self) -> str:
        return self.instance.problem


def cases() -> list[Case]:
    """The known-answer instances. Optima are small enough to be re-derived by brute force in the tests."""
    from ..instances.generators.knapsack import pisinger

    K = "knapsack"
    out = [
        Case(make_instance(K, "kp-tiny", {"values": [6, 10, 12], "weights": [1, 2, 3], "capacity": 5}), 22),
        Case(make_instance(K, "kp-nothing-fits", {"values": [5, 7], "weights": [10, 12], "capacity": 9}), 0,
             ("empty",)),
        Case(make_instance(K, "kp-zero-capacity", {"values": [5, 7, 3], "weights": [1, 0, 2], "capacity": 0}), 7),
        Case(make_instance(K, "kp-real-values", {"values": [1.5, 2.25, 3.125, 0.5], "weights": [2, 3, 4, 1],
                                                  "capacity": 6}), 4.625),
        Case(make_instance(K, "kp-all-fit", {"values": [1, 2, 3], "weights": [1, 1, 1], "capacity": 10}), 6),
        Case(pisinger(1, 50, 1000, 1), 8373, ("pisinger",)),
        Case(pisinger(13, 50, 1000, 1), 1989, ("pisinger",)),
        Case(make_instance("bounded_knapsack", "bkp-small", {"values": [10, 7, 4], "weights": [5, 4, 3],
                                                             "bounds": [2, 3, 4], "capacity": 17}), 31),
        Case(make_instance("mckp", "mckp-small", {"values": [[3, 7, 9], [2, 6], [1, 4, 8, 9]],
                                                  "weights": [[1, 3, 5], [1, 4], [0, 2, 5, 6]], "capacity": 10}), 18),
        Case(make_instance("mckp", "mckp-ties", {"values": [[1, 5, 6], [2, 4, 9], [1, 1, 1]],
                                                 "weights": [[1, 3, 5], [1, 2, 6], [0, 1, 2]], "capacity": 8,
                                                 "ties": [[0, 1]]}), 10),
        Case(make_instance("mckp", "mckp-infeasible", {"values": [[3, 4], [5, 6]], "weights": [[4, 5], [4, 6]],
                                                       "capacity": 7}), None, ("infeasible",)),
        Case(make_instance("mkp", "mkp-small", {"values": [10, 13, 7, 8], "weights": [[3, 4, 2, 3], [2, 5, 1, 2]],
                                                "capacities": [7, 6]}), 20),
        Case(make_instance("bitalloc", "bits-small", {"sizes": [2, 2, 1, 3], "sensitivity": [8, 1, 4, 2],
                                                      "budget": 2.5, "b_min": 1, "b_max": 4}), 0.328125),
        Case(make_instance("bitalloc", "bits-ties-overhead", {"sizes": [2, 2, 1, 3, 2], "sensitivity": [8, 1, 4, 2, 5],
                                                              "budget": 2.5, "b_min": 1, "b_max": 4, "overhead_bits": 1,
                                                              "ties": [[0, 1]]}), 1.203125),
        Case(make_instance("bitalloc", "bits-levels", {"sizes": [2, 2, 1], "sensitivity": [8, 1, 4], "budget": 1.2,
                                                       "b_min": 0, "b_max": 2, "grid": "levels"}), 1.75, ("levels",)),
        Case(make_instance("bitalloc", "bits-tables", {
            "sizes": [1, 1, 3, 1], "budget": 3.5, "ties": [[0, 1]],
            "options": {"bits": [[2, 4, 8], [2, 4, 8], [2, 4], [4, 8]],
                        "error": [[9, 3, 1], [5, 2, 0.5], [7, 2], [6, 1]],
                        "size": [[2, 4, 8], [2, 4, 8], [6, 12], [4, 8]]}}), 18, ("tables",)),
        Case(make_instance("assignment", "assign-min", {"costs": [[4, 1, 3], [2, 0, 5], [3, 2, 2]]}), 5),
        Case(make_instance("assignment", "assign-max-rect-forbidden",
                           {"costs": [[4, None, 3, 1], [2, 6, None, 5]], "sense": "max"}), 10),
        Case(make_instance("assignment", "assign-sparse", {"shape": [3, 3], "arcs": [[0, 0, 1], [0, 1, 4], [1, 0, 2],
                                                                                    [2, 2, 3]]}), 9),
        Case(make_instance("assignment", "assign-infeasible", {"costs": [[1, None], [2, None]]}), None, ("infeasible",)),
        Case(make_instance("gap", "gap-min", {"costs": [[6, 9, 4, 2], [5, 3, 8, 7]], "weights": [[3, 4, 2, 3],
                                                                                              [2, 3, 4, 2]],
                                              "capacities": [6, 6]}), 14),
        Case(make_instance("gap", "gap-max", {"costs": [[6, 9, 4, 2], [5, 3, 8, 7]], "weights": [[3, 4, 2, 3],
                                                                                              [2, 3, 4, 2]],
                                              "capacities": [7, 7], "sense": "max"}), 30),
        Case(make_instance("gap", "gap-no-agent-fits", {"costs": [[1, 2], [3, 4]], "weights": [[1, 9], [1, 9]],
                                                        "capacities": [5, 5]}), None, ("infeasible",)),
        Case(make_instance("makespan", "makespan-small", {"times": [[4, 2, 7, None], [3, 6, 2, 5], [None, 3, 3, 4]]}),
             5),
        Case(make_instance("makespan", "makespan-no-machine", {"times": [[1, None], [2, None]]}), None,
             ("infeasible",)),
        Case(make_instance("routing", "routing-small", {
            "quality": [[9, 6, 2], [8, 7, 3], [5, 5, 4], [7, 2, 1]], "cost": [[5, 2, 1], [6, 3, 1], [4, 2, 0], [5, 1, 1]],
            "capacity": [2, 2, 4], "budget": 9}), 22),
        Case(make_instance("routing", "routing-over-capacity", {"quality": [[1, 2], [3, 4], [5, 6]],
                                                                "cost": [[1, 1], [1, 1], [1, 1]], "capacity": [1, 1],
                                                                "budget": 10}), None, ("infeasible",)),
        Case(make_instance("bmatching", "bmatching-small", {"weights": [[5, 4, None], [4, 3, 6], [None, 2, 1]],
                                                            "row_capacity": [1, 2, 1], "col_capacity": [1, 1, 2]}), 15),
        Case(make_instance("adwords", "adwords-small", {"bids": [[3, 2, None, 4], [2, None, 3, 3]],
                                                        "budgets": [5, 4]}), 9),
        Case(make_instance("tardiness", "smtt-small", {"processing_times": [5, 3, 8, 2, 6, 4, 7],
                                                       "due_dates": [10, 6, 20, 4, 15, 9, 18]}), 33),
        Case(make_instance("tardiness", "wt-small", {"processing_times": [5, 3, 8, 2, 6, 4, 7],
                                                     "due_dates": [10, 6, 20, 4, 15, 9, 18],
                                                     "weights": [3, 1, 4, 2, 5, 1, 2]}), 73),
        Case(make_instance("tardiness", "wt-negative-due", {"processing_times": [4, 9, 2, 6, 5],
                                                            "due_dates": [-3, 12, 5, 0, 20],
                                                            "weights": [2, 1, 3, 1, 2]}), 43),
        Case(make_instance("tardiness", "smtt-all-on-time", {"processing_times": [2, 3, 4], "due_dates": [20, 20, 20]}),
             0),
        Case(make_instance("bitalloc", "bits-infeasible", {"sizes": [4, 4], "sensitivity": [1, 2], "budget": 2,
                                                           "b_min": 2, "b_max": 4, "overhead_bits": 8}), None,
             ("infeasible",)),
    ]
    return out


def check(method: str, case: Case, *, time_limit: float = 60.0) -> list[str]:
    """Run one case; return the failed checks (empty when it conforms)."""
    from ..registry import get_method
    from ..solve import solve
    from ..status import SolutionStatus, Status

    m = get_method(method)
    r = solve(case.instance, m, time_limit=time_limit)
    who = f"{method} on {case.instance.name}"
    fails = []
    sense = case.instance.sense
    if case.optimum is None:
        if r.status != Status.INFEASIBLE:
            fails.append(f"{who}: status {r.status}, expected infeasible")
        if r.solution is not None:
            fails.append(f"{who}: returned a solution for an infeasible instance")
        return fails
    if r.solution is None:
        return [f"{who}: no solution (status {r.status}, {r.message})"]
    if r.solution_status == SolutionStatus.INFEASIBLE_POINT:
        if not m.extra.get("may_return_infeasible"):
            fails.append(f"{who}: returned an infeasible point")
        return fails
    opt = case.optimum
    if m.kind == "exact":
        if r.status != Status.OPTIMAL or r.solution_status != SolutionStatus.OPTIMAL:
            fails.append(f"{who}: status {r.status}/{r.solution_status}, expected optimal/optimal")
        if not values_equal(r.objective, opt):
            fails.append(f"{who}: objective {r.objective}, expected the optimum {opt}")
        if r.bound is None or not values_equal(r.bound, opt):
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
        if r.status == Status.OPTIMAL and not values_equal(r.objective, opt):
            fails.append(f"{who}: claims optimal at {r.objective}, optimum is {opt}")
    if r.gap is not None and r.bound is not None and r.gap != gap_of(r.objective, r.bound, sense):
        fails.append(f"{who}: gap {r.gap} is not the gap of objective and bound")
    return fails


def applicable(method: str) -> list[Case]:
    from ..registry import get_method

    m = get_method(method)
    excluded = set(m.extra.get("excludes", ()))
    return [c for c in cases() if m.accepts(c.problem) and not excluded & set(c.tags)]


def run_conformance(method: str) -> int:
    """Run every applicable case; raise ConformanceError listing failures. Returns the number of cases."""
    todo = applicable(method)
    if not todo:
        raise ConformanceError(f"{method}: no conformance case covers its problems; add one to "
                               f"optalloc.conformance.cases")
    fails = [f for c in todo for f in check(method, c)]
    if fails:
        raise ConformanceError("\n".join(fails))
    return len(todo)
