"""Assignment and GAP: OR-Library optima, both senses, readers, bad input."""
import csv
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optalloc
from optalloc.cli import main
from optalloc.errors import FormatError
from optalloc.instances.readers import read, write
from optalloc.families.matching.readers import read_orlib_gap


def test_all_twelve_orlib_assignment_optima(shared_data):
    rows = list(csv.DictReader(open(shared_data / "matching/assign/assign_values.csv")))
    assert len(rows) == 12
    for row in rows:
        (inst,) = read("orlib-assign", shared_data / "matching" / row["file"])
        r = optalloc.solve(inst, "assignment.lapjv")
        assert str(r.status) == "optimal" and r.objective == int(row["optimum"]), row["file"]
        assert r.reference["verdict"] == "reproduced"


def test_assignment_lp_is_integral_and_agrees(shared_data):
    (inst,) = read("orlib-assign", shared_data / "matching/assign/assign200.txt")
    lp = optalloc.solve(inst, "assignment.lp")
    assert str(lp.status) == "optimal" and lp.objective == 475


@pytest.mark.parametrize("k", [1, 4, 7, 12])
@pytest.mark.parametrize("sense", ["max", "min"])
def test_orlib_gap_optima_both_senses(shared_data, k, sense):
    for inst in read_orlib_gap(shared_data / f"matching/gap/orlib/gap{k}.txt", sense=sense)[:2]:
        r = optalloc.solve(inst, "gap.mip", time_limit=60)
        assert str(r.status) == "optimal" and r.reference["verdict"] == "reproduced", (inst.name, r.summary())
        h = optalloc.solve(inst, "gap.regret")
        assert h.has_solution  # a heuristic is never better than the optimum, and its LP bound holds
        assert (h.objective <= r.objective) if sense == "max" else (h.objective >= r.objective)
        assert (h.bound >= r.objective - 1e-6) if sense == "max" else (h.bound <= r.objective + 1e-6)


def test_gap_readers_round_trip(shared_data, tmp_path):
    insts = read("orlib-gap", shared_data / "matching/gap/orlib/gapa.txt")
    assert [i.reference.value for i in insts] == [1698, 3235, 1360, 2623, 1158, 2339] and insts[0].sense == "min"
    write("orlib-gap", insts, tmp_path / "g.txt")
    again = read_orlib_gap(tmp_path / "g.txt", sense="min")  # the format carries no sense; the name gapa..d does
    assert [i.to_dict()["data"] for i in again] == [i.to_dict()["data"] for i in insts]
    (y,) = read("yagiura-gap", shared_data / "matching/gap/yagiura/d10400")
    assert (y.data.m, y.data.n, y.sense, y.reference.value) == (10, 400, "min", 24961)


costs = st.integers(1, 5).flatmap(lambda m: st.integers(m, 6).flatmap(lambda n: st.lists(
    st.lists(st.one_of(st.none(), st.integers(-20, 50)), min_size=n, max_size=n), min_size=m, max_size=m)))


@settings(max_examples=80, deadline=None)
@given(costs, st.sampled_from(["min", "max"]))
def test_lapjv_and_lp_agree_or_both_say_infeasible(C, sense):
    inst = optalloc.make_instance("assignment", "h", {"costs": C, "sense": sense})
    a = optalloc.solve(inst, "assignment.lapjv")
    b = optalloc.solve(inst, "assignment.lp")
    assert str(a.status) == str(b.status)
    if str(a.status) == "optimal":
        assert a.objective == pytest.approx(b.objective)


def _solve_file(write_json, doc):
    return main(["solve", str(write_json(doc)), "--json"])


def test_nan_cost_is_bad_input():
    with pytest.raises(optalloc.InstanceError, match=r"data.costs\[0\]\[1\]: must be a finite number or null "
                                                     r"\(forbidden pair\), got nan"):
        optalloc.make_instance("assignment", "n", {"costs": [[1.0, float("nan")], [2.0, 3.0]]})


def test_negative_capacity_is_exit_2(write_json, capsys):
    doc = {"problem": "gap", "name": "g", "data": {"costs": [[1, 2]], "weights": [[1, 1]], "capacities": [-3]}}
    assert _solve_file(write_json, doc) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "data.capacities[0]: must be a non-negative finite number, got -3" in err


