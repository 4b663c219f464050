"""Your own model, certified (optalloc.solve_model): a Pyomo model, a LinearModel or an .mps / .lp file is
certified against its own rows; a family's model changed by the user keeps speaking in the instance's terms."""
import json
import subprocess
import sys

import numpy as np
import pyomo.environ as pyo
import pytest

import optalloc
from optalloc.errors import UnsupportedProblemError, VerificationError

README = {"values": [6, 10, 12], "weights": [1, 2, 3], "capacity": 5}


def _readme():
    return optalloc.make_instance("knapsack", "demo", README, reference={"value": 22, "kind": "optimal",
                                                                           "source": "README"})


def test_unchanged_family_model_reproduces_the_reference():
    from optalloc.families.knapsack import models

    r = optalloc.solve_model(models.mip(_readme()))
    assert (str(r.status), r.objective, r.bound, r.gap) == ("optimal", 22, 22, 0.0)
    assert r.solution["items"] == [1, 2] and r.reference["verdict"] == "reproduced"
    assert r.extra["model_changed"] is False and r.problem == "linear_model"


def test_readme_knapsack_with_an_added_row():
    from optalloc.families.knapsack import models

    m = models.mip(_readme())
    m.extra = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    r = optalloc.solve_model(m)
    assert (str(r.status), r.objective, r.bound) == ("optimal", 18, 18)
    assert r.solution["items"] == [0, 2] and r.solution["x"] == [1.0, 0.0, 1.0]
    assert r.reference["verdict"] == "model_changed"  # never "contradicted": the reference is the instance's
    assert r.extra["model_changed"] and r.extra["base_optimum"] == 22 and r.extra["base_method"] == "knapsack.dp"
    assert [pyo.value(m.x[j]) for j in range(3)] == [1, 0, 1]  # the answer is in the user's model too
    cp = optalloc.solve_model(m, "model.cpsat")
    assert (str(cp.status), cp.objective, cp.solution["items"]) == ("optimal", 18, [0, 2])


def test_a_solution_that_breaks_the_added_row_is_rejected():
    from optalloc.families.knapsack import models
    from optalloc.registry import Method, register, unregister
    from optalloc.result import Outcome
    from optalloc.status import Status

    m = models.mip(_readme())
    m.extra = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    register(Method("model.liar", ("linear_model",), "exact", "test",
                    lambda inst, o, dl: Outcome(Status.OPTIMAL, {"x": [0, 1, 1]}, 22, 22), "ignores added rows"))
    try:
        with pytest.raises(VerificationError, match="returned an infeasible solution: row 'extra': activity 2.0 "
                                                    r"outside \[-inf, 1.0\] \(tolerance 0\)"):
            optalloc.solve_model(m, "model.liar")
    finally:
        unregister("model.liar")


def test_gap_with_a_forbidden_pair_is_certified_with_the_instance_optimum_as_bound():
    from optalloc.families.matching import generators, models

    inst = generators.gap(3, 12, "A", seed=2)
    base = optalloc.solve(inst, "gap.mip")
    m = models.mip(inst)
    i, j = next((a, b) for b, a in enumerate(base.solution["agent"]))  # the optimum's first pair
    m.x[i, j].fix(0)
    r = optalloc.solve_model(m)
    assert str(r.status) == "optimal" and r.solution["agent"][j] != i
    assert r.extra["base_optimum"] == base.objective and r.objective >= base.objective  # min: a restriction
    ev = inst.spec.evaluate(inst.data, {"agent": r.solution["agent"]})
    assert ev.feasible and ev.objective == r.objective


def test_tardiness_with_a_precedence_added():
    from optalloc.families.tardiness import generators, models

    inst = generators.potts_vw(6, 0.6, 0.4, weighted=True, seed=3)
    base = optalloc.solve(inst, "tardiness.dp")
    first = base.solution["sequence"][0]
    last = base.solution["sequence"][-1]
    m = models.positional_mip(inst)
    m.order = pyo.Constraint(expr=m.C[last] + int(inst.data.p[first]) <= m.C[first])  # last before first
    r = optalloc.solve_model(m, time_limit=60)
    seq = r.solution["sequence"]
    assert str(r.status) == "optimal" and seq.index(last) < seq.index(first)
    assert r.extra["base_optimum"] == base.objective and r.objective >= base.objective
    # the model's objective is a sum of continuous tardiness columns: equal to the schedule's up to HiGHS's noise
    assert r.objective == pytest.approx(inst.data.cost(seq), rel=1e-9) and r.reference is None


