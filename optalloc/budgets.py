"""Budgets across an ML system, built from the user's own measurements and solved by `optalloc.allocate`.

Each builder states its model, checks the measurements (one-line errors naming the unit and the level), builds
the (unit, level, cost, value) table, and returns the certified Allocation; each paper's own rule is here too, so
that the optimum can be compared with it on the same measurements.

  kv_cache           KV cache across attention heads (Task-KV, AdaKV, PyramidKV): cache tokens per KV head under
                     a total, each head keeping at least its sink and recent window; value: attention mass kept
  test_time_compute  samples across the stages of an agent pipeline (AgentTTS): the pipeline succeeds when every
                     stage does, so the value is the sum of the stages' log success rates
  icl_examples       in-context examples across queries under a token budget (DynaICL): value: expected accuracy
  value_curve        the optimum as the budget moves: users choose a budget from this curve"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from optalloc.allocation import Allocation, allocate
from optalloc.errors import InstanceError


# ------------------------------------------------------------------ reading curves
def _curves(curves: Any, unit: str, level: str, value: str, what: str) -> pd.DataFrame:
    """A DataFrame (unit, level, value) from a DataFrame with those columns or a mapping unit -> {level: value}."""
    if isinstance(curves, pd.DataFrame):
        missing = [c for c in (unit, level, value) if c not in curves.columns]
        if missing:
            raise InstanceError(what, f"the table has no column {missing[0]!r} "
                                      f"(it has {', '.join(map(str, curves.columns))})")
        df = curves[[unit, level, value]].copy()
    elif isinstance(curves, dict):
        rows = [(u, lv, x) for u, curve in curves.items() for lv, x in dict(curve).items()]
        df = pd.DataFrame(rows, columns=[unit, level, value])
    else:
        raise InstanceError(what, f"must be a DataFrame ({unit}, {level}, {value}) or a mapping {unit} -> "
                                  f"{{{level}: {value}}}, got {type(curves).__name__}")
    if df.empty:
        raise InstanceError(what, "holds no measurements")
    for c in (level, value):
        x = pd.to_numeric(df[c], errors="coerce")
        if x.isna().any():
            bad = df[x.isna()].iloc[0]
            raise InstanceError(what, f"{unit} {bad[unit]!r}: {c} {bad[c]!r} is not a number")
        df[c] = x
    dup = df.duplicated([unit, level])
    if dup.any():
        bad = df[dup].iloc[0]
        raise InstanceError(what, f"{unit} {bad[unit]!r}: {level} {bad[level]:g} is measured twice")
    return df.sort_values([unit, level], kind="stable").reset_index(drop=True)


def _check_range(df, unit, level, value, lo, hi, what, lo_open=False):
    low = df[value] <= lo if lo_open else df[value] < lo
    bad = df[low | (df[value] > hi)]
    if len(bad):
        r = bad.iloc[0]
        raise InstanceError(what, f"{unit} {r[unit]!r}: {value} {r[value]:g} at {level} {r[level]:g} is outside "
                                  f"{'(' if lo_open else '['}{lo:g}, {hi:g}]")


def _check_whole(df, unit, level, what, least=0):
    bad = df[(df[level] != np.round(df[level])) | (df[level] < least)]
    if len(bad):
        r = bad.iloc[0]
        raise InstanceError(what, f"{unit} {r[unit]!r}: {level} {r[level]:g} is not a whole number >= {least}")


def _common_levels(df, unit: str, level: str, units=None) -> list:
    """The levels measured for every one of `units` (default: every unit of `df`), ascending: the sizes a rule
    that gives several units the same level can choose from."""
    return sorted(set.intersection(*(set(g) for u, g in df.groupby(unit)[level] if units is None or u in units)))


def _check_rising(df, unit, level, value, what, why):
    for u, g in df.groupby(unit, sort=False):
        v = g[value].to_numpy()
        drop = np.flatnonzero(np.diff(v) < -1e-12)
        if len(drop):
            a, b = drop[0], drop[0] + 1
            lv = g[level].to_numpy()
            raise InstanceError(what, f"{unit} {u!r}: {value} falls from {v[a]:g} at {level} {lv[a]:g} to {v[b]:g} "
                                      f"at {lv[b]:g}; {why}")


# ------------------------------------------------------------------ KV cache across heads
def retention_from_attention(attention: dict, sizes, *, sink: int = 4, recent: int = 4) -> pd.DataFrame:
    """Retention curves from measured attention: `attention` maps each KV head to the attention probabilities of
    the query heads that share it, summed (queries x keys, causal; or a list of such arrays, one per sentence).
    For each cache size in `sizes`, the mean over queries of the attention mass the cache keeps when it holds the
    first `sink` keys, the `recent` keys up to the query, and the keys of largest attention among the rest
    (decoder.kept_keys: the best any eviction rule can keep). Returns a DataFrame (head, size, kept)."""
    from optalloc.families.bitalloc.decoder import kept_keys

    rows = []
    for head, arrays in attention.items():
        arrays = arrays if isinstance(arrays, (list, tuple)) else [arrays]
        for size in sizes:
            kept, queries = 0.0, 0
            for p in arrays:
                p = np.asarray(p, dtype=np.float64)
                total = p.sum(axis=-1)
                keep = kept_keys(p, int(size), sink, recent)
                kept += float((np.where(keep, p, 0.0).sum(axis=-1) / total).sum())
                queries += p.shape[0]
            rows.append((head, int(size), kept / queries))
    return pd.DataFrame(rows, columns=["head", "size", "kept"])


def kv_cache(retention, budget: int, *, minimum: int = 0, time_limit: float | None = 60.0) -> Allocation:
    """Cache tokens per KV head under a total of `budget` tokens, keeping the most attention mass.

    Model: head h with a cache of s tokens keeps a share kept_h(s) of its attention mass (measured, e.g. by
    retention_from_attention); choose one size per head, sum of sizes <= budget, maximise the sum of kept shares.
    `retention`: a DataFrame (head, size, kept) or a mapping head -> {size: kept}; sizes whole numbers, kept in
    [0, 1] and not falling as the size grows (a larger cache keeps at least what a smaller one does). `minimum`:
    the fewest tokens a head may keep (its sink and recent window): smaller sizes are left out."""
    what = "retention"
    measured = _curves(retention, "head", "size", "kept", what)
    _check_whole(measured, "head", "size", what, least=1)
    _check_range(measured, "head", "size", "kept", 0.0, 1.0, what)
    _check_rising(measured, "head", "size", "kept", what, "a larger cache keeps at least what a smaller one does")
    df = measured[measured["size"] >= minimum]
    short = set(measured["head"]) - set(df["head"])
    if short:
        raise InstanceError(what, f"head {sorted(short, key=str)[0]!r} has no size of at least minimum {minimum}")
    table = df.rename(columns={"head": "unit", "size": "level", "kept": "value"}).assign(cost=lambda t: t["level"])
    return allocate(table, budget, time_limit=time_limit, name="kv_cache")


def kv_uniform(retention, budget: int) -> pd.DataFrame:
    """The uniform rule: every head the largest measured size with (number of heads) x size <= budget.
    Returns (head, size)."""
    df = _curves(retention, "head", "size", "kept", "retention")
    heads = list(pd.unique(df["head"]))
    fit = [s for s in _common_levels(df, "head", "size") if s * len(heads) <= budget]
    if not fit:
        raise InstanceError("budget", f"{budget} tokens do not give each of the {len(heads)} heads a common size")
    return pd.DataFrame({"head": heads, "size": fit[-1]})


def kv_task_kv(retention, budget: int, heterogeneity: dict, *, minimum: int) -> pd.DataFrame:
    """Task-KV's rule (Task-KV, 2025): the heads whose attention is most heterogeneous (spread over the context;
    `heterogeneity`: head -> a score, higher is more heterogeneous) keep their full cache (the largest measured
    size), as many as the budget allows while every other head keeps at least `minimum` (its sink and recent
    window); the other heads share what is left equally (sink, recent window and a few middle tokens), at the
    largest size measured for all of them that fits. Returns (head, size)."""
    df = _curves(retention, "head", "size", "kept", "retention")
    largest = df.groupby("head")["size"].max()
    heads = list(pd.unique(df["head"]))
    if budget < minimum * len(heads):
        raise InstanceError("budget", f"{budget} tokens do not give each of the {len(heads)} heads its {minimum}")
    full, left = [], budget - minimum * len(heads)
    for h in sorted(heads, key=lambda x: -heterogeneity[x]):
        if int(largest[h]) - minimum <= left:
            full.append(h)
            left -= int(largest[h]) - minimum
    rest = [h for h in heads if h not in full]
    sizes = {h: int(largest[h]) for h in full}
    if rest:
        room = budget - sum(sizes.values())
        common = _common_levels(df, "head", "size", rest)
        share = max([x for x in common if x >= minimum and x * len(rest) <= room], default=minimum)
        sizes.update({h: int(share) for h in rest})
    return pd.DataFrame({"head": heads, "size": [sizes[h] for h in heads]})


# ------------------------------------------------------------------ test-time compute across pipeline stages
def test_time_compute(curves, budget: float, *, cost=1, time_limit: float | None = 60.0) -> Allocation:
    """Samples per stage of an agent pipeline under a compute budget, maximising the pipeline's success.

    Model: stage s given n samples succeeds with probability acc_s(n) (measured: best-of-n with a verifier, or
    any curve); the pipeline succeeds when every stage does (stages independent), with probability
    prod_s acc_s(n_s); maximise its log, sum_s log acc_s(n_s), with sum_s cost_s n_s <= budget. `curves`: a
    DataFrame (stage, samples, accuracy) or a mapping stage -> {samples: accuracy}; accuracy in (0, 1] (a stage
    that can never succeed makes the pipeline fail whatever the budget). `cost`: compute per sample (a number, or
    stage -> number). The Allocation's value is the log success; exp(value) the pipeline's success."""
    what = "curves"
    df = _curves(curves, "stage", "samples", "accuracy", what)
    _check_whole(df, "stage", "samples", what, least=1)
    _check_range(df, "stage", "samples", "accuracy", 0.0, 1.0, what, lo_open=True)
    per = _per_unit(cost, df["stage"], "cost")
    table = pd.DataFrame({"unit": df["stage"], "level": df["samples"],
                          "cost": df["samples"] * df["stage"].map(per), "value": np.log(df["accuracy"])})
    return allocate(table, budget, time_limit=time_limit, name="test_time_compute")


def agentts_greedy(curves, budget: float, *, cost=1) -> pd.DataFrame:
    """AgentTTS's greedy rule, as its search settles on (AgentTTS, 2025): every stage starts at its fewest
    samples; then, while the budget allows, the next step goes to the stage whose own accuracy gains most per unit
    of compute from its next measured level, each stage judged alone (not by the pipeline's product). Returns
    (stage, samples)."""
    df = _curves(curves, "stage", "samples", "accuracy", "curves")
    per = _per_unit(cost, df["stage"], "cost")
    levels = {s: g[["samples", "accuracy"]].to_numpy() for s, g in df.groupby("stage", sort=False)}  # sorted by _curves
    at = {s: 0 for s in levels}
    spent = sum(levels[s][0, 0] * per[s] for s in levels)
    while True:
        best, gain = None, 0.0
        for s, lv in levels.items():
            i = at[s]
            if i + 1 < len(lv):
                extra = (lv[i + 1, 0] - lv[i, 0]) * per[s]
                g = (lv[i + 1, 1] - lv[i, 1]) / extra
                if spent + extra <= budget + 1e-9 and g > gain:
                    best, gain = s, g
        if best is None:
            break
        spent += (levels[best][at[best] + 1, 0] - levels[best][at[best], 0]) * per[best]
        at[best] += 1
    return pd.DataFrame({"stage": list(levels), "samples": [int(levels[s][at[s], 0]) for s in levels]})


def _per_unit(x, units, what) -> dict:
    names = list(pd.unique(units))
    if isinstance(x, dict):
        missing = [u for u in names if u not in x]
        if missing:
            raise InstanceError(what, f"no {what} for {missing[0]!r}")
        out = {u: float(x[u]) for u in names}
    else:
        out = {u: float(x) for u in names}
    bad = [u for u, v in out.items() if not (math.isfinite(v) and v > 0)]
    if bad:
        raise InstanceError(what, f"{bad[0]!r}: {what} {out[bad[0]]:g} must be a positive number")
    return out


# ------------------------------------------------------------------ in-context examples across queries
def icl_examples(curves, budget: float, *, tokens=1, time_limit: float | None = 60.0) -> Allocation:
    """In-context examples per query under a prompt-token budget, maximising the expected accuracy.

    Model: query q answered with k examples is right with probability acc_q(k) (predicted, as DynaICL's
    meta-controller does); each example costs `tokens` prompt tokens (a number, or query -> number, e.g. the
    query's demonstrations' mean length); choose k per query, sum of tokens <= budget, maximise sum_q acc_q(k_q).
    `curves`: a DataFrame (query, examples, accuracy) or a mapping query -> {examples: accuracy}; examples whole
    numbers >= 0, accuracy in [0, 1]."""
    what = "curves"
    df = _curves(curves, "query", "examples", "accuracy", what)
    _check_whole(df, "query", "examples", what, least=0)
    _check_range(df, "query", "examples", "accuracy", 0.0, 1.0, what)
    per = _per_unit(tokens, df["query"], "tokens")
    table = pd.DataFrame({"unit": df["query"], "level": df["examples"],
                          "cost": df["examples"] * df["query"].map(per), "value": df["accuracy"]})
    return allocate(table, budget, time_limit=time_limit, name="icl_examples")


def icl_fixed(curves, budget: float, *, tokens=1) -> pd.DataFrame:
    """The fixed rule (DynaICL's baseline): the same number of examples for every query, the most the budget
    affords among the numbers measured for every query. Returns (query, examples)."""
    df = _curves(curves, "query", "examples", "accuracy", "curves")
    per = _per_unit(tokens, df["query"], "tokens")
    queries = list(pd.unique(df["query"]))
    fit = [k for k in _common_levels(df, "query", "examples") if k * sum(per.values()) <= budget + 1e-9]
    if not fit:
        raise InstanceError("budget", f"{budget} tokens do not give every query a common number of examples")
    return pd.DataFrame({"query": queries, "examples": int(fit[-1])})


# ------------------------------------------------------------------ sensitivity
def value_curve(build, budgets) -> pd.DataFrame:
    """The optimum as the budget moves: `build(budget)` returns the Allocation at one budget (say
    `lambda b: kv_cache(retention, b)`), called at each of `budgets`, one exact solve each (milliseconds on tables
    of thousands of rows). Returns (budget, value, bound, gap, marginal_value, status), one row per budget."""
    rows = []
    for b in budgets:
        plan = build(b)
        rows.append({"budget": b, "value": plan.value, "bound": plan.bound, "gap": plan.gap,
                     "marginal_value": plan.marginal_value[0], "status": str(plan.status)})
    return pd.DataFrame(rows)
