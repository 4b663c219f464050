"""Seeded generators of the matching family: same arguments, same instance; each type's defining rules."""
import numpy as np
import pytest

import optalloc
from optalloc.cli import main
from optalloc.instances import load

from optalloc.families.matching import generators as gm


@pytest.mark.parametrize("name,args", [("assignment", (30,)), ("gap", (5, 30)), ("makespan", (4, 20)),
                                       ("routing", (25, 4)), ("bmatching", (8, 9)), ("adwords", (5, 25))])
def test_same_seed_same_instance_other_seed_other_instance(name, args):
    gen = getattr(gm, name)
    a, b, c = gen(*args, seed=7), gen(*args, seed=7), gen(*args, seed=8)
    assert a.to_dict()["data"] == b.to_dict()["data"] and a.to_dict()["data"] != c.to_dict()["data"]


def test_gap_types_follow_their_rules():
    d = gm.gap(10, 100, "D", seed=1).data
    e = d.costs - (111 - d.weights)
    assert d.weights.min() >= 1 and d.weights.max() <= 100 and np.abs(e).max() <= 10
    assert np.array_equal(d.capacities, np.floor(0.8 * d.weights.sum(axis=1) / 10))
    c = gm.gap(5, 50, "C", seed=1).data
    assert c.weights.min() >= 5 and c.weights.max() <= 25 and c.costs.min() >= 10 and c.costs.max() <= 50
    a, b = gm.gap(5, 50, "A", seed=1).data, gm.gap(5, 50, "B", seed=1).data
    assert (b.capacities == np.floor(0.7 * (9 * 10 + 0.4 * _cheapest_load(a)))).all()
    with pytest.raises(ValueError, match="kind must be one of A, B, C, D, E, got 'F'"):
        gm.gap(5, 10, "F")


def _cheapest_load(d):
    cheapest = d.costs.argmin(axis=0)
    return np.bincount(cheapest, weights=d.weights[cheapest, np.arange(d.n)], minlength=d.m).max()


def test_sparse_assignment_always_admits_a_complete_assignment():
    for seed in range(5):
        inst = gm.assignment(80, density=0.02, seed=seed)
        assert np.isfinite(inst.data.costs).mean() < 0.05
        assert str(optalloc.solve(inst, "assignment.lapjv").status) == "optimal"


def test_numpy_costs_are_checked_whole_array():
    with pytest.raises(optalloc.InstanceError) as e:
        optalloc.make_instance("assignment", "x", {"costs": np.array([[1.0, 2.0], [np.nan, 3.0]])})
    assert str(e.value) == "data.costs[1][0]: must be a finite number or null (forbidden pair), got nan"


def test_cli_generates_and_rejects_bad_arguments(tmp_path, capsys):
    out = tmp_path / "g.jsonl"
    assert main(["generate", "gap", str(out), "--m", "5", "--n", "20", "--kind", "E", "--count", "3"]) == 0
    insts = load(out)
    assert [i.name for i in insts] == ["e05020_s0", "e05020_s1", "e05020_s2"]
    with pytest.raises(SystemExit) as e:  # the flag's range is checked as the command line is parsed
        main(["generate", "assignment", str(tmp_path / "a.jsonl"), "--n", "10", "--density", "1.5"])
    assert e.value.code == 2
    assert "argument --density: must be a share in (0, 1], got '1.5'" in capsys.readouterr().err
