"""Seeded generators for the matching and task-to-machine families.

assignment   n x m costs ~ U{lo..hi}; with density < 1 each pair is allowed with that probability (the rest
             are forbidden pairs), and one random perfect matching is always kept so a full assignment exists
gap          the classic types of Chu and Beasley (1997) and Yagiura et al., for m agents and n jobs:
               C  a ~ U{5..25}, c ~ U{10..50}, b_i = 0.8 sum_j a_ij / m
               D  a ~ U{1..100}, c = 111 - a + e with e ~ U{-10..10}, b_i = 0.8 sum_j a_ij / m
                  (cost falls as weight rises: the hard, tightly packed type)
               E  a = 1 - 10 ln U(0, 1], c = 1000 / a - 10 e with e ~ U[0, 1], both rounded; b as in C
               A  as C but b_i = 9 (n / m) + 0.4 max_i sum_{j: i = argmin_k c_kj} a_ij (loose)
               B  as A with 70 % of A's capacities
makespan     R||Cmax times ~ U{1..100}, optionally machine-correlated (machine speed x job size x noise)
routing      queries x models: quality ~ U[0, 1] rising with a model's cost tier; budget a share of the
             cost of always picking the best model
bmatching    bipartite weights ~ U{1..100} with edge density, capacities ~ U{1..cap}
adwords      bids ~ U{1..10} on a random subset of queries, budgets a share of each advertiser's total bid
All integers are floored to ints where the type says so; the same arguments always give the same instance."""
from __future__ import annotations

import numpy as np

from optalloc.instances.format import Instance, make_instance


def _check(**sizes):
    for k, v in sizes.items():
        if int(v) != v or v < 1:
            raise ValueError(f"{k} must be a positive integer, got {v}")


def _null(M):
    """Forbidden entries (NaN) as None, the format's forbidden pair."""
    return [[None if np.isnan(x) else float(x) for x in row] for row in M]


def assignment(n: int, m: int | None = None, *, density: float = 1.0, lo: int = 1, hi: int = 100,
               sense: str = "min", seed: int = 0, name: str | None = None) -> Instance:
    """A seeded assignment of `n` rows to `m` columns (default square) with integer costs in [`lo`, `hi`], only a
    `density` share of pairs allowed when below 1, minimised or maximised by `sense`; `seed`, `name`."""
    m = n if m is None else m
    _check(n=n, m=m)
    if not 0 < density <= 1:
        raise ValueError(f"density must lie in (0, 1], got {density}")
    rng = np.random.default_rng(seed)
    C = rng.integers(lo, hi + 1, (n, m)).astype(np.float64)
    meta = {"generator": "assignment", "density": density, "seed": seed}
    if density < 1:
        keep = rng.random((n, m)) < density
        k = min(n, m)
        rows, cols = rng.permutation(n)[:k], rng.permutation(m)[:k]
        keep[rows, cols] = True  # a complete assignment always exists
        i, j = np.nonzero(keep)
        data = {"shape": [n, m], "arcs": [[int(a), int(b), float(C[a, b])] for a, b in zip(i, j)], "sense": sense}
    else:
        data = {"costs": C, "sense": sense}
    return make_instance("assignment", name or f"assign_{n}x{m}_d{density:g}_s{seed}", data, None, meta)


def gap(m: int, n: int, kind: str = "D", *, seed: int = 0, name: str | None = None) -> Instance:
    """A seeded GAP of `m` agents and `n` jobs of Chu and Beasley's type `kind` (A to D); `seed`, `name`."""
    _check(m=m, n=n)
    kind = kind.upper()
    if kind not in "ABCDE" or len(kind) != 1:
        raise ValueError(f"kind must be one of A, B, C, D, E, got {kind!r}")
    rng = np.random.default_rng(seed)
    if kind == "D":
        a = rng.integers(1, 101, (m, n))
        c = 111 - a + rng.integers(-10, 11, (m, n))
    elif kind == "E":
        a = np.rint(1 - 10 * np.log(1.0 - rng.random((m, n)))).astype(np.int64)  # 1 - random() lies in (0, 1]
        c = np.rint(1000.0 / a - 10 * rng.random((m, n))).astype(np.int64)
    else:
        a = rng.integers(5, 26, (m, n))
        c = rng.integers(10, 51, (m, n))
    if kind in "AB":
        cheapest = c.argmin(axis=0)
        load = np.bincount(cheapest, weights=a[cheapest, np.arange(n)], minlength=m)
        b = np.full(m, 9 * (n / m) + 0.4 * load.max())
        if kind == "B":
            b = 0.7 * b
    else:
        b = 0.8 * a.sum(axis=1) / m
    data = {"costs": c.astype(np.float64), "weights": a.astype(np.float64),
            "capacities": np.floor(b).tolist(), "sense": "min"}
    return make_instance("gap", name or f"{kind.lower()}{m:02d}{n:03d}_s{seed}", data, None,
                         {"generator": "gap", "type": kind, "seed": seed})


