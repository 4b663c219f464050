"""One formulation, two builds: the Pyomo model and the vectorised arrays are equal, and export works."""
import pytest

import optalloc
from optalloc.conformance import cases
from optalloc.problems import get_problem
from optalloc.families.knapsack import models as km
from optalloc.models.linear import from_pyomo



def _case(name):
    return next(c for c in cases() if c.instance.name == name)

@pytest.mark.parametrize("case", [c for c in cases() if (c.problem != "knapsack" or c.instance.data.n < 60)
                                  and get_problem(c.problem).formulation is not None  # the kind declares one
                                  and not (c.problem in ("assignment", "makespan") and "infeasible" in c.tags)],
                         ids=lambda c: c.instance.name)
def test_pyomo_and_vectorised_builds_are_equal(case):
    from optalloc.models import formulation_of

    f = formulation_of(case.problem)
    vec = f.arrays(case.instance)
    pyo_lm, _ = from_pyomo(f.mip(case.instance))
    assert pyo_lm.canonical() == vec.canonical()


def test_user_can_change_the_pyomo_model_and_solve_it_through_optalloc():
    import pyomo.environ as pyo

    from optalloc.families.knapsack.runs import run_pyomo
    from optalloc.options import SolveOptions

    inst = _case("kp-tiny").instance  # values 6, 10, 12; weights 1, 2, 3; capacity 5 -> optimum {1, 2} = 22
    m = km.mip(inst)
    m.no_item_2 = pyo.Constraint(expr=m.x[2] == 0)  # a side rule the notebook user adds
    out = run_pyomo(inst, SolveOptions(), SolveOptions().deadline(), model=m)
    assert out.solution == {"items": [0, 1]} and out.objective == 16
    assert pyo.value(m.x[0]) == 1 and pyo.value(m.x[2]) == 0


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_export(tmp_path, suffix):
    inst = [c for c in cases() if c.instance.name == "mckp-ties"][0].instance
    path = tmp_path / f"m{suffix}"
    km.arrays(inst).write(str(path))
    text = path.read_text()
    assert "capacity" in text and "choose_0" in text and "tie_0_1_2" in text
    with pytest.raises(optalloc.OptallocError, match="already exists"):
        km.arrays(inst).write(str(path))


def test_cpsat_scales_decimal_values():
    inst = [c for c in cases() if c.instance.name == "kp-real-values"][0].instance
    r = optalloc.solve(inst, "knapsack.cpsat")
    assert r.objective == pytest.approx(4.625) and str(r.status) == "optimal"


@pytest.mark.parametrize("method,marker", [("knapsack.mip", "HiGHS"), ("knapsack.cpsat", "CP-SAT")])
def test_backend_logs_go_to_the_log_file(tmp_path, method, marker, capfd):
    inst = _case("kp-tiny").instance
    log = tmp_path / "solver.log"
    r = optalloc.solve(inst, method, log_file=str(log))
    assert str(r.status) == "optimal" and marker in log.read_text()
    assert marker not in capfd.readouterr().out  # not verbose: nothing on stdout
