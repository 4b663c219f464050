"""Anytime traces and the reports built on them: every method's Result carries its trace, checked against
the certified answer; a run counts as solved only when proven or within the stated tolerance of the reference;
the primal integral and the gap-over-time curves are computed from the traces."""
import json
import math

import pytest

from optalloc import load, solve
from optalloc.bench.report import gap_curves, gap_table, performance_ratios, primal_integrals, provenance, solved
from optalloc.errors import VerificationError
from optalloc.registry import Method
from optalloc.result import Outcome
from optalloc.status import Status
from optalloc import trace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WT40 = load(ROOT / "instances" / "tardiness" / "wt40.txt")
KNAP = load(ROOT / "instances" / "knapsack" / "demo.jsonl")


def _well_formed(tr, sense, result):
    assert tr and all(len(p) == 3 for p in tr)
    times = [p[0] for p in tr]
    assert times == sorted(times) and times[-1] <= result.time + 1e-6
    objs = [p[1] for p in tr if p[1] is not None]
    bounds = [p[2] for p in tr if p[2] is not None]
    sign = 1 if sense == "max" else -1
    assert all(sign * (b - a) >= 0 for a, b in zip(objs, objs[1:]))  # incumbents only improve
    assert all(sign * (a - b) >= 0 for a, b in zip(bounds, bounds[1:]))  # bounds only tighten
    assert tr[-1][1] == result.objective and tr[-1][2] == result.bound  # the last point is the answer


@pytest.mark.parametrize("method", ["tardiness.dp", "tardiness.iterated_dynasearch", "tardiness.mddc",
                                    "tardiness.mip_ordering", "tardiness.cpsat"])
def test_tardiness_methods_carry_their_trace(method):
    r = solve(WT40[20], method, time_limit=10)
    _well_formed(r.trace, "min", r)
    assert json.loads(r.to_json(full=True))["trace"] == r.trace
    if method in ("tardiness.dp", "tardiness.iterated_dynasearch", "tardiness.mip_ordering"):
        assert len(r.trace) >= 2  # an incumbent before the answer


@pytest.mark.parametrize("method", ["knapsack.dp", "knapsack.mip", "knapsack.cpsat", "knapsack.greedy"])
def test_knapsack_methods_carry_their_trace(method):
    r = solve(KNAP[5], method, time_limit=10)
    _well_formed(r.trace, "max", r)
    if method == "knapsack.dp":
        assert r.trace[0][1] < r.objective or len(r.trace) >= 2  # the greedy answer came first


def _recording_method(points, answer):
    def run(instance, options, deadline):
        for obj, bnd in points:
            trace.record(objective=obj, bound=bnd)
        seq = sorted(range(instance.data.n), key=lambda j: instance.data.d[j])
        return Outcome(Status.COMPLETED, {"sequence": seq}, None, answer)
    return Method("testdouble.traced", ("tardiness",), "heuristic", "optalloc", run, "records a given trace")


def test_a_trace_that_contradicts_the_answer_is_a_verification_error():
    inst = WT40[0]
    edd = solve(inst, "tardiness.edd")
    lb = edd.bound
    ok = solve(inst, _recording_method([(edd.objective + 5, None), (None, lb - 1)], lb))
    assert [p[1] for p in ok.trace] == [edd.objective + 5, edd.objective + 5, edd.objective]
    with pytest.raises(VerificationError, match="better than the answer"):
        solve(inst, _recording_method([(edd.objective - 1, None)], lb))
    with pytest.raises(VerificationError, match="beyond the answer's objective"):
        solve(inst, _recording_method([(None, edd.objective + 1)], None))


def _row(**kw):
    base = dict(key="k", suite="s", position="f#0", method="m.h", kind="heuristic", status="completed",
                solution_status="feasible", objective=150.0, bound=None, gap=None, reference_value=100.0,
                reference_kind="optimal", reference_gap=0.5, reference_verdict="missed", time=1.0, sense="min",
                options=json.dumps({"time_limit": 10.0}), trace=json.dumps([[1.0, 150.0, None]]))
    base.update(kw)
    return base


def test_a_heuristic_fifty_percent_off_has_not_solved():
    far = _row()
    exact = _row(key="e", method="m.x", kind="exact", status="optimal", solution_status="optimal", objective=100.0,
                 bound=100.0, gap=0.0, reference_gap=0.0, reference_verdict="reproduced", time=2.0,
                 trace=json.dumps([[0.5, 120.0, 90.0], [2.0, 100.0, 100.0]]))
    close = _row(key="c", method="m.c", objective=100.005, reference_gap=5e-5, trace=json.dumps([[0.2, 100.005, None]]))
    bad = _row(key="b", method="m.b", solution_status="infeasible_point", objective=90.0, reference_gap=None)
    assert not solved(far) and solved(exact) and solved(close) and not solved(bad)
    assert not solved(close, tolerance=1e-5)
    ratios = performance_ratios([far, exact, close, bad])
    assert ratios == {"m.b": [math.inf], "m.c": [1.0], "m.h": [math.inf], "m.x": [2.0]}
    table = {r[1]: r for r in gap_table([far, exact, close, bad])}
    assert table["m.h"][4:9] == ["0", "1", "0", "0", "0"]  # errors, with solution, infeasible points, proven, solved
    assert table["m.b"][4:9] == ["0", "0", "1", "0", "0"]
    assert table["m.x"][4:9] == ["0", "1", "0", "1", "1"]
    # primal integrals over the horizon of 10 s: no solution until 1 s (1 x 1 s), then 50/150 for 9 s
    pis = primal_integrals([far, exact, close, bad])
    assert pis["k"] == pytest.approx(1.0 + 9 * 50 / 150)
    assert pis["e"] == pytest.approx(0.5 + 1.5 * 20 / 120)
    assert pis["c"] == pytest.approx(0.2 + 9.8 * 0.005 / 100.005)
    assert pis["b"] == pytest.approx(10.0)  # an infeasible point is not an incumbent
    grid, curves = gap_curves([far, exact])
    assert curves["m.x"][-1] == 0.0 and curves["m.h"][-1] == pytest.approx(100 * 50 / 150)
    assert curves["m.h"][0] == 100.0


def test_provenance_names_each_version_once():
    rows = [_row(optalloc_version="0.1.0", backend="highs", backend_version="1.16.0", host="h", machine="x",
                 python="3.11"),
            _row(optalloc_version="0.1.0", backend="numba", backend_version="0.60", host="h", machine="x",
                 python="3.11")]
    assert provenance(rows) == ["optalloc 0.1.0", "backends: highs 1.16.0, numba 0.60", "machine h: x, Python 3.11"]


def test_a_profile_counts_the_instances_a_method_did_not_run_as_unsolved():
    """The share is over the suite's instances: a method that cannot take an instance (another kind) has not
    solved it (knapsack.dp's profile reached 1.0 on a suite whose MKP instances it cannot take)."""
    a = _row(key="a", position="f#0", method="m.x", kind="exact", status="optimal", solution_status="optimal",
             objective=100.0, reference_gap=0.0, time=1.0)
    b = _row(key="b", position="f#1", method="m.y", kind="exact", status="optimal", solution_status="optimal",
             objective=100.0, reference_gap=0.0, time=1.0)
    assert performance_ratios([a, b]) == {"m.x": [1.0, math.inf], "m.y": [math.inf, 1.0]}
