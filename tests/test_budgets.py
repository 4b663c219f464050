"""optalloc.budgets: the ML budget builders against brute force, their one-line errors, the papers' rules within
budget, the value curve, and the decoder's KV cache they are judged with."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from optalloc import budgets
from optalloc.errors import InstanceError
from optalloc.families.bitalloc.decoder import Decoder, KVCache, bundled_decoder, kept_keys


def _brute(curves: dict, cost: dict, budget: float, score=lambda v: v):
    best = None
    units = list(curves)
    for combo in itertools.product(*[list(curves[u]) for u in units]):
        if sum(cost[u](lv) for u, lv in zip(units, combo)) <= budget + 1e-9:
            v = sum(score(curves[u][lv]) for u, lv in zip(units, combo))
            best = v if best is None else max(best, v)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_kv_cache_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    heads = {f"h{i}": dict(zip([8, 12, 16, 24], np.sort(rng.uniform(0.3, 1.0, 4)))) for i in range(4)}
    budget = int(rng.integers(32, 96))
    plan = budgets.kv_cache(heads, budget, minimum=8)
    best = _brute(heads, {h: (lambda s: s) for h in heads}, budget)
    assert str(plan.status) == "optimal" and plan.value == pytest.approx(best, abs=1e-9)
    assert plan.table["level"].sum() <= budget
    assert budgets.kv_uniform(heads, budget)["size"].sum() <= budget
    het = {h: float(rng.random()) for h in heads}
    assert budgets.kv_task_kv(heads, budget, het, minimum=8)["size"].sum() <= budget


@pytest.mark.parametrize("seed", range(6))
def test_test_time_compute_maximises_the_pipelines_success(seed):
    rng = np.random.default_rng(seed)
    curves = {f"s{i}": {n: float(a) for n, a in zip((1, 2, 4, 8), np.sort(rng.uniform(0.05, 1.0, 4)))}
              for i in range(3)}
    cost = {s: float(rng.integers(1, 4)) for s in curves}
    budget = float(rng.integers(6, 40))
    plan = budgets.test_time_compute(curves, budget, cost=cost)
    best = _brute(curves, {s: (lambda n, c=cost[s]: c * n) for s in curves}, budget, score=np.log)
    if best is None:
        assert str(plan.status) == "infeasible"
        return
    assert str(plan.status) == "optimal" and plan.value == pytest.approx(best, abs=1e-9)
    greedy = budgets.agentts_greedy(curves, budget, cost=cost)
    assert sum(cost[s] * n for s, n in greedy.values) <= budget
    assert np.log([curves[s][n] for s, n in greedy.values]).sum() <= plan.value + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_icl_examples_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    curves = {f"q{i}": {k: float(a) for k, a in enumerate(np.sort(rng.uniform(0, 1, 4)))} for i in range(4)}
    tokens = {q: int(rng.integers(1, 5)) for q in curves}
    budget = int(rng.integers(0, 30))
    plan = budgets.icl_examples(curves, budget, tokens=tokens)
    best = _brute(curves, {q: (lambda k, t=tokens[q]: t * k) for q in curves}, budget)
    assert str(plan.status) == "optimal" and plan.value == pytest.approx(best, abs=1e-9)
    fixed = budgets.icl_fixed(curves, budget, tokens=tokens)
    assert sum(tokens[q] * k for q, k in fixed.values) <= budget


def test_measurements_are_checked_in_one_line():
    cases = [
        (lambda: budgets.kv_cache({"h0": {8: 0.9, 16: 0.8}}, 40), "retention: head 'h0': kept falls from 0.9 at size 8 "
         "to 0.8 at 16; a larger cache keeps at least what a smaller one does"),
        (lambda: budgets.kv_cache({"h0": {8: 1.2}}, 40), "retention: head 'h0': kept 1.2 at size 8 is outside [0, 1]"),
        (lambda: budgets.kv_cache({"h0": {7.5: 0.2}}, 40), "retention: head 'h0': size 7.5 is not a whole number >= 1"),
        (lambda: budgets.kv_cache({"h0": {8: 0.5}, "h1": {4: 0.5}}, 40, minimum=8),
         "retention: head 'h1' has no size of at least minimum 8"),
        (lambda: budgets.test_time_compute({"plan": {1: 0.0, 2: 0.5}}, 10),
         "curves: stage 'plan': accuracy 0 at samples 1 is outside (0, 1]"),
        (lambda: budgets.test_time_compute({"plan": {1: 0.5}}, 10, cost={"code": 1}), "cost: no cost for 'plan'"),
        (lambda: budgets.icl_examples(pd.DataFrame({"query": ["a"], "shots": [1], "accuracy": [0.5]}), 10),
         "curves: the table has no column 'examples' (it has query, shots, accuracy)"),
        (lambda: budgets.icl_examples({"a": {1: "x"}}, 10), "curves: query 'a': accuracy 'x' is not a number"),
    ]
    for call, message in cases:
        with pytest.raises(InstanceError) as e:
            call()
        assert str(e.value) == message


def test_value_curve_rises_with_the_budget():
    curves = {f"q{i}": {k: 1 - 0.5 ** (k + i) for k in range(5)} for i in range(3)}
    curve = budgets.value_curve(lambda b: budgets.icl_examples(curves, b, tokens=2), range(0, 25, 4))
    assert list(curve["budget"]) == list(range(0, 25, 4))
    assert (curve["status"] == "optimal").all() and curve["value"].is_monotonic_increasing
    assert curve["value"].iloc[-1] == pytest.approx(3 - sum(0.5 ** (4 + i) for i in range(3)))


def test_kept_keys_and_the_decoders_kv_cache():
    p = np.tril(np.ones((6, 6)))
    p[5] = [0.05, 0.4, 0.05, 0.3, 0.1, 0.1]
    keep = kept_keys(p, 4, sink=1, recent=2)
    assert keep[5].tolist() == [True, True, False, False, True, True]  # sink 0, recent 4-5, then the largest: 1
    assert keep[2].tolist() == [True, True, True, False, False, False]  # 3 keys available: all kept
    dec = Decoder(bundled_decoder())
    ids = dec.tokenizer.encode("The weather forecast predicts sunshine for the whole week.")
    full = dec.logits(ids)
    assert np.allclose(dec.logits(ids, cache=KVCache({(0, 0): 1000})), full)
    small = dec.logits(ids, cache=KVCache({(layer, g): 8 for layer in range(3) for g in range(2)}))
    assert np.allclose(small[:8], full[:8], atol=1e-5) and not np.allclose(small[20:], full[20:], atol=1e-3)
