"""One front door for budget splits: units, a few levels per unit, a cost and a value per level, one budget (or
several), and the level to choose for each unit.

KV cache across attention heads, samples across the stages of a pipeline, in-context examples across queries,
bits across modules: each is this shape, a multiple-choice knapsack. `allocate` states it from the user's table,
picks the method, and returns the certified answer with a table of the chosen levels:

    plan = optalloc.allocate(df, budget=4096)        # df: columns unit, level, cost, value
    plan.table                                        # the chosen level of each unit, its cost and value
    plan.result                                       # the certified Result (status, objective, bound, gap)
    plan.marginal_value                               # value of one more unit of budget (the LP multiplier)

The method: one budget with integer costs goes to the greedy along the units' hulls, which is exact when the LP
optimum on those hulls cuts no option (the certificate then says optimal, gap 0; concave curves with unit cost
steps always do) or when it meets its LP bound, and to the exact multiple-choice DP (knapsack.dp) otherwise.
Several budgets, or costs that are not integers, go to the MIP on HiGHS (model.highs), certified against its
rows."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optalloc.errors import InstanceError, OptionError


@dataclass
class Allocation:
    """What `allocate` returns: the certified `result`, the chosen `table` (one row per unit: unit, level, the
    cost in each budget, value), the total `value` and the proven `bound` in the table's own terms, the
    `budget_used` per budget, the `marginal_value` of each budget (the LP multiplier: value per unit of budget at
    the margin), the `method` that solved it and `why`. The result speaks in its model's terms: the multiple-choice
    knapsack's values are the table's moved by a constant per unit (extra["value_shift"])."""

    result: Any
    table: Any
    value: float | None
    bound: float | None
    budget_used: list[float]
    marginal_value: list[float | None]
    method: str
    why: str
    sense: str = "max"
    extra: dict = field(default_factory=dict)

    @property
    def status(self):
        return self.result.status

    @property
    def gap(self) -> float | None:
        """The certified gap between `value` and `bound` (optalloc.gap.gap, in the table's terms)."""
        from optalloc.gap import gap

        return gap(self.value, self.bound, self.sense)


def _frame(table, unit: str, level: str, costs: list[str], value: str):
    """The table as a DataFrame with the named columns, checked (one-line errors naming the column)."""
    df = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    for col in (unit, level, *costs, value):
        if col not in df.columns:
            raise OptionError(f"allocate: the table has no column {col!r} (it has {', '.join(map(str, df.columns))})")
    if df.empty:
        raise InstanceError("table", "must have at least one row")
    for col in (*costs, value):
        x = pd.to_numeric(df[col], errors="coerce")
        bad = np.flatnonzero(~np.isfinite(x.to_numpy(dtype=float)))
        if len(bad):
            raise InstanceError(f"table[{int(bad[0])}].{col}", "must be a finite number", df[col].iloc[bad[0]])
    return df


def _grouped(df, unit: str, level: str):
    """(the rows of each unit together, units in the table's order and levels ascending; the units; where each
    unit's rows start). A table already in that order is kept as it is; a repeated (unit, level) is an error
    naming its row."""
    codes, units = pd.factorize(df[unit])  # units in order of first appearance
    lv = df[level].to_numpy(dtype=float)
    ordered = bool(np.all((codes[1:] > codes[:-1]) | ((codes[1:] == codes[:-1]) & (lv[1:] > lv[:-1]))))
    if not ordered:
        perm = np.lexsort((lv, codes))
        codes, lv = codes[perm], lv[perm]
        same = np.flatnonzero((codes[1:] == codes[:-1]) & (lv[1:] == lv[:-1]))
        if len(same):
            i = int(max(perm[same[0]], perm[same[0] + 1]))  # the later of the two rows
            u, lvl = (x.item() if hasattr(x, "item") else x for x in (df[unit].iloc[i], df[level].iloc[i]))
            raise InstanceError(f"table[{i}]", f"repeats unit {u!r} at level {lvl!r}")
        df = df.iloc[perm]
    df = df.reset_index(drop=True)
    starts = np.concatenate([[0], np.flatnonzero(codes[1:] != codes[:-1]) + 1, [len(codes)]])
    return df, list(units), starts


def _bounds(df, unit: str, level: str, low, high):
    """The rows within each unit's [min_level, max_level] (a number for every unit, or a mapping unit -> level; a
    unit the mapping leaves out has no limit)."""
    lv = np.asarray(df[level], dtype=float)
    keep = np.ones(len(df), dtype=bool)
    for limit, outside in ((low, np.less), (high, np.greater)):
        if limit is None:
            continue
        bound = (df[unit].map(limit).to_numpy(dtype=float) if isinstance(limit, dict)
                 else np.full(len(df), float(limit)))
        keep &= ~outside(lv, bound)  # NaN (no limit for that unit) compares False: kept
    if keep.all():  # no limit, or none that bites
        return df
    units = pd.unique(df[unit])
    gone = units[~pd.Series(units).isin(pd.unique(df[unit][keep])).to_numpy()]
    if len(gone):
        raise InstanceError("min_level/max_level", f"leave unit {gone[0]!r} no level to choose")
    return df[keep]


def allocate(table, budget, *, unit: str = "unit", level: str = "level", cost: str | list[str] = "cost",
             value: str = "value", min_level=None, max_level=None, sense: str = "max",
             time_limit: float | None = 60.0, method: str | None = None, name: str = "allocation") -> Allocation:
    """Choose one level per unit so that the costs stay within `budget` and the total value is largest (`sense`
    "min": smallest).

    `table`: a pandas DataFrame (or a mapping of columns) with a row per (unit, level): its `cost` (a column name,
    or a list of names, one per budget) and its `value`. `budget`: a number, or one per cost column.
    `min_level` / `max_level`: the least / largest level allowed, for every unit (a number) or per unit (a
    mapping). `method`: force one ("knapsack.dp", "knapsack.greedy", "model.highs"); by default it is chosen as
    the module's docstring says. `time_limit`: seconds for the whole solve.

    Returns an Allocation; its `result` is certified like every optalloc answer (a status other than optimal says
    why the method stopped, and the bound and gap hold)."""
    started = time.perf_counter()  # the limit covers the whole call: reading the table and building the model too

    def left() -> float | None:
        return None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - started))

    costs = [cost] if isinstance(cost, str) else list(cost)
    budgets = [budget] if np.isscalar(budget) else list(budget)
    if len(budgets) != len(costs):
        raise OptionError(f"allocate: {len(budgets)} budget(s) for {len(costs)} cost column(s): give one per column")
    for b in budgets:
        if isinstance(b, bool) or not isinstance(b, (int, float, np.integer, np.floating)) or not math.isfinite(b):
            raise OptionError(f"allocate: budget must be a finite number, got {b!r}")
    if sense not in ("max", "min"):
        raise OptionError(f"allocate: sense must be 'max' or 'min', got {sense!r}")
    df = _bounds(_frame(table, unit, level, costs, value), unit, level, min_level, max_level)
    df, units, starts = _grouped(df, unit, level)
    sign = 1.0 if sense == "max" else -1.0
    integral = all(np.array_equal(x, np.round(x)) for x in (np.asarray(df[c], dtype=float) for c in costs)) \
        and all(float(b) == math.floor(float(b)) for b in budgets)
    if method is None:
        method = "knapsack.greedy" if len(costs) == 1 and integral else "model.highs"
    if method.startswith("knapsack.") and not (len(costs) == 1 and integral):
        raise OptionError(f"allocate: {method} takes one budget and integer costs; use model.highs")
    if method.startswith("knapsack."):
        plan = _by_mckp(df, starts, units, unit, level, costs[0], value, budgets[0], sign, method, left(), name)
    else:
        plan = _by_mip(df, starts, unit, level, costs, value, budgets, sign, method, left(), name)
    plan.sense = sense
    if plan.table is not None:
        plan.table = plan.table[[unit, level, *costs, value]].reset_index(drop=True)
    return plan


