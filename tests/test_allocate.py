"""optalloc.allocate and `optalloc allocate`: one level per unit within a budget, certified; against brute force
on small tables, against HiGHS on larger ones, and the greedy path proven optimal on concave curves."""
from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import optalloc
from optalloc.errors import InstanceError, OptionError

ROOT = Path(__file__).resolve().parents[1]


def _table(seed: int, units: int, levels: int, *, budgets: int = 1, concave: bool = False, float_costs=False):
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(units):
        c = np.cumsum(rng.integers(0 if not concave else 1, 5, size=(budgets, levels)) if not concave
                      else np.ones((budgets, levels), dtype=int), axis=1)
        if float_costs:
            c = c + rng.uniform(0, 0.5, size=c.shape)
        gains = rng.uniform(0, 10, size=levels)
        v = np.cumsum(np.sort(gains)[::-1]) if concave else rng.uniform(-5, 10, size=levels)  # any shape
        for lv in range(levels):
            row = {"unit": f"u{u}", "level": lv, "value": float(v[lv])}
            row.update({("cost" if b == 0 else f"cost{b}"): c[b, lv].item() for b in range(budgets)})
            rows.append(row)
    return pd.DataFrame(rows)


def _brute(df, budgets, costs, sense="max"):
    groups = [g for _, g in df.groupby("unit", sort=False)]
    best = None
    for combo in itertools.product(*[range(len(g)) for g in groups]):
        picked = [g.iloc[i] for g, i in zip(groups, combo)]
        if all(sum(float(p[c]) for p in picked) <= b + 1e-9 for c, b in zip(costs, budgets)):
            v = sum(float(p["value"]) for p in picked)
            if best is None or (v > best if sense == "max" else v < best):
                best = v
    return best


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("sense", ["max", "min"])
def test_one_budget_against_brute_force(seed, sense):
    df = _table(seed, units=5, levels=4)
    budget = int(df.groupby("unit").cost.min().sum() + 3 + seed)
    plan = optalloc.allocate(df, budget, sense=sense)
    want = _brute(df, [budget], ["cost"], sense)
    assert str(plan.status) == "optimal" and plan.value == pytest.approx(want, abs=1e-9)
    # the bound in the table's terms (the knapsack's own is moved by a constant per unit), so the gap is 0
    assert plan.bound == pytest.approx(want, abs=1e-9) and plan.gap == 0
    assert plan.budget_used[0] <= budget and len(plan.table) == 5
    assert plan.table.value.sum() == pytest.approx(plan.value)


@pytest.mark.parametrize("seed", range(4))
def test_several_budgets_and_float_costs_against_brute_force(seed):
    df = _table(seed, units=4, levels=4, budgets=2, float_costs=seed % 2 == 1)
    budgets = [float(df.groupby("unit").cost.min().sum() + 4), float(df.groupby("unit").cost1.min().sum() + 3)]
    plan = optalloc.allocate(df, budgets, cost=["cost", "cost1"])
    assert plan.method == "model.highs" and str(plan.status) == "optimal"
    assert plan.value == pytest.approx(_brute(df, budgets, ["cost", "cost1"]), abs=1e-6)
    assert plan.bound == pytest.approx(plan.value, abs=1e-6) and plan.gap == 0
    assert all(u <= b + 1e-6 for u, b in zip(plan.budget_used, budgets)) and len(plan.marginal_value) == 2


def test_concave_unit_steps_take_the_greedy_and_are_proven_optimal():
    """Concave curves with unit cost steps: the LP optimum on the hulls cuts no option, so the greedy's answer is
    it, proven optimal, with float values (the bound equal up to the sums' rounding margin) and integer ones."""
    df = _table(5, units=200, levels=16, concave=True)
    for table in (df, df.assign(value=np.round(df["value"] * 1000))):
        plan = optalloc.allocate(table, 1500)
        assert plan.method == "knapsack.greedy" and str(plan.status) == "optimal" and plan.gap == 0
        assert "proven optimal" in plan.why and plan.marginal_value[0] > 0
        dp = optalloc.allocate(table, 1500, method="knapsack.dp")
        assert plan.value == pytest.approx(dp.value, rel=1e-12)


def test_a_large_table_agrees_with_highs():
    df = _table(11, units=300, levels=12)
    budget = int(df.groupby("unit").cost.min().sum() + 400)
    plan = optalloc.allocate(df, budget)
    mip = optalloc.allocate(df, budget, method="model.highs")
    assert str(plan.status) == str(mip.status) == "optimal"
    assert plan.value == pytest.approx(mip.value, rel=1e-9, abs=1e-6)


def test_levels_within_bounds_and_errors_that_name_the_column():
    df = _table(2, units=4, levels=5)
    plan = optalloc.allocate(df, 10**6, min_level=1, max_level={"u0": 2})
    assert plan.table.level.min() >= 1 and int(plan.table.set_index("unit").level["u0"]) <= 2
    with pytest.raises(OptionError, match="the table has no column 'price'"):
        optalloc.allocate(df, 10, cost="price")
    with pytest.raises(InstanceError, match="leave unit 'u0' no level to choose"):
        optalloc.allocate(df, 10, min_level={"u0": 9})
    bad = df.copy()
    bad.loc[3, "value"] = float("nan")
    with pytest.raises(InstanceError, match=r"table\[3\]\.value: must be a finite number"):
        optalloc.allocate(bad, 10)
    poor = optalloc.allocate(df, 0)
    assert str(poor.status) == "infeasible" and poor.table is None


def test_the_command_line(tmp_path):
    df = _table(4, units=6, levels=4)
    f = tmp_path / "heads.csv"
    df.to_csv(f, index=False)
    budget = int(df.groupby("unit").cost.min().sum() + 6)
    out = subprocess.run([sys.executable, "-m", "optalloc", "allocate", str(f), "--budget", str(budget), "--json",
                          "--output", str(tmp_path / "plan.csv")], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["status"] == "optimal" and doc["value"] == pytest.approx(_brute(df, [budget], ["cost"]))
    assert doc["bound"] == pytest.approx(doc["value"]) and doc["gap"] == 0
    assert len(pd.read_csv(tmp_path / "plan.csv")) == 6
    bad = subprocess.run([sys.executable, "-m", "optalloc", "allocate", str(f), "--budget", "5", "--cost", "mem"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "optalloc: error: allocate: the table has no column 'mem' (it has unit, level, value, cost)")


def test_the_time_limit_covers_the_whole_call():
    """3,000 units x 16 levels, two budgets (the MIP on HiGHS) at a 2 s limit: back within the limit + 1 s, reading
    the table, building the model and the multipliers' LP included (the level-bound check was quadratic in the
    units: 86 s here before)."""
    import time

    rng = np.random.default_rng(0)
    units, levels = 3000, 16
    c1 = np.cumsum(rng.integers(1, 9, size=(units, levels)), axis=1)
    c2 = np.cumsum(rng.integers(1, 9, size=(units, levels)), axis=1)
    df = pd.DataFrame({"unit": np.repeat([f"u{u}" for u in range(units)], levels),
                       "level": np.tile(np.arange(levels), units), "cost": c1.ravel(), "mem": c2.ravel(),
                       "value": rng.uniform(0, 10, units * levels)})
    t = time.perf_counter()
    plan = optalloc.allocate(df, [30000, 25000], cost=["cost", "mem"], time_limit=2.0, min_level=0)
    assert time.perf_counter() - t <= 3.0
    assert plan.value is None or plan.budget_used[0] <= 30000 and plan.budget_used[1] <= 25000
