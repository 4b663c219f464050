"""Every registered method runs the conformance suite; a guard fails when a method escapes it."""
import itertools

import numpy as np
import pytest

import optalloc
from optalloc.conformance import cases, check, run_conformance
from optalloc.registry import all_methods

METHODS = [m.name for m in all_methods()]



def _case(name):
    return next(c for c in cases() if c.instance.name == name)

@pytest.mark.parametrize("method", METHODS)
def test_method_conforms(method):
    m = optalloc.get_method(method)
    if not m.available():
        pytest.skip(f"{method} needs {', '.join(m.missing())}")
    assert run_conformance(method) > 0


def test_guard_every_method_and_problem_is_covered():
    covered = {c.problem for c in cases()}
    for m in all_methods():
        missing = set(m.problems) - covered
        assert not missing, f"{m.name} solves {missing} but no conformance case covers it"
    assert set(METHODS) == {m.name for m in all_methods()}, "a method was registered after collection"


def test_guard_catches_a_method_without_cases():
    from optalloc.conformance import ConformanceError
    from optalloc.registry import Method, register, unregister

    register(Method("knapsack.orphan", ("problem_without_cases",), "exact", "test", lambda *a: None, "no cases"))
    try:
        with pytest.raises(ConformanceError, match="no conformance case covers its problems"):
            run_conformance("knapsack.orphan")
    finally:
        unregister("knapsack.orphan")


def test_case_optima_are_right():
    """The suite's own answers, re-derived by brute force."""
    for case in cases():
        d = case.instance.data
        p = case.problem
        if p == "knapsack" and d.n <= 16:
            best = max(d.values[list(s)].sum() if s else 0 for r in range(d.n + 1)
                       for s in itertools.combinations(range(d.n), r) if d.weights[list(s)].sum() <= d.capacity)
            assert best == pytest.approx(case.optimum), case.instance.name
        elif p == "mkp":
            best = 0
            for mask in itertools.product((0, 1), repeat=d.n):
                x = np.array(mask, bool)
                if (d.weights[:, x].sum(1) <= d.capacities).all():
                    best = max(best, d.values[x].sum())
            assert best == case.optimum
        elif p == "tardiness":
            best = min(d.cost(s) for s in itertools.permutations(range(d.n)))
            assert best == case.optimum, case.instance.name
        elif p == "linear_model":
            assert _model_optimum(d) == case.optimum, case.instance.name


def _model_optimum(lm):
    """Brute force for the small model cases: every integer point of the box (integer models), or every
    vertex of a 2-column LP (each pair of tight rows or bounds)."""
    from optalloc.families.model.problems import evaluate_point

    sign = 1 if lm.sense == "max" else -1
    if lm.integer.all():
        box = [range(int(a), int(b) + 1) for a, b in zip(lm.col_lo, lm.col_hi)]
        points = itertools.product(*box)
    else:
        assert lm.shape[1] == 2
        A = lm.A.toarray()
        faces = [(A[i], b) for i in range(lm.shape[0]) for b in (lm.row_lo[i], lm.row_hi[i]) if np.isfinite(b)]
        faces += [(np.eye(2)[j], b) for j in range(2) for b in (lm.col_lo[j], lm.col_hi[j]) if np.isfinite(b)]
        points = []
        for (a1, b1), (a2, b2) in itertools.combinations(faces, 2):
            M = np.array([a1, a2])
            if abs(np.linalg.det(M)) > 1e-12:
                points.append(np.linalg.solve(M, [b1, b2]).tolist())
    values = [ev.objective for ev in (evaluate_point(lm, list(x)) for x in points) if ev.feasible]
    return None if not values else sign * max(sign * v for v in values)


def test_a_lying_method_is_caught():
    """A test double that reports a wrong objective fails verification; it never passes as a result."""
    from optalloc.errors import VerificationError
    from optalloc.registry import Method, register, unregister
    from optalloc.result import Outcome
    from optalloc.status import Status

    def liar(inst, opts, deadline):
        return Outcome(Status.OPTIMAL, {"items": [0]}, objective=999.0, bound=999.0)

    register(Method("knapsack.liar", ("knapsack",), "exact", "test", liar, "wrong objective"))
    try:
        with pytest.raises(VerificationError, match="reported objective 999.0 but the solution's recomputed "
                                                    "objective is 6"):
            check("knapsack.liar", _case("kp-tiny"))
    finally:
        unregister("knapsack.liar")


def test_infeasible_and_optimal_claims_are_checked():
    from optalloc.errors import VerificationError
    from optalloc.registry import Method
    from optalloc.result import Outcome
    from optalloc.status import Status

    inst = _case("kp-tiny").instance
    over = Method("knapsack.over", ("knapsack",), "exact", "t",
                  lambda *a: Outcome(Status.OPTIMAL, {"items": [0, 1, 2]}), "overweight")
    with pytest.raises(VerificationError, match="infeasible solution: weight 6 exceeds capacity 5"):
        optalloc.solve(inst, over)
    gap = Method("knapsack.gap", ("knapsack",), "exact", "t",
                 lambda *a: Outcome(Status.OPTIMAL, {"items": [1, 2]}, bound=30), "open gap")
    with pytest.raises(VerificationError, match="claims optimal with gap"):
        optalloc.solve(inst, gap)
    cross = Method("knapsack.cross", ("knapsack",), "exact", "t",
                   lambda *a: Outcome(Status.TIME_LIMIT, {"items": [1, 2]}, bound=20), "bad bound")
    with pytest.raises(VerificationError, match="bound 20 crosses objective 22"):
        optalloc.solve(inst, cross)
