"""Knapsack problem kinds: 0-1, bounded, multiple-choice (with ties) and multidimensional.

Weights and capacities are integers (every exact algorithm here relies on it); values are any
non-negative finite numbers, kept as int64 when they are all integral so objectives are exact."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from optalloc.errors import InstanceError
from optalloc.numeric import EXACT_TOTAL, exact_sum
from optalloc.problems import validate as v
from optalloc.engines.mckp_model import MCKPData
from optalloc.problems.base import Evaluation, Problem, register_problem


# ---------------------------------------------------------------- typed data
@dataclass
class KnapsackData:
    """A 0-1 knapsack's data: integer values and weights (numpy arrays) and the capacity."""

    values: np.ndarray
    weights: np.ndarray
    capacity: int

    @property
    def n(self) -> int:
        return len(self.values)


@dataclass
class BoundedKnapsackData:
    """A bounded knapsack's data: values, weights and copies per item type, and the capacity."""

    values: np.ndarray
    weights: np.ndarray
    bounds: np.ndarray  # copies available of each item
    capacity: int

    @property
    def n(self) -> int:
        return len(self.values)


@dataclass
class MKPData:
    """A multidimensional knapsack's data: values, one weight row per budget, and the capacities."""

    values: np.ndarray  # (n,)
    weights: np.ndarray  # (m, n)
    capacities: np.ndarray  # (m,)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def m(self) -> int:
        return len(self.capacities)


def _num(x):
    return x.item() if isinstance(x, np.generic) else x


def _sum(arr) -> int | float:
    """Objective of chosen values: exact for integers (never wraps), correctly rounded for floats."""
    s = exact_sum(arr)
    return int(s) if isinstance(s, int) else float(s)


def _times(arr: np.ndarray, counts: list[int]) -> list:
    """arr[j] * counts[j] in Python numbers, so that large products cannot wrap."""
    return [(int(a) if arr.dtype.kind in "iu" else float(a)) * c for a, c in zip(arr.tolist(), counts)]


def _index_list(solution: dict, key: str, n: int) -> tuple[np.ndarray | None, list[str]]:
    raw = solution.get(key) if isinstance(solution, dict) else None
    if not isinstance(raw, (list, tuple, np.ndarray)):
        return None, [f"solution.{key}: missing or not a list"]
    idx = np.asarray(raw, dtype=np.int64).reshape(-1)
    problems = []
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        problems.append(f"solution.{key}: index out of range 0..{n - 1}")
    elif len(np.unique(idx)) != len(idx):
        problems.append(f"solution.{key}: an item is chosen twice")
    return idx, problems


