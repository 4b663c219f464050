"""The gaps, each defined once: the optimality gap (`gap`: an answer against its own proven bound), used by every
method, report and check; and the primal gap (`primal_gap`: an incumbent against a reference value), which the
anytime traces and the reports' gap-over-time curves and primal integrals use."""
from __future__ import annotations

import math

# Two values are equal (a gap of 0) when they differ by no more than float noise: a tolerance any larger
# would call a bound 16 units above an objective of 7e11 "optimal", and 1e-6 above a loss of 1e-3 too.
VALUE_ATOL = 1e-9
VALUE_RTOL = 1e-12
# What a method may report for its own objective and still agree with the recomputed one (its sums run in
# another order): noise to accept, never a reason to call a gap closed.
NOISE_ATOL = 1e-6
NOISE_RTOL = 1e-9


def values_equal(a: float, b: float, atol: float = VALUE_ATOL) -> bool:
    """Equal up to float noise: the test behind a zero gap, a reproduced reference and a crossed bound. `atol`
    is the absolute noise of the instance's objective (Problem.value_atol): 0 for an objective of nonnegative
    terms, whose noise is relative to its value however small that value is."""
    return abs(a - b) <= atol + VALUE_RTOL * max(abs(a), abs(b))


def within_noise(a: float, b: float, tol: float = 0.0) -> bool:
    """A reported objective that agrees with the recomputed one, within noise or the backend's tolerance."""
    return abs(a - b) <= NOISE_ATOL + NOISE_RTOL * max(abs(a), abs(b)) + tol


def gap(objective: float | None, bound: float | None, sense: str, atol: float = VALUE_ATOL) -> float | None:
    """Relative gap between a solution's objective and a proven bound (or a reference value).

    gap = abs(bound - objective) / max(abs(objective), abs(bound)), and 0 when they are equal (this covers a zero
    objective with a zero bound). With a zero objective and a nonzero bound the gap is 1 (100 %), the
    largest gap two values of the same sign can have. None when either side is unknown.

    `sense` is 'max' or 'min'; `atol` as in values_equal. The gap is a magnitude; whether the bound is on the
    right side of the objective is checked by `bound_crosses`.
    """
    if sense not in ("max", "min"):
        raise ValueError(f"sense must be 'max' or 'min', got {sense!r}")
    if objective is None or bound is None:
        return None
    if math.isinf(bound) or math.isinf(objective):
        return math.inf
    if values_equal(objective, bound, atol):
        return 0.0
    return abs(bound - objective) / max(abs(objective), abs(bound))


def bound_crosses(objective: float | None, bound: float | None, sense: str, atol: float = VALUE_ATOL) -> bool:
    """True when a claimed bound is on the wrong side of an attained objective (a bug somewhere)."""
    if objective is None or bound is None:
        return False
    if values_equal(objective, bound, atol):
        return False
    return bound < objective if sense == "max" else bound > objective


def better(a: float, b: float, sense: str, atol: float = VALUE_ATOL) -> bool:
    """a strictly better than b, beyond the equality tolerance."""
    if values_equal(a, b, atol):
        return False
    return a > b if sense == "max" else a < b


def within_tolerance(objective: float | None, bound: float | None, sense: str, rel_gap: float,
                     abs_gap: float, atol: float = VALUE_ATOL) -> bool:
    """Whether a proven bound closes the gap to the user's tolerance (0, 0 means exactly closed)."""
    g = gap(objective, bound, sense, atol)
    if g is None:
        return False
    return g == 0.0 or g <= rel_gap or abs((bound or 0) - (objective or 0)) <= abs_gap


def primal_gap(z: float | None, reference: float) -> float:
    """The primal gap of incumbent `z` against `reference` z*: abs(z - z*) / max(abs(z), abs(z*)), 1 without an
    incumbent or when the signs differ, 0 when they are equal (both 0 included)."""
    if z is None:
        return 1.0
    if z == reference:
        return 0.0
    if z * reference < 0:
        return 1.0
    return min(1.0, abs(z - reference) / max(abs(z), abs(reference)))