def test_bit_allocation_with_a_cap_on_one_group():
    from optalloc.families.bitalloc import models

    inst = optalloc.make_instance("bitalloc", "caps", {"sizes": [2, 2, 1, 3], "sensitivity": [8, 1, 4, 2],
                                                       "budget": 2.5, "b_min": 1, "b_max": 4})
    base = optalloc.solve(inst, "bitalloc.greedy")
    m = models.mip(inst)
    top = max(k for (g, k) in m.x if g == 0)
    m.x[0, top].fix(0)  # group 0 may not take its widest option
    r = optalloc.solve_model(m)
    assert str(r.status) == "optimal" and r.extra["base_optimum"] == pytest.approx(base.objective)
    assert r.objective >= base.objective - 1e-12


def test_linear_model_and_files_round_trip(tmp_path):
    from optalloc.families.knapsack.generators import pisinger
    from optalloc.families.knapsack.models import arrays

    inst = pisinger(3, 40, 1000, 7)
    exact = optalloc.solve(inst, "knapsack.dp").objective
    lm = arrays(inst)
    assert optalloc.solve_model(lm).objective == exact
    for suffix in (".mps", ".lp"):
        path = tmp_path / f"k{suffix}"
        lm.write(str(path))
        r = optalloc.solve_model(path)
        assert (str(r.status), r.objective, r.name) == ("optimal", exact, "k")


