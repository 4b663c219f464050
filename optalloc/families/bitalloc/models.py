"""Bit-allocation formulations.

  continuous(instance)    the relaxation with real bits: reverse water-filling with floors and ceilings
                          (model mode) or the LP of the option tables (table mode); the bound every
                          integer method is measured against
  cvxpy_model(instance)   the same relaxation as a CVXPY problem (model mode), for users who extend it
  to_mckp(data)           the integer problem as a multiple-choice knapsack (exact reduction)
  arrays(instance)        the MIP as a LinearModel for HiGHS; mip(instance) the same as a Pyomo model

MIP columns x_j_k: group j takes option k. Rows: budget, choose_j, tie_g_j_k."""
from __future__ import annotations

import math

import numpy as np

from optalloc.errors import UnsupportedProblemError
from optalloc.instances.format import Instance
from optalloc.families.bitalloc.problems import BitAllocData
from optalloc.models import Formulation
from optalloc.models.linear import LinearModel, builds_from, check_build


def merged_model(d: BitAllocData) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """Model mode with ties merged: tied groups share b, so they act as one group with summed c and n."""
    members: list[list[int]] = []
    tied = {j for g in d.ties for j in g}
    for g in d.ties:
        members.append(list(g))
    members += [[j] for j in range(d.k) if j not in tied]
    c = np.array([d.sensitivity[m].sum() for m in members])
    n = np.array([d.sizes[m].sum() for m in members], dtype=np.int64)
    return c, n, members


def expand(values: np.ndarray, members: list[list[int]], k: int) -> np.ndarray:
    """Per original group, the value of its merged class: `values` per class, `members` the groups of each, `k`
    groups."""
    out = np.empty(k, dtype=np.asarray(values).dtype)
    for v, m in zip(values, members):
        out[m] = v
    return out


def continuous(instance: Instance) -> tuple[float, np.ndarray | None]:
    """The relaxation's optimum (a proven lower bound) and its real bits per group."""
    from optalloc.families.bitalloc.exact import continuous_bound

    d = instance.data
    if not d.tables:
        if d.ties:
            c, n, members = merged_model(d)
            val, b = continuous_bound(c, n, d.b_min, d.b_max, d.capacity_bits)
            return val, None if b is None else expand(b, members, d.k)
        return continuous_bound(d.sensitivity, d.sizes, d.b_min, d.b_max, d.capacity_bits)
    from optalloc.engines.mckp import lp_relaxation

    data, offset, _ = to_mckp(d)
    lp = lp_relaxation(data.values, data.weights, data.starts, data.capacity)
    if lp is None:
        return math.inf, None
    return offset - lp["lp_value"], None


def cvxpy_model(instance: Instance):
    """min sum c 2^(-2b) s.t. sum n b <= capacity, b_min <= b <= b_max, ties equal (model mode)."""
    import cvxpy as cp

    d = instance.data
    if d.tables:
        raise UnsupportedProblemError("the CVXPY model covers model mode (sensitivities); table mode is an MCKP")
    b = cp.Variable(d.k, name="bits")
    loss = cp.sum(cp.multiply(d.sensitivity, cp.exp(-2.0 * math.log(2.0) * b)))
    cons = [d.sizes @ b <= d.capacity_bits, b >= d.b_min, b <= d.b_max]
    cons += [b[g[0]] == b[j] for g in d.ties for j in g[1:]]
    return cp.Problem(cp.Minimize(loss), cons), b