def test_job_that_fits_no_agent_is_infeasible_exit_1(write_json, capsys):
    doc = {"problem": "gap", "name": "g", "data": {"costs": [[1, 2], [3, 4]], "weights": [[1, 9], [1, 9]],
                                                   "capacities": [5, 5]}}
    code = main(["solve", str(write_json(doc)), "--method", "gap.regret", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 or code == 1
    assert out["status"] == "infeasible" and out["solution"] is None


def test_truncated_orlib_file_is_exit_2(tmp_path, capsys, shared_data):
    text = (shared_data / "matching/gap/orlib/gap1.txt").read_text()
    bad = tmp_path / "gap1.txt"
    bad.write_text(text[: len(text) // 2])
    assert main(["convert", "--from", "orlib-gap", str(bad), str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "truncated" in err
    bad.write_text(" 5\n 1 2 3 4\n")  # neither 25 dense costs nor whole 'i j cost' triples
    with pytest.raises(FormatError, match="truncated"):
        read("orlib-assign", bad)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 3).flatmap(lambda m: st.integers(2, 6).flatmap(lambda n: st.lists(
    st.lists(st.one_of(st.none(), st.integers(1, 20)), min_size=n, max_size=n), min_size=m, max_size=m))))
def test_makespan_methods_against_brute_force(times):
    import itertools

    T = np.array([[np.nan if x is None else x for x in row] for row in times], dtype=float)
    m, n = T.shape
    inst = optalloc.make_instance("makespan", "t", {"times": times})
    feasible = [a for a in map(np.array, itertools.product(range(m), repeat=n))
                if not np.isnan(T[a, np.arange(n)]).any()]
    if not feasible:
        assert str(optalloc.solve(inst, "makespan.mip").status) == "infeasible"
        return
    best = min(np.bincount(a, weights=T[a, np.arange(n)], minlength=m).max() for a in feasible)
    assert optalloc.solve(inst, "makespan.mip").objective == pytest.approx(best)
    lr = optalloc.solve(inst, "makespan.lp_round")
    assert lr.bound <= best + 1e-6 and best <= lr.objective <= 2 * lr.extra["lp_threshold"] + 1e-6
    g = optalloc.solve(inst, "makespan.greedy")
    assert g.bound <= best + 1e-9 <= g.objective + 2e-9


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5).flatmap(lambda Q: st.integers(1, 3).flatmap(lambda K: st.tuples(
    st.lists(st.lists(st.integers(0, 20), min_size=K, max_size=K), min_size=Q, max_size=Q),
    st.lists(st.lists(st.integers(0, 9), min_size=K, max_size=K), min_size=Q, max_size=Q),
    st.lists(st.integers(1, Q), min_size=K, max_size=K), st.integers(0, 30)))))
def test_routing_exact_and_lagrangian(case):
    import itertools

    q, c, cap, B = (np.array(case[0], float), np.array(case[1], float), np.array(case[2]), float(case[3]))
    Q, K = q.shape
    inst = optalloc.make_instance("routing", "r", {"quality": case[0], "cost": case[1], "capacity": case[2],
                                                   "budget": B})
    feasible = [a for a in map(np.array, itertools.product(range(K), repeat=Q))
                if (np.bincount(a, minlength=K) <= cap).all() and c[np.arange(Q), a].sum() <= B]
    m = optalloc.solve(inst, "routing.mip")
    h = optalloc.solve(inst, "routing.lagrangian")
    if not feasible:
        assert str(m.status) == "infeasible" and not h.has_solution
        return
    best = max(q[np.arange(Q), a].sum() for a in feasible)
    assert m.objective == best
    assert h.bound >= best - 1e-6 and (not h.has_solution or h.objective <= best)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3).flatmap(lambda m: st.integers(1, 3).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.one_of(st.none(), st.integers(-5, 20)), min_size=n, max_size=n), min_size=m, max_size=m),
    st.lists(st.integers(0, 2), min_size=m, max_size=m), st.lists(st.integers(0, 2), min_size=n, max_size=n)))))
def test_bmatching_lp_is_integral_and_optimal(case):
    import itertools

    W, rc, cc = case
    inst = optalloc.make_instance("bmatching", "b", {"weights": W, "row_capacity": rc, "col_capacity": cc})
    E = [(i, j) for i, row in enumerate(W) for j, w in enumerate(row) if w is not None]
    best = 0
    for mask in itertools.product((0, 1), repeat=len(E)):
        S = [e for e, b in zip(E, mask) if b]
        if all(sum(e[0] == i for e in S) <= rc[i] for i in range(len(rc))) and \
                all(sum(e[1] == j for e in S) <= cc[j] for j in range(len(cc))):
            best = max(best, sum(W[i][j] for i, j in S))
    r = optalloc.solve(inst, "bmatching.lp")
    assert str(r.status) == "optimal" and r.objective == best
    g = optalloc.solve(inst, "bmatching.greedy")
    assert g.objective <= best and g.bound >= best - 1e-9