def _by_mckp(df, starts, units, unit, level, cost, value, budget, sign, method, time_limit, name) -> Allocation:
    """One budget, integer costs: the multiple-choice knapsack. Each unit's values and costs are moved by a
    constant (its least value, its least cost) so that they are the kind's non-negative numbers; exactly one level
    per unit is chosen, so the moves change the totals by known constants and nothing else. Whole-array steps
    throughout: 10^5 units x 64 levels is one table of 6.4 million rows."""
    from optalloc.engines.mckp import lp_relaxation
    from optalloc.engines.mckp_model import checked_mckp
    from optalloc.instances import Instance
    from optalloc.solve import solve

    v = sign * df[value].to_numpy(dtype=np.float64)
    w = df[cost].to_numpy(dtype=np.float64).astype(np.int64)
    first = starts[:-1]
    vmin, wmin = np.minimum.reduceat(v, first), np.minimum.reduceat(w, first)
    sizes = np.diff(starts)
    v0, w0 = float(vmin.sum()), int(wmin.sum())
    room = int(budget) - w0
    if room < 0:  # proven by the sum of the cheapest levels: no choice fits
        return Allocation(_infeasible(name, method), None, None, None, [], [None], method,
                          f"the cheapest level of every unit already costs {w0} > budget {budget}")
    values, weights = v - np.repeat(vmin, sizes), w - np.repeat(wmin, sizes)
    data = checked_mckp(values, weights, starts, room, where="table")  # arrays: no trip through JSON
    inst = Instance("mckp", name, data, None,
                    {"allocate": {"units": [str(u) for u in units], "value_shift": v0, "cost_shift": w0}})
    r = solve(inst, method, time_limit=time_limit)
    why = "one budget, integer costs: the greedy along the units' hulls"
    if method == "knapsack.greedy" and str(r.status) != "optimal":
        # the greedy did not meet its LP bound: the exact DP, in the time left
        left = None if time_limit is None else max(0.0, time_limit - r.time)
        r = solve(inst, "knapsack.dp", time_limit=left)
        method, why = "knapsack.dp", why + " did not meet its LP bound, so the exact multiple-choice DP"
    elif method == "knapsack.greedy":
        why += ", proven optimal: its LP optimum is a choice of whole levels, or it meets its LP bound"
    if "lp_multiplier" in r.extra:  # the greedy or the DP solved the LP relaxation already
        marginal = sign * float(r.extra["lp_multiplier"])
    else:
        lp = lp_relaxation(values, weights, starts, room)
        marginal = None if lp is None else sign * float(lp["lam"])
    chosen = value_total = None
    used: list[float] = []
    if r.solution is not None:
        chosen = df.iloc[first + np.asarray(r.solution["choice"], dtype=np.int64)]
        value_total = float(chosen[value].sum())
        used = [float(chosen[cost].sum())]
    bound = None if r.bound is None else sign * (float(r.bound) + v0)  # the knapsack's bound, in the table's terms
    return Allocation(r, chosen, value_total, bound, used, [marginal], method, why,
                      extra={"value_shift": sign * v0, "cost_shift": w0})