def test_export_then_solve_reproduces_the_optimum_for_every_family(tmp_path):
    """optalloc export, then optalloc solve FILE.mps, for an instance of every family."""
    from optalloc.families.knapsack.generators import pisinger
    from optalloc.families.matching.generators import gap
    from optalloc.families.tardiness.generators import potts_vw
    from optalloc.instances import save

    cases = [(pisinger(1, 30, 1000, 2), "knapsack.mip"), (gap(3, 10, "D", seed=1), "gap.mip"),
             (potts_vw(6, 0.6, 0.4, weighted=True, seed=2), "tardiness.mip_positional"),
             (optalloc.make_instance("bitalloc", "b", {"sizes": [2, 2, 1, 3], "sensitivity": [8, 1, 4, 2],
                                                      "budget": 2.5, "b_min": 1, "b_max": 4}), "bitalloc.mip")]
    for inst, method in cases:
        src = tmp_path / f"{inst.name}.json"
        save([inst], src)
        mps = tmp_path / f"{inst.name}.mps"
        p = subprocess.run([sys.executable, "-m", "optalloc", "export", str(src), str(mps), "-m", method],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        p = subprocess.run([sys.executable, "-m", "optalloc", "solve", str(mps), "--json"], capture_output=True,
                           text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        row = json.loads(p.stdout)
        expected = optalloc.solve(inst, method).objective
        # continuous columns (tardiness times) carry HiGHS's feasibility noise into the objective
        assert row["status"] == "optimal" and row["objective"] == pytest.approx(expected, rel=1e-6), inst.name


def test_bad_models_are_typed_errors(tmp_path):
    bad = tmp_path / "bad.mps"
    bad.write_text("NAME x\nROWS\n garbage here\n")
    p = subprocess.run([sys.executable, "-m", "optalloc", "solve", str(bad)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 2 and p.stderr.strip().splitlines() == [p.stderr.strip()]
    assert "bad.mps: file: is not a valid MPS model" in p.stderr
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.o = pyo.Objective(expr=m.x * m.x * m.x)
    with pytest.raises(UnsupportedProblemError, match="the objective is neither linear nor quadratic"):
        optalloc.solve_model(m)
    m.o.set_value(-m.x * m.x)  # quadratic, but not convex for a minimisation
    with pytest.raises(UnsupportedProblemError, match="the quadratic objective is not convex"):
        optalloc.solve_model(m)
    m.o.set_value((m.x - 0.25) * (m.x - 0.25))  # convex: HiGHS's QP solver, certified from Q
    r = optalloc.solve_model(m)
    assert r.status == "optimal" and r.objective == pytest.approx(0.0, abs=1e-9) and m.x.value == pytest.approx(0.25)
    with pytest.raises(UnsupportedProblemError, match="solve_model takes a Pyomo model"):
        optalloc.solve_model(42)


def test_cpsat_refuses_what_it_cannot_solve_exactly():
    from optalloc.models.linear import LinearModel
    import scipy.sparse as sp

    lm = LinearModel("max", np.array([1.0, 1.0]), sp.csr_matrix(np.array([[1.0, 1.0]])), np.array([-np.inf]),
                     np.array([1.5]), np.zeros(2), np.array([np.inf, np.inf]), np.array([True, False]))
    with pytest.raises(UnsupportedProblemError, match="model.cpsat solves integer models only"):
        optalloc.solve_model(lm, "model.cpsat")
    assert optalloc.solve_model(lm).objective == 1.5


def test_the_readme_python_examples_run():
    """The README's Python blocks, in order, in one namespace, as written (nothing defined for them)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["res"].objective == 18


def test_the_family_heuristic_is_a_mip_start_only_when_it_keeps_the_added_rows():
    from optalloc.families.knapsack import models

    inst = optalloc.make_instance("knapsack", "demo", README)
    assert optalloc.solve(inst, "knapsack.greedy").solution == {"items": [0, 1]}
    kept = models.mip(inst)
    kept.tier = pyo.Constraint(expr=kept.x[1] + kept.x[2] <= 1)  # {0, 1} keeps it: offered as the start
    r = optalloc.solve_model(kept)
    assert r.objective == 18 and r.extra["mip_start"] in ("knapsack.greedy", "knapsack.lp_round")
    broken = models.mip(inst)
    broken.tier = pyo.Constraint(expr=broken.x[0] + broken.x[1] <= 1)  # {0, 1} breaks it: no start
    r = optalloc.solve_model(broken)
    assert r.objective == 22 and "mip_start" not in r.extra


def test_a_tardiness_schedule_starts_the_positional_model():
    from optalloc.families.tardiness import generators, models

    inst = generators.potts_vw(8, 0.6, 0.4, weighted=True, seed=3)
    m = models.positional_mip(inst)
    m.horizon = pyo.Constraint(expr=m.C[0] <= 10**6)  # a row every schedule keeps
    r = optalloc.solve_model(m, time_limit=60)
    assert str(r.status) == "optimal" and r.extra["mip_start"].startswith("tardiness.")
    assert r.objective == pytest.approx(r.extra["base_optimum"], rel=1e-9)


def test_objective_steps_and_the_widened_bound():
    """The pruning margin is dropped only when every objective value is a whole number of steps larger than it."""
    import types

    from optalloc.solvers.highs import _widened, objective_granularity

    def model(c, integer=None):
        return types.SimpleNamespace(c=np.array(c, float), quadratic=False,
                                     integer=np.ones(len(c), bool) if integer is None else np.array(integer))

    assert objective_granularity(model([3, 5, -7])) == 1.0
    assert objective_granularity(model([8 * 4.0**-3, 4.0**-2, 3 * 4.0**-4])) == 2.0**-8  # 1/8, 1/16, 3/256
    assert objective_granularity(model([1, 2], [True, False])) == 0.0  # a costed continuous column: no step
    assert objective_granularity(model([0.1])) < 1e-16
    # min: HiGHS closed its gap at 10; a margin of 1e-9 leaves 10 - 1e-9, unless steps of 1/64 absorb it
    assert _widened(10.0, 10.0, 1e-9, 0.0, "min") == 10.0 - 1e-9
    assert _widened(10.0, 10.0, 1e-9, 2.0**-6, "min") == 10.0
    assert _widened(-5.0, -5.0, 1e-9, 0.0, "max") == -5.0 + 1e-9
    assert _widened(float("-inf"), 3.0, 1e-9, 0.0, "min") == float("-inf")
