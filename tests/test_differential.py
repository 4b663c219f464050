"""Differential tests (issue 15): every method of every family against brute force on small random instances,
at tiny, mid and contract-limit magnitudes, through hypothesis; and the reproductions of false certificates."""
import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optalloc
from optalloc.conformance.differential import SCALES, brute_force, check_instance, fuzz_kinds, random_instance
from optalloc.errors import InstanceError
from optalloc.registry import all_methods

METHODS = [m for m in all_methods() if m.available() and m.backend != "pyomo+highs"]  # pyomo: see test_models


@pytest.mark.parametrize("kind", fuzz_kinds())
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1), scale=st.sampled_from(SCALES))
def test_every_method_agrees_with_brute_force(kind, seed, scale):
    inst = random_instance(kind, np.random.default_rng(seed), scale, name=f"{kind}-{scale}-{seed}")
    found = check_instance(inst, METHODS, time_limit=10)
    assert not found, "\n".join(map(str, found))


def test_brute_force_oracle_on_known_optimum():
    inst = optalloc.make_instance("knapsack", "t", {"values": [6, 10, 12], "weights": [1, 2, 3], "capacity": 5})
    assert brute_force(inst) == 22


# ------------------------------------------------------------------ the reproductions of issue 15
def test_memory_limit_keeps_a_valid_bound():
    """knapsack.dp stopped by its state budget used to report bound = incumbent (a false 'optimal')."""
    from optalloc.families.knapsack.generators import pisinger

    inst = pisinger(3, 100, 10**7, 1)  # optimum 23907447 (combo, shared optima index)
    r = optalloc.solve(inst, "knapsack.dp", backend_options={"max_states": 50, "max_nodes": 10**5})
    assert str(r.status) == "memory_limit" and str(r.solution_status) == "feasible"
    assert r.bound >= 23907447 > r.objective
    assert optalloc.solve(inst, "knapsack.dp").objective == 23907447


def test_mckp_memory_limit_keeps_a_valid_bound():
    inst = optalloc.make_instance("mckp", "m", {"values": [[0, 5000017, 9000011, 13000027]] * 12,
                                                "weights": [[0, 4000003, 8000009, 12000007]] * 12,
                                                "capacity": 50000000})
    opt = brute = None
    r = optalloc.solve(inst, "knapsack.dp", backend_options={"max_states": 3, "max_nodes": 100})
    opt = optalloc.solve(inst, "knapsack.cpsat", time_limit=30)
    assert str(opt.status) == "optimal"
    assert r.bound >= opt.objective >= r.objective
    if str(r.status) != "optimal":
        assert str(r.solution_status) == "feasible" and r.gap > 0 or r.objective == opt.objective


@pytest.mark.parametrize("problem,data,message", [
    ("knapsack", {"values": [1, 1], "weights": [5 * 10**18, 5 * 10**18], "capacity": 5 * 10**18},
     "data.weights: must sum to at most 2^53 = 9007199254740992 (the numeric contract: larger totals are not exact "
     "in every method's arithmetic), got 10000000000000000000"),
    ("tardiness", {"processing_times": [2**62] * 4, "due_dates": [0] * 4},
     "data.processing_times: must sum to at most 2^40 = 1099511627776 (the numeric contract: larger totals are not "
     "exact in every method's arithmetic), got 18446744073709551616"),
    ("bitalloc", {"sizes": [2**62, 64, 128], "budget": 4, "sensitivity": [1, 1, 1]},
     "data.sizes: must sum to at most 2^53 = 9007199254740992 (the numeric contract: larger totals are not exact in "
     "every method's arithmetic), got 4611686018427388096"),
    ("routing", {"quality": [[1e20, 1]], "cost": [[1, 1]], "capacity": [1, 1], "budget": 3},
     "data.quality[0][0]: must be at most 1e+09 in absolute value (the numeric contract of this problem kind), "
     "got 1e+20"),
    ("bmatching", {"weights": [[1e20, 1], [1, 1]]},
     "data.weights[0][0]: must be at most 1e+09 in absolute value (the numeric contract of this problem kind), "
     "got 1e+20"),
    ("adwords", {"bids": [[1e20, 1]], "budgets": [5]},
     "data.bids[0][0]: must be at most 1e+09 in absolute value (the numeric contract of this problem kind), got 1e+20"),
    ("gap", {"costs": [[10**15, 1]], "weights": [[1, 1]], "capacities": [5]},
     "data.costs[0][0]: must be at most 1e+09 in absolute value (the numeric contract of this problem kind), "
     "got 1000000000000000.0"),
])
def test_numeric_contract_is_enforced(problem, data, message):
    with pytest.raises(InstanceError) as e:
        optalloc.make_instance(problem, "x", data)
    assert str(e.value) == message


def test_float_weights_tardiness_mips_are_certified():
    """153.999998 != 154.0 used to abort compare with exit 3: HiGHS's tolerance is noise, not a bug."""
    inst = optalloc.make_instance("tardiness", "t5", {"processing_times": [8, 18, 13, 16, 4, 15],
                                                      "due_dates": [34, 26, 59, 3, 62, 71],
                                                      "weights": [3.5, 5, 8, 5, 10, 7]})
    for m in ("tardiness.mip_positional", "tardiness.mip_ordering", "tardiness.dp", "tardiness.cpsat"):
        r = optalloc.solve(inst, m, time_limit=30)
        assert str(r.status) == "optimal" and r.objective == 154.0, m