def _by_mip(df, starts, unit, level, costs, value, budgets, sign, method, time_limit, name) -> Allocation:
    """Several budgets, or costs that are not integers: a binary column per (unit, level), one row per unit
    (exactly one level) and one per budget, solved as a model of one's own (certified against its rows)."""
    import scipy.sparse as sp

    from optalloc.instances import Instance
    from optalloc.models.linear import LinearModel
    from optalloc.options import Deadline, SolveOptions
    from optalloc.solve import solve
    from optalloc.solvers.highs import solve_linear

    n, k = len(df), len(starts) - 1
    unit_of = np.repeat(np.arange(k), np.diff(starts))
    rows_u = sp.csr_matrix((np.ones(n), (unit_of, np.arange(n))), shape=(k, n))
    rows_b = sp.csr_matrix(np.vstack([np.asarray(df[c], dtype=float) for c in costs]))
    A = sp.vstack([rows_u, rows_b]).tocsr()
    lo = np.concatenate([np.ones(k), np.full(len(costs), -np.inf)])
    hi = np.concatenate([np.ones(k), np.asarray(budgets, dtype=float)])
    c = np.asarray(df[value], dtype=float)
    lm = LinearModel("max" if sign > 0 else "min", c, A, lo, hi, np.zeros(n), np.ones(n), np.ones(n, dtype=bool),
                     [f"x_{i}" for i in range(n)], [f"one_{i}" for i in range(k)] + [f"budget_{b}" for b in range(len(costs))])
    inst = Instance("linear_model", name, lm, None, {"allocate": {"budgets": list(costs)}})  # built valid: no JSON trip
    r = solve(inst, method, time_limit=time_limit)
    # the multipliers from the LP relaxation, within what is left of the limit (it covers the whole call)
    left = None if time_limit is None else max(0.0, time_limit - r.time)
    duals = solve_linear(lm.relaxed(), SolveOptions(), Deadline(left), duals=True)
    marginal = [None] * len(costs)
    if duals.extra.get("row_duals") is not None:
        marginal = [float(x) for x in duals.extra["row_duals"][k:]]
    chosen = value_total = None
    used: list[float] = []
    if r.solution is not None:
        chosen = df[np.asarray(r.solution["x"]) > 0.5]
        value_total = float(chosen[value].sum())
        used = [float(chosen[cc].sum()) for cc in costs]
    why = ("several budgets" if len(costs) > 1 else "costs that are not integers") + ": the MIP on HiGHS"
    return Allocation(r, chosen, value_total, None if r.bound is None else float(r.bound), used, marginal, method, why)


def _infeasible(name, method):
    """The Result of an allocation no choice can afford (certified like any: status infeasible, no solution)."""
    from optalloc.result import Result
    from optalloc.status import SolutionStatus, Status

    return Result(name=name, problem="mckp", sense="max", method=method, kind="exact", status=Status.INFEASIBLE,
                  solution_status=SolutionStatus.NONE, objective=None, bound=None, gap=None, time=0.0,
                  backend="optalloc", backend_version="", options={}, solution=None, reference=None,
                  raw_status="infeasible", message="the cheapest level of every unit exceeds the budget", extra={})
