"""Field checks that name the path and the rule, e.g. `data.weights[3]: must be a non-negative integer, got -2`."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from optalloc.errors import InstanceError
from optalloc.numeric import EXACT_TOTAL, MAX_COEFFICIENT, describe_limit, exact_sum

_INT64_MAX = 2**63 - 1


def mapping(value: Any, where: str) -> dict:
    """`value` when it is a JSON object, else an InstanceError at `where`."""
    if not isinstance(value, dict):
        raise InstanceError(where, "must be an object", type(value).__name__)
    return value


def field_of(obj: dict, key: str, where: str) -> Any:
    """The field `key` of the object `obj`, else an InstanceError at `where` naming it as missing."""
    if key not in obj:
        raise InstanceError(f"{where}.{key}", "is required")
    return obj[key]


def no_extra(obj: dict, allowed: set[str], where: str) -> None:
    """An InstanceError at `where` when `obj` has a field outside `allowed`."""
    extra = sorted(set(obj) - allowed)
    if extra:
        raise InstanceError(f"{where}.{extra[0]}", f"is not a field of this problem (fields: {', '.join(sorted(allowed))})")


def _is_int(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, np.integer)):
        return True
    return isinstance(v, (float, np.floating)) and _finite(v) and float(v).is_integer()


def _is_num(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating))


def _finite(v: Any) -> bool:
    """math.isfinite without its OverflowError: an integer past float's range (a 400-digit one) is not finite."""
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def nonneg_int(v: Any, where: str, *, positive: bool = False) -> int:
    """`v` as a Python int when it is a whole number >= 0 (> 0 with `positive`), else an InstanceError at `where`."""
    rule = "must be a positive integer" if positive else "must be a non-negative integer"
    if not _is_int(v) or v < (1 if positive else 0) or v > _INT64_MAX:
        raise InstanceError(where, rule, v)
    return int(v)


def finite_number(v: Any, where: str, *, nonneg: bool = False) -> float:
    """`v` as a float when it is finite (and >= 0 with `nonneg`), else an InstanceError at `where`."""
    rule = "must be a non-negative finite number" if nonneg else "must be a finite number"
    if not _is_num(v) or not _finite(v) or (nonneg and v < 0):
        raise InstanceError(where, rule, v)
    return v


def array_of(value: Any, where: str, *, kind: str, nonempty: bool = True, length: int | None = None,
             per: str = "item") -> np.ndarray:
    """A list of numbers as a numpy array. kind: 'int' (non-negative integers), 'num' (finite), 'nonneg'
    (non-negative finite). Numbers that are all integral come back as int64 so sums stay exact. `length` and
    `per` (what each entry stands for, in the problem kind's own terms) shape the error for a list too short."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, list):
        raise InstanceError(where, "must be a list of numbers", type(value).__name__)
    if nonempty and not value:
        raise InstanceError(where, "must not be empty")
    if length is not None and len(value) != length:
        raise InstanceError(where, f"must have {length} entries (one per {per}), has {len(value)}")
    for i, v in enumerate(value):
        if kind == "int":
            nonneg_int(v, f"{where}[{i}]")
        else:
            finite_number(v, f"{where}[{i}]", nonneg=(kind == "nonneg"))
    if kind == "int" or all(_is_int(v) and abs(v) <= 2**53 for v in value):
        return np.asarray([int(v) for v in value], dtype=np.int64)
    return np.asarray(value, dtype=np.float64)


def to_json_number(v: Any) -> int | float:
    """numpy scalar -> plain JSON number; integral floats stay floats only when non-integral."""
    if isinstance(v, (np.integer, int)):
        return int(v)
    f = float(v)
    return int(f) if f.is_integer() and abs(f) <= 2**53 else f


def to_json_list(arr: np.ndarray) -> list:
    """The numpy array `arr` as plain JSON lists (ints stay ints)."""
    if arr.dtype.kind in "iu":
        return [int(x) for x in arr.tolist()]
    return [to_json_number(x) for x in arr.tolist()]


def tie_groups(raw, count: int, where: str, what: str, same_options) -> list[list[int]]:
    """Groups of indices below `count`, each index in at most one group, at least two per group.
    `same_options(first, j)` returns an error rule when member j cannot be tied to the group's first."""
    if not isinstance(raw, list):
        raise InstanceError(where, f"must be a list of groups (lists of {what} indices)")
    seen: dict[int, int] = {}
    out = []
    for g, group in enumerate(raw):
        if not isinstance(group, list) or len(group) < 2:
            raise InstanceError(f"{where}[{g}]", f"must list at least two {what} indices")
        members = [nonneg_int(x, f"{where}[{g}][{i}]") for i, x in enumerate(group)]
        for i, j in enumerate(members):
            if j >= count:
                raise InstanceError(f"{where}[{g}][{i}]", f"must be a {what} index below {count}", j)
            if j in seen:
                raise InstanceError(f"{where}[{g}][{i}]", f"{what} {j} is already in tie group {seen[j]}")
            seen[j] = g
            rule = same_options(members[0], j)
            if rule:
                raise InstanceError(f"{where}[{g}][{i}]", rule)
        out.append(members)
    return out


def total_within(values, where: str, what: str = "must sum to at most", limit=EXACT_TOTAL) -> int | float:
    """The numeric contract on a total (computed without wrapping): `what` names the total, e.g. "must sum
    to at most" or "times bounds must sum to at most"."""
    total = exact_sum(values)
    if not (abs(total) <= limit):
        raise InstanceError(where, f"{what} {describe_limit(limit)} (the numeric contract: larger totals are not "
                                   f"exact in every method's arithmetic)", total)
    return total


def magnitude_within(arr: np.ndarray, where: str, limit: float = MAX_COEFFICIENT) -> None:
    """The numeric contract on each entry of a real-valued array (NaN entries, forbidden pairs, are skipped)."""
    a = np.asarray(arr, dtype=np.float64)
    bad = np.abs(np.nan_to_num(a, nan=0.0)) > limit
    if bad.any():
        idx = np.argwhere(bad)[0]
        path = where + "".join(f"[{int(i)}]" for i in idx)
        raise InstanceError(path, f"must be at most {describe_limit(limit)} in absolute value (the numeric "
                                  f"contract of this problem kind)", float(a[tuple(idx)]))