def to_mckp(d: BitAllocData):
    """Exact reduction to a maximising MCKP: value = (smallest error of the group) - error, weight = size in
    bits (integers), capacity = the bits left after overhead. Returns (MCKPData, offset, grid) with
    total error = offset - MCKP value."""
    from optalloc.engines.mckp_model import MCKPData


    # log2 of a level that is not a power of two is irrational: said before the tables are built (seconds at
    # model scale), not after
    fractional = not d.tables and d.grid == "levels" and d.b_max > d.b_min and bool(np.any(d.sizes > 0))
    bits, err, size, starts = (None,) * 4 if fractional else d.option_tables()
    if fractional or np.any(np.abs(size - np.round(size)) > 1e-9):
        raise UnsupportedProblemError("the MCKP path needs integer sizes; the level grid has fractional bits "
                                      "per group, use bitalloc.mip")
    cls = np.repeat(np.arange(d.k), np.diff(starts))
    # Each class's values are measured from its smallest error, not its largest: value = least - error <= 0.
    # From the largest (the error at b_min, often 10^4-10^6 times the optimum's) every state's value sum carried
    # that magnitude, and total = offset - value cancelled it away: at 200,000 groups the bound came out 3e-7
    # on the wrong side of a recomputed objective. From the smallest, a near-optimal state sums small numbers.
    top = np.minimum.reduceat(err, starts[:-1])
    values = top[cls] - err
    cap = math.floor(d.capacity_bits + 1e-9 * max(1.0, abs(d.capacity_bits)))
    if cap < 0:
        cap = -1
    data = MCKPData(values, np.round(size).astype(np.int64), starts.astype(np.int64), max(cap, 0), list(d.ties))
    return data, float(top.sum()), bits


def arrays(instance: Instance, deadline=None) -> LinearModel:
    """The multiple-choice MIP (one option per group, bits within the budget). With `deadline`, a build the
    time left cannot cover is not begun (options.LimitReached)."""
    from optalloc.engines.mckp_model import multiple_choice

    d = instance.data
    options = len(d.opt_bits) if d.tables else d.k * len(d.grid_bits())
    check_build(deadline, 4 * options)  # the option tables, then the model's two entries per option
    bits, err, size, starts = d.option_tables()
    return multiple_choice(starts, err, size, d.capacity_bits, d.ties, "min", "budget", deadline)


@builds_from("arrays", "decode", "encode")
def mip(instance: Instance):
    """The same MIP as `arrays`, as a Pyomo model to print and change."""
    import pyomo.environ as pyo

    d = instance.data
    bits, err, size, starts = d.option_tables()
    pairs = [(j, k) for j in range(d.k) for k in range(int(starts[j + 1] - starts[j]))]
    m = pyo.ConcreteModel(name=instance.name)
    m.G = pyo.RangeSet(0, d.k - 1)
    m.O = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.x = pyo.Var(m.O, domain=pyo.Binary)
    m.error = pyo.Objective(expr=sum(float(err[starts[j] + k]) * m.x[j, k] for j, k in pairs), sense=pyo.minimize)
    m.budget = pyo.Constraint(expr=sum(float(size[starts[j] + k]) * m.x[j, k] for j, k in pairs) <= d.capacity_bits)
    m.choose = pyo.Constraint(m.G, rule=lambda mm, j: sum(mm.x[j, k] for k in range(int(starts[j + 1] - starts[j])))
                              == 1)
    rows = [(g, j, k) for g, grp in enumerate(d.ties) for j in grp[1:] for k in range(int(starts[j + 1] - starts[j]))]
    if rows:
        first = {g: grp[0] for g, grp in enumerate(d.ties)}
        m.T = pyo.Set(initialize=rows, dimen=3, ordered=True)
        m.tie = pyo.Constraint(m.T, rule=lambda mm, g, j, k: mm.x[first[g], k] - mm.x[j, k] == 0)
    return m


def decode(instance: Instance, x: np.ndarray) -> dict:
    """The solution (bits per group) of a column vector `x` of the bit-allocation MIP of `instance`."""
    d = instance.data
    _, _, _, starts = d.option_tables()
    cls = np.repeat(np.arange(d.k), np.diff(starts))
    on = np.flatnonzero(np.rint(x) > 0)
    option = np.zeros(d.k, dtype=np.int64)
    option[cls[on]] = on - starts[cls[on]]
    return d.solution_from_options(option)


def encode(instance: Instance, solution: dict) -> np.ndarray:
    """decode's inverse: a solution in problem terms as a column vector of `arrays` (a MIP start)."""
    d = instance.data
    _, _, _, starts = d.option_tables()
    x = np.zeros(int(starts[-1]))
    x[starts[:-1] + np.asarray(d.option_index(solution), dtype=np.int64)] = 1.0
    return x


# the bitalloc kind's formulation (Problem.formulation)
BIT_ALLOCATION = Formulation(arrays, mip, decode, encode)
