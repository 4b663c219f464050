"""The toy family's methods: toy.sort (exact: the k largest values) and toy.first (heuristic: the first k,
with the sum of the k largest values as its bound)."""
import numpy as np

from optalloc.registry import Method, register
from optalloc.result import Outcome
from optalloc.status import Status


def _sort(instance, options, deadline):
    t = instance.data
    best = np.argsort(-t.values, kind="stable")[:t.k]
    value = int(t.values[best].sum())
    return Outcome(Status.OPTIMAL, {"items": sorted(best.tolist())}, value, value, "optimal")


def _first(instance, options, deadline):
    t = instance.data
    items = list(range(min(t.k, len(t.values))))
    bound = int(np.sort(t.values)[::-1][:t.k].sum())
    return Outcome(Status.COMPLETED, {"items": items}, None, bound, "completed")


register(Method("toy.sort", ("pick",), "exact", "optalloc", _sort, "the k largest values"))
register(Method("toy.first", ("pick",), "heuristic", "optalloc", _first, "the first k items"))

