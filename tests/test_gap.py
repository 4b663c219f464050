import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optalloc.gap import bound_crosses, gap, within_tolerance


@pytest.mark.parametrize("obj,bound,sense,expected", [
    (90, 100, "max", 0.1),
    (100, 90, "min", 0.1),
    (0, 0, "max", 0.0),
    (0, 0, "min", 0.0),
    (0, 5, "max", 1.0),
    (-5, 0, "min", 1.0),
    (-110, -100, "max", 10 / 110),
    (42, 42, "min", 0.0),
    (None, 3, "max", None),
    (3, None, "min", None),
])
def test_gap_values(obj, bound, sense, expected):
    g = gap(obj, bound, sense)
    assert g == pytest.approx(expected) if expected is not None else g is None


def test_gap_rejects_unknown_sense():
    with pytest.raises(ValueError, match="sense must be 'max' or 'min'"):
        gap(1, 2, "maximise")


def test_infinite_bound_gives_infinite_gap():
    assert gap(3, math.inf, "max") == math.inf


def test_bound_crossing_by_sense():
    assert bound_crosses(10, 9, "max") and not bound_crosses(10, 11, "max")
    assert bound_crosses(10, 11, "min") and not bound_crosses(10, 9, "min")
    assert not bound_crosses(10, 10 + 1e-9, "min")


def test_tolerance():
    assert within_tolerance(99, 100, "max", 0.011, 0)
    assert not within_tolerance(99, 100, "max", 0.0, 0.5)
    assert within_tolerance(99, 100, "max", 0.0, 1.0)


finite = st.floats(-1e9, 1e9, allow_nan=False)


@given(finite, finite)
def test_gap_is_symmetric_in_sense_and_bounded_for_same_sign(a, b):
    lo, hi = min(a, b), max(a, b)
    g1 = gap(lo, hi, "max")
    g2 = gap(hi, lo, "min")
    assert g1 == g2
    assert g1 >= 0
    if lo >= 0 or hi <= 0:
        assert g1 <= 1.0 + 1e-12