def test_bmatching_lp_at_a_limit_claims_no_bound():
    from optalloc.families.matching.generators import bmatching

    inst = bmatching(300, 300, density=0.5, seed=5)
    r = optalloc.solve(inst, "bmatching.lp", time_limit=0.0)
    if str(r.status) != "optimal":
        assert r.bound is None and str(r.solution_status) != "optimal"


def test_large_horizon_reports_memory_limit_not_a_crash():
    inst = optalloc.make_instance("tardiness", "big", {"processing_times": [2**36, 3 * 2**35, 2**37, 5],
                                                       "due_dates": [2**36, 0, 2**37, 9], "weights": [1, 2, 3, 4]})
    r = optalloc.solve(inst, "tardiness.dp", time_limit=10)
    assert str(r.status) == "memory_limit" and r.objective == 721554505758 and r.bound <= r.objective
    r = optalloc.solve(inst, "tardiness.mip_time_indexed", time_limit=10)
    assert str(r.status) == "memory_limit" and r.solution is None
    r = optalloc.solve(inst, "tardiness.atc", time_limit=10)
    # its bound is 16 below the optimum: a gap of 2e-11 is not zero, so this is not "optimal"
    assert str(r.status) == "completed" and r.objective == 721554505758 and 0 < r.gap < 1e-10


def test_gap_large_capacities_do_not_allocate_by_capacity():
    inst = optalloc.make_instance("gap", "g", {"costs": [[5, 9, 3], [4, 2, 8]],
                                               "weights": [[10**9, 10**9, 10**9], [10**9, 10**9, 10**9]],
                                               "capacities": [2 * 10**9, 2 * 10**9], "sense": "min"})
    for m in ("gap.lns", "gap.regret", "gap.lp_round", "gap.mip"):
        r = optalloc.solve(inst, m, time_limit=5)
        assert r.objective == 9 and r.bound <= 9, m


def test_verification_failure_keeps_other_rows(tmp_path):
    """A method whose answer fails verification gives that row status error, the others still run and are
    written, and the exit code is 3."""
    plugin = tmp_path / "liar.py"
    plugin.write_text(
        "from optalloc.registry import Method, register\n"
        "from optalloc.result import Outcome\n"
        "from optalloc.status import Status\n"
        "def run(instance, options, deadline):\n"
        "    return Outcome(Status.OPTIMAL, {'items': [0]}, 999, 999, 'lie')\n"
        "register(Method('liar.kp', ('knapsack',), 'exact', 'optalloc', run, 'claims 999'))\n")
    f = tmp_path / "k.jsonl"
    f.write_text("".join(json.dumps({"problem": "knapsack", "name": f"k{i}", "data": {
        "values": [6, 10, 12], "weights": [1, 2, 3], "capacity": 5}}) + "\n" for i in range(2)))
    out = tmp_path / "out.jsonl"
    code = ("import sys, runpy; sys.path.insert(0, %r); import liar; from optalloc.cli import main; "
            "sys.exit(main(['compare', %r, '--methods', 'liar.kp,knapsack.dp', '--json', '--output', %r]))"
            % (str(tmp_path), str(f), str(out)))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 3, p.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(r["method"], r["status"]) for r in rows] == [("liar.kp", "error"), ("knapsack.dp", "optimal")] * 2
    assert "reported objective 999 but the solution's recomputed objective is 6" in rows[0]["message"]


def test_cpsat_refuses_coefficients_it_gets_wrong():
    """Found by make fuzz: CP-SAT 9.15 proved 3773952855409084 optimal; brute force gives 3977292436358689."""
    from optalloc.errors import UnsupportedProblemError

    d = {"values": [528513183591316, 698844081116740, 151136301068087, 761074389038659, 557734808089054,
                    937111387766729, 933952476437413, 646310101999148],
         "weights": [[1065644988192927, 258468023361675, 662196110182653, 1101511256473647, 616079295195340,
                      669618624163147, 205731226557527, 326912336331112]], "capacities": [2659004662362015]}
    inst = optalloc.make_instance("mkp", "m", d)
    assert brute_force(inst) == 3977292436358689
    with pytest.raises(UnsupportedProblemError, match="beyond what CP-SAT solves exactly"):
        optalloc.solve(inst, "knapsack.cpsat")
    k = optalloc.make_instance("knapsack", "k", {"values": d["values"], "weights": d["weights"][0],
                                                 "capacity": d["capacities"][0]})
    r = optalloc.solve(k, "knapsack.dp")
    assert str(r.status) == "optimal" and r.objective == 3977292436358689


def test_tardiness_mip_within_highs_tolerance_is_optimal():
    """Found by make fuzz: HiGHS's optimum within its own tolerance was reported as gap_limit."""
    inst = optalloc.make_instance("tardiness", "t", {"processing_times": [8, 10, 5, 8, 7, 3],
                                                     "due_dates": [-4, 2, 33, 34, -1, 6],
                                                     "weights": [1, 3, 4, 3, 2, 8]})
    opt = brute_force(inst)
    for m in ("tardiness.mip_positional", "tardiness.mip_ordering", "tardiness.dp", "tardiness.cpsat"):
        r = optalloc.solve(inst, m, time_limit=30)
        assert str(r.status) == "optimal" and r.objective == opt, (m, r.status)
