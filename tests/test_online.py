"""Online allocation: AdWords methods against brute force; stochastic-rewards LPs and simulation."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optalloc
from optalloc.families.matching.online import configuration_lp, generate, matching_lp, simulate


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3).flatmap(lambda m: st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=n, max_size=n), min_size=m, max_size=m),
    st.lists(st.integers(1, 15), min_size=m, max_size=m)))))
def test_adwords_offline_exact_and_online_below_with_lp_bound(case):
    bids, budgets = case
    B = np.array([[np.nan if x is None else x for x in r] for r in bids], dtype=float)
    m, n = B.shape
    inst = optalloc.make_instance("adwords", "a", {"bids": bids, "budgets": budgets})
    best = 0.0
    for a in map(np.array, itertools.product(range(-1, m), repeat=n)):
        q = np.flatnonzero(a >= 0)
        if not np.isnan(B[a[q], q]).any():
            best = max(best, np.minimum(np.bincount(a[q], weights=B[a[q], q], minlength=m), budgets).sum())
    assert optalloc.solve(inst, "adwords.mip").objective == pytest.approx(best)
    for h in ("adwords.greedy", "adwords.msvv"):
        r = optalloc.solve(inst, h)
        assert r.objective <= best + 1e-9 and r.bound >= best - 1e-6


@pytest.mark.parametrize("kind,p", [("random", 0.5), ("vanishing", 0.1), ("triangular", 0.2)])
@pytest.mark.parametrize("seed", [0, 1])
def test_configuration_lp_column_generation_matches_enumeration(kind, p, seed):
    inst = generate(kind, 6, 8, p=p, degree=3, seed=seed)
    cg = configuration_lp(inst)
    en = configuration_lp(inst, method="enumerate")
    assert cg["value"] == pytest.approx(en["value"], abs=1e-7)
    assert cg["value"] <= matching_lp(inst) + 1e-9  # the configuration LP is the tighter benchmark
    # the Lagrangian bound from the last pricing round bounds the value and meets it at convergence
    assert cg["value"] - 1e-9 <= cg["bound"] <= cg["value"] + 1e-6


def test_simulation_reports_ratios_with_confidence_intervals():
    inst = generate("vanishing", 5, 100, p=0.02, degree=3, seed=2)  # column generation stays under 3 s
    lp, conf = matching_lp(inst), configuration_lp(inst)["value"]
    res = {a: simulate(inst, a, runs=60, seed=1, lp_values=(lp, conf))
           for a in ("greedy", "ranking", "balance", "stochastic_balance")}
    for r in res.values():
        lo, hi = r["ci95"]
        assert lo <= r["mean"] <= hi
        assert lo <= lp  # the matching LP bounds every algorithm (up to sampling noise)
        assert r["ratio_matching_lp"] <= r["ratio_configuration_lp"] + 1e-12  # since conf <= matching LP
    with pytest.raises(optalloc.InstanceError, match="must be greedy, ranking, balance or stochastic_balance"):
        simulate(inst, "random", runs=2)


def test_bad_probability():
    from optalloc.families.matching.online import StochasticInstance

    with pytest.raises(optalloc.InstanceError, match=r"p\[0\]\[1\]: must be a probability in \[0, 1\], got 1.5"):
        StochasticInstance(np.array([[0.2, 1.5]]))