def _by_ratio(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Item indices by value per unit of weight, best first (weightless items first)."""
    w = np.asarray(weights, dtype=float)
    ratio = np.where(w > 0, np.asarray(values, dtype=float) / np.where(w > 0, w, 1.0), np.inf)
    return np.argsort(-ratio, kind="stable")


def _greedy_prefix(values: np.ndarray, weights: np.ndarray, capacities: np.ndarray) -> np.ndarray:
    """A feasible item set in O(n log n), vectorised: the longest prefix by value per total weight that fits every
    budget, or the best single item that fits when it is worth more (Problem.witness: bounds are held against
    it). Loads are summed in float and the prefix kept a margin short, so a rounding can only shorten it."""
    w = np.asarray(weights, dtype=float)
    order = _by_ratio(values, w.sum(axis=0))
    cap = np.asarray(capacities, dtype=float)[:, None]
    loads = np.cumsum(w[:, order], axis=1)
    fits = np.all(loads <= cap * (1 - 1e-12), axis=0)
    k = int(np.argmin(fits)) if not fits.all() else len(order)
    prefix = np.sort(order[:k])
    single_ok = np.flatnonzero(np.all(w <= cap, axis=0))
    if len(single_ok):
        best = int(single_ok[np.argmax(np.asarray(values, dtype=float)[single_ok])])
        if float(values[best]) > float(np.asarray(values, dtype=float)[prefix].sum()):
            return np.array([best], dtype=np.int64)
    return prefix.astype(np.int64)


# ---------------------------------------------------------------- 0-1
@register_problem("knapsack", "max", fields=("values", "weights", "capacity"))
class Knapsack(Problem):
    """0-1 knapsack: max sum v_j x_j, sum w_j x_j <= capacity, x binary"""
    formulation = "optalloc.families.knapsack.models:KNAPSACK"
    fuzz = "optalloc.families.knapsack.conformance:random_knapsack"

    field_docs = {"values": "n numbers >= 0, one per item", "weights": "n integers >= 0, one per item",
                  "capacity": "an integer >= 0"}
    example = {"values": [6, 10, 12], "weights": [1, 2, 3], "capacity": 5}
    solution_doc = '{"items": [indices of the chosen items]}'

    def parse_fields(self, d: dict, where: str) -> KnapsackData:
        values = v.array_of(v.field_of(d, "values", where), f"{where}.values", kind="nonneg")
        weights = v.array_of(v.field_of(d, "weights", where), f"{where}.weights", kind="int", length=len(values))
        cap = v.nonneg_int(v.field_of(d, "capacity", where), f"{where}.capacity")
        v.total_within(values, f"{where}.values")
        v.total_within(weights, f"{where}.weights")
        return KnapsackData(values, weights, cap)

    def dump(self, t: KnapsackData) -> dict:
        return {"values": v.to_json_list(t.values), "weights": v.to_json_list(t.weights), "capacity": int(t.capacity)}

    def evaluate(self, t: KnapsackData, solution) -> Evaluation:
        idx, problems = _index_list(solution, "items", t.n)
        if idx is None or problems:
            return Evaluation(float("nan"), problems)
        load = exact_sum(t.weights[idx])
        if load > t.capacity:
            problems.append(f"weight {load} exceeds capacity {t.capacity}")
        return Evaluation(_sum(t.values[idx]), problems)

    def witness(self, t: KnapsackData) -> dict:
        return {"items": _greedy_prefix(t.values, t.weights[None, :], np.array([t.capacity])).tolist()}

    def size(self, t: KnapsackData) -> dict:
        return {"n": t.n, "capacity": int(t.capacity)}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        for mask in itertools.product((0, 1), repeat=d.n):
            yield {"items": [j for j in range(d.n) if mask[j]]}


# ---------------------------------------------------------------- bounded
@register_problem("bounded_knapsack", "max", fields=("values", "weights", "bounds", "capacity"))
class BoundedKnapsack(Problem):
    """bounded knapsack: max sum v_j x_j, sum w_j x_j <= capacity, x_j in 0..bounds_j"""
    formulation = "optalloc.families.knapsack.models:BOUNDED"
    fuzz = "optalloc.families.knapsack.conformance:random_bounded"

    field_docs = {"values": "n numbers >= 0, one per item type", "weights": "n integers >= 0",
                  "bounds": "n integers >= 0: copies available of each type", "capacity": "an integer >= 0"}
    example = {"values": [6, 10, 12], "weights": [1, 2, 3], "bounds": [2, 1, 3], "capacity": 7}
    solution_doc = '{"counts": [copies taken of each type]}'

    def parse_fields(self, d: dict, where: str) -> BoundedKnapsackData:
        values = v.array_of(v.field_of(d, "values", where), f"{where}.values", kind="nonneg")
        n = len(values)
        weights = v.array_of(v.field_of(d, "weights", where), f"{where}.weights", kind="int", length=n)
        bounds = v.array_of(v.field_of(d, "bounds", where), f"{where}.bounds", kind="int", length=n)
        cap = v.nonneg_int(v.field_of(d, "capacity", where), f"{where}.capacity")
        copies = [int(b) for b in bounds.tolist()]
        v.total_within(_times(values, copies), f"{where}.values", "times bounds must sum to at most")
        v.total_within(_times(weights, copies), f"{where}.weights", "times bounds must sum to at most")
        return BoundedKnapsackData(values, weights, bounds, cap)

    def dump(self, t) -> dict:
        return {"values": v.to_json_list(t.values), "weights": v.to_json_list(t.weights),
                "bounds": v.to_json_list(t.bounds), "capacity": int(t.capacity)}

    def evaluate(self, t: BoundedKnapsackData, solution) -> Evaluation:
        raw = solution.get("counts") if isinstance(solution, dict) else None
        if not isinstance(raw, (list, tuple, np.ndarray)) or len(raw) != t.n:
            return Evaluation(float("nan"), [f"solution.counts: must list {t.n} counts"])
        x = np.asarray(raw, dtype=np.int64)
        problems = []
        if (x < 0).any() or (x > t.bounds).any():
            j = int(np.flatnonzero((x < 0) | (x > t.bounds))[0])
            problems.append(f"solution.counts[{j}] = {int(x[j])} outside 0..{int(t.bounds[j])}")
        counts = [int(c) for c in x.tolist()]
        load = exact_sum(_times(t.weights, counts))
        if load > t.capacity:
            problems.append(f"weight {load} exceeds capacity {t.capacity}")
        return Evaluation(_sum(_times(t.values, counts)), problems)

    def witness(self, t: BoundedKnapsackData) -> dict:
        counts = np.zeros(t.n, dtype=np.int64)
        room = int(t.capacity)
        for j in _by_ratio(t.values, t.weights)[:64]:  # a few types by value per weight: cheap, and feasible
            w = int(t.weights[j])
            counts[j] = int(t.bounds[j]) if w == 0 else min(int(t.bounds[j]), room // w)
            room -= counts[j] * w
        return {"counts": counts.tolist()}

    def size(self, t) -> dict:
        return {"n": t.n, "copies": int(t.bounds.sum()), "capacity": int(t.capacity)}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        for counts in itertools.product(*[range(int(b) + 1) for b in d.bounds]):
            yield {"counts": list(counts)}


# ---------------------------------------------------------------- multiple-choice
@register_problem("mckp", "max", fields=("values", "weights", "capacity", "ties"))
class MultipleChoiceKnapsack(Problem):
    """multiple-choice knapsack: one option per class, sum of weights <= capacity; optional ties force classes to
    the same option index"""
    formulation = "optalloc.families.knapsack.models:MCKP"
    fuzz = "optalloc.families.knapsack.conformance:random_mckp"

    field_docs = {"values": "one list per class: the value of each option (>= 0)",
                  "weights": "one list per class, as long as its values: integers >= 0",
                  "capacity": "an integer >= 0",
                  "ties": "optional: groups of class indices that must choose the same option index"}
    example = {"values": [[0, 5, 8], [0, 4, 9]], "weights": [[0, 2, 4], [0, 2, 4]], "capacity": 6}
    solution_doc = '{"choice": [the option index chosen in each class]}'

    def parse_fields(self, d: dict, where: str) -> MCKPData:
        vals = v.field_of(d, "values", where)
        wts = v.field_of(d, "weights", where)
        if not isinstance(vals, list) or not vals:
            raise InstanceError(f"{where}.values", "must be a non-empty list of classes (lists of option values)")
        if not isinstance(wts, list) or len(wts) != len(vals):
            raise InstanceError(f"{where}.weights", f"must be a list of {len(vals)} classes (one per class in values)")
        vs, ws, starts = [], [], [0]
        for i, (cv, cw) in enumerate(zip(vals, wts)):
            a = v.array_of(cv, f"{where}.values[{i}]", kind="nonneg")
            b = v.array_of(cw, f"{where}.weights[{i}]", kind="int", length=len(a), per="option of the class")
            vs.append(a)
            ws.append(b)
            starts.append(starts[-1] + len(a))
        values = np.concatenate(vs)
        if values.dtype.kind == "f" and all(x.dtype.kind in "iu" for x in vs):
            values = values.astype(np.int64)
        elif any(x.dtype.kind == "f" for x in vs):
            values = values.astype(np.float64)
        cap = v.nonneg_int(v.field_of(d, "capacity", where), f"{where}.capacity")
        starts_arr = np.asarray(starts, dtype=np.int64)
        v.total_within([a.max() for a in vs], f"{where}.values", "must have class maxima that sum to at most")
        v.total_within([b.max() for b in ws], f"{where}.weights", "must have class maxima that sum to at most")
        ties = self._parse_ties(d.get("ties", []), starts_arr, f"{where}.ties")
        return MCKPData(values, np.concatenate(ws), starts_arr, cap, ties)

    @staticmethod
    def _parse_ties(raw, starts, where) -> list[list[int]]:
        def same(first, j):
            if starts[j + 1] - starts[j] != starts[first + 1] - starts[first]:
                return f"class {j} must have as many options as class {first}"
            return None

        return v.tie_groups(raw, len(starts) - 1, where, "class", same)

    def dump(self, t: MCKPData) -> dict:
        out = {"values": [v.to_json_list(t.class_values(i)) for i in range(t.k)],
               "weights": [v.to_json_list(t.class_weights(i)) for i in range(t.k)],
               "capacity": int(t.capacity)}
        if t.ties:
            out["ties"] = [list(g) for g in t.ties]
        return out

    def evaluate(self, t: MCKPData, solution) -> Evaluation:
        raw = solution.get("choice") if isinstance(solution, dict) else None
        if not isinstance(raw, (list, tuple, np.ndarray)) or len(raw) != t.k:
            return Evaluation(float("nan"), [f"solution.choice: must give one option for each of {t.k} classes"])
        choice = np.asarray(raw, dtype=np.int64)
        sizes = t.sizes()
        bad = np.flatnonzero((choice < 0) | (choice >= sizes))
        if len(bad):
            i = int(bad[0])
            return Evaluation(float("nan"), [f"solution.choice[{i}] = {int(choice[i])} outside 0..{int(sizes[i]) - 1}"])
        pos = t.starts[:-1] + choice
        problems = []
        load = exact_sum(t.weights[pos])
        if load > t.capacity:
            problems.append(f"weight {load} exceeds capacity {t.capacity}")
        for g, group in enumerate(t.ties):
            if len({int(choice[c]) for c in group}) > 1:
                problems.append(f"tie group {g} (classes {group}) chose different options")
        return Evaluation(_sum(t.values[pos]), problems)

    def size(self, t) -> dict:
        return {"classes": t.k, "options": int(len(t.values)), "capacity": int(t.capacity)}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        for choice in itertools.product(*[range(int(s)) for s in d.sizes()]):
            yield {"choice": list(choice)}


# ---------------------------------------------------------------- multidimensional
@register_problem("mkp", "max", fields=("values", "weights", "capacities"))
class MultidimensionalKnapsack(Problem):
    """multidimensional knapsack: max sum v_j x_j, W x <= capacities (one row per budget), x binary"""
    formulation = "optalloc.families.knapsack.models:MKP"
    fuzz = "optalloc.families.knapsack.conformance:random_mkp"

    field_docs = {"values": "n numbers >= 0, one per item",
                  "weights": "one row per budget, each n numbers >= 0 (budgets x items)",
                  "capacities": "one number >= 0 per budget"}
    example = {"values": [6, 10, 12], "weights": [[1, 2, 3], [3, 1, 2]], "capacities": [5, 4]}
    solution_doc = '{"items": [indices of the chosen items]}'

    def parse_fields(self, d: dict, where: str) -> MKPData:
        values = v.array_of(v.field_of(d, "values", where), f"{where}.values", kind="nonneg")
        rows = v.field_of(d, "weights", where)
        if not isinstance(rows, list) or not rows:
            raise InstanceError(f"{where}.weights", "must be a non-empty list of rows, one per budget")
        weights = [v.array_of(r, f"{where}.weights[{i}]", kind="nonneg", length=len(values)) for i, r in enumerate(rows)]
        caps = v.array_of(v.field_of(d, "capacities", where), f"{where}.capacities", kind="nonneg", length=len(rows),
                           per="budget: weights have one row per budget")
        W = np.vstack(weights)
        if W.dtype.kind == "f" and all(w.dtype.kind in "iu" for w in weights):
            W = W.astype(np.int64)
        v.total_within(values, f"{where}.values")
        for i, w in enumerate(weights):
            v.total_within(w, f"{where}.weights[{i}]")
        for i, cap in enumerate(caps.tolist()):
            if cap > EXACT_TOTAL:
                raise InstanceError(f"{where}.capacities[{i}]", "must be at most 2^53 = 9007199254740992 (the "
                                                                "numeric contract)", cap)
        return MKPData(values, W, caps)

    def dump(self, t: MKPData) -> dict:
        return {"values": v.to_json_list(t.values), "weights": [v.to_json_list(r) for r in t.weights],
                "capacities": v.to_json_list(t.capacities)}

    def evaluate(self, t: MKPData, solution) -> Evaluation:
        idx, problems = _index_list(solution, "items", t.n)
        if idx is None or problems:
            return Evaluation(float("nan"), problems)
        load = t.weights[:, idx].sum(axis=1)
        tol = 0 if t.weights.dtype.kind in "iu" and t.capacities.dtype.kind in "iu" else 1e-9
        for i in np.flatnonzero(load > t.capacities + tol):
            problems.append(f"budget {int(i)}: weight {v.to_json_number(load[i])} exceeds {v.to_json_number(t.capacities[i])}")
        return Evaluation(_sum(t.values[idx]), problems)

    def witness(self, t: MKPData) -> dict:
        return {"items": _greedy_prefix(t.values, t.weights, t.capacities).tolist()}

    def size(self, t) -> dict:
        return {"n": t.n, "m": t.m}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        for mask in itertools.product((0, 1), repeat=d.n):
            yield {"items": [j for j in range(d.n) if mask[j]]}
