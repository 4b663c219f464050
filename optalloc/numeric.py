"""The numeric contract: the ranges in which every exact method is exact, sums that never wrap, and the
proven rounding margin of a float sum.

Every backend that an exact method uses (numba kernels, HiGHS, CP-SAT's scaled objectives) does its
arithmetic in float64 or int64. Integers up to 2^53 are exact in float64, and a total of at most 2^53 leaves
int64 ten bits of headroom, so each problem kind bounds the totals that its methods form (objective and
constraint sums) by EXACT_TOTAL. Real-valued coefficients of the matching kinds, which go to HiGHS as they
are, are bounded by MAX_COEFFICIENT: HiGHS treats 1e20 as infinite and its feasibility tolerances are
absolute, so coefficients far above 1e9 let a "feasible" point break a row by more than one unit."""
from __future__ import annotations

import math

import numpy as np

EXACT_TOTAL = 2**53  # 9,007,199,254,740,992: the largest total every exact method handles exactly
MAX_COEFFICIENT = 1e9  # real coefficients of the HiGHS-backed matching kinds (costs, weights, bids, ...)
MAX_HORIZON = 2**40  # tardiness: sum of processing times (time is indexed in integers)
UNIT_ROUNDOFF = 2.0**-53


def exact_sum(values) -> int | float:
    """Sum that never wraps: Python integers for integer data, math.fsum (correctly rounded) for floats."""
    arr = np.asarray(values)
    if arr.size == 0:
        return 0
    if arr.dtype.kind in "iu":
        top = int(np.abs(arr).max())
        if top * arr.size < 2**62:  # int64 cannot wrap: numpy's sum is exact and fast
            return int(arr.sum())
        return sum(int(x) for x in arr.ravel().tolist())
    if arr.dtype.kind == "O":
        return sum(int(x) if isinstance(x, (int, np.integer)) else x for x in arr.ravel().tolist())
    return math.fsum(arr.ravel().tolist())


def sum_error_bound(terms: int, abs_sum: float) -> float:
    """Proven bound on the rounding error of any float64 evaluation order of a sum of `terms` numbers whose
    absolute values add up to `abs_sum` (Higham's gamma_n = n u / (1 - n u)), doubled to cover one rounding
    of each term when it was itself a product."""
    n = max(int(terms), 1) + 1
    gamma = n * UNIT_ROUNDOFF / (1.0 - n * UNIT_ROUNDOFF)
    return 2.0 * gamma * float(abs_sum)


def describe_limit(limit) -> str:
    """A numeric contract limit `limit` as people read it (2^53 = 9007199254740992, ...)."""
    if limit == EXACT_TOTAL:
        return "2^53 = 9007199254740992"
    if limit == MAX_HORIZON:
        return "2^40 = 1099511627776"
    return f"{limit:g}"


def unit_scale(top: float) -> float:
    """The power of two s with s * top in [1, 2) (`top` > 0): it rescales data exactly, so a solver whose
    tolerances are absolute sees the largest value near 1."""
    return math.ldexp(1.0, 1 - math.frexp(top)[1])
