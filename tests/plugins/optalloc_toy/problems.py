"""The toy problem kind `pick`: data {"values": [integers >= 0], "k": integer >= 0}, solution
{"items": [distinct indices]}, at most k of them; maximise the sum of their values."""
from dataclasses import dataclass

import numpy as np

from optalloc.problems import validate as v
from optalloc.problems.base import Evaluation, Problem, register_problem


@dataclass
class PickData:
    values: np.ndarray
    k: int


@register_problem("pick", "max", fields=("values", "k"))
class Pick(Problem):
    """pick at most k items of largest total value"""

    def parse_fields(self, d: dict, where: str) -> PickData:
        values = v.array_of(v.field_of(d, "values", where), f"{where}.values", kind="int")
        return PickData(values, v.nonneg_int(v.field_of(d, "k", where), f"{where}.k"))

    def dump(self, t: PickData) -> dict:
        return {"values": v.to_json_list(t.values), "k": t.k}

    def evaluate(self, t: PickData, solution) -> Evaluation:
        items = solution.get("items") if isinstance(solution, dict) else None
        if not isinstance(items, list) or any(not v._is_int(i) or not 0 <= i < len(t.values) for i in items):
            return Evaluation(float("nan"), ["solution.items: must be a list of item indices"])
        problems = []
        if len(set(items)) != len(items):
            problems.append("solution.items: an item appears twice")
        if len(items) > t.k:
            problems.append(f"solution.items: {len(items)} items, at most {t.k} allowed")
        return Evaluation(sum(int(t.values[i]) for i in items), problems)

    def size(self, t: PickData) -> dict:
        return {"n": len(t.values), "k": t.k}