def makespan(m: int, n: int, *, correlated: bool = False, seed: int = 0, name: str | None = None) -> Instance:
    """A seeded makespan instance on `m` unrelated machines with `n` jobs (`correlated` machine and job effects
    when set); `seed`, `name`."""
    _check(m=m, n=n)
    rng = np.random.default_rng(seed)
    if correlated:
        T = np.rint(rng.uniform(0.5, 2.0, (m, 1)) * rng.integers(1, 101, (1, n)) * rng.uniform(0.8, 1.25, (m, n)))
        T = np.maximum(T, 1)
    else:
        T = rng.integers(1, 101, (m, n))
    return make_instance("makespan", name or f"makespan_{m}x{n}{'_corr' if correlated else ''}_s{seed}", {"times": T.astype(np.float64)}, None,
                         {"generator": "makespan", "correlated": correlated, "seed": seed})


def routing(queries: int, models: int, *, budget_share: float = 0.5, seed: int = 0,
            name: str | None = None) -> Instance:
    """A seeded LLM-routing instance: `queries` to `models`, each model taking at most 60 % of the queries, under a
    cost budget of `budget_share` of what sending each query to its best model costs; `seed`, `name`."""
    _check(queries=queries, models=models)
    rng = np.random.default_rng(seed)
    tier = np.sort(rng.uniform(0.1, 1.0, models))  # dearer models answer better on average
    Q = np.clip(tier[None, :] * rng.uniform(0.6, 1.0, (queries, 1)) + rng.normal(0, 0.1, (queries, models)), 0, 1)
    cost = np.round(tier[None, :] * rng.uniform(0.5, 1.5, (queries, models)) * 10, 3)
    cap = np.full(models, int(np.ceil(queries * 0.6)))
    budget = float(np.round(budget_share * cost[np.arange(queries), Q.argmax(axis=1)].sum(), 3))
    return make_instance("routing", name or f"routing_{queries}x{models}_s{seed}",
                         {"quality": np.round(Q, 4), "cost": cost, "capacity": cap.tolist(),
                          "budget": budget}, None, {"generator": "routing", "seed": seed})


def bmatching(rows: int, cols: int, *, density: float = 0.3, cap: int = 3, seed: int = 0,
              name: str | None = None) -> Instance:
    """A seeded b-matching of `rows` x `cols` with a `density` share of weighted edges and vertex capacities from 1
    to `cap`; `seed`, `name`."""
    _check(rows=rows, cols=cols, cap=cap)
    rng = np.random.default_rng(seed)
    W = rng.integers(1, 101, (rows, cols)).astype(np.float64)
    W[rng.random((rows, cols)) >= density] = np.nan
    return make_instance("bmatching", name or f"bmatching_{rows}x{cols}_s{seed}",
                         {"weights": _null(W), "row_capacity": rng.integers(1, cap + 1, rows).tolist(),
                          "col_capacity": rng.integers(1, cap + 1, cols).tolist()}, None,
                         {"generator": "bmatching", "density": density, "seed": seed})


def adwords(advertisers: int, queries: int, *, density: float = 0.3, budget_share: float = 0.3, seed: int = 0,
            name: str | None = None) -> Instance:
    """A seeded budgeted allocation: `advertisers` bidding on `queries` (a `density` share of bids), each budget
    `budget_share` of the advertiser's total bids (at least 1); `seed`, `name`."""
    _check(advertisers=advertisers, queries=queries)
    rng = np.random.default_rng(seed)
    bids = rng.integers(1, 11, (advertisers, queries)).astype(np.float64)
    bids[rng.random((advertisers, queries)) >= density] = 0.0
    budgets = np.maximum(1.0, np.floor(budget_share * bids.sum(axis=1)))
    return make_instance("adwords", name or f"adwords_{advertisers}x{queries}_s{seed}",
                         {"bids": bids, "budgets": budgets.tolist()}, None,
                         {"generator": "adwords", "density": density, "seed": seed})
