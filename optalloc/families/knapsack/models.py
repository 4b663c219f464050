"""Knapsack formulations, one per problem kind (each kind declares its own: Problem.formulation), each built two
ways that are tested equal:

  *_mip(instance)     -> a Pyomo ConcreteModel to print, change and solve through optalloc
  *_arrays(instance)  -> the same formulation as a LinearModel, built with numpy/scipy for highspy
  *_cpsat(instance)   -> a CP-SAT model with its variables

The generic mip, arrays, decode, encode and cpsat (optalloc.models) take an instance of any kind.

Column names: x_j (0-1, bounded, mkp) and x_i_j (class i, option j); rows: capacity, choose_i,
tie_g_c_j (class c of tie group g copies the first member's option j), budget_i."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from optalloc.engines.mckp_model import multiple_choice
from optalloc.instances.format import Instance
from optalloc.models import Formulation, arrays, cpsat, decode, encode, mip  # noqa: F401  (this module's API)
from optalloc.models.linear import INF, LinearModel, check_build, range_names


# ------------------------------------------------------------------ items: 0-1, bounded, multidimensional
# The three item models differ in two places only: each item's most copies (1, or its bound) and the budget rows
# (one capacity row, or one row per dimension). Each kind passes its own.
def _item_mip(instance: Instance, upper, rows):
    """`upper`: None for 0-1 columns, else each item's most copies; `rows(model)` adds the budget constraints."""
    import pyomo.environ as pyo

    d = instance.data
    m = pyo.ConcreteModel(name=instance.name)
    m.I = pyo.RangeSet(0, d.n - 1)
    if upper is None:
        m.x = pyo.Var(m.I, domain=pyo.Binary)
    else:
        m.x = pyo.Var(m.I, domain=pyo.NonNegativeIntegers, bounds=lambda _, j: (0, int(upper[j])))
    m.value = pyo.Objective(expr=sum(float(d.values[j]) * m.x[j] for j in m.I), sense=pyo.maximize)
    rows(m)
    return m


def _capacity_row(d):
    import pyomo.environ as pyo

    def add(m):
        m.capacity = pyo.Constraint(expr=sum(int(d.weights[j]) * m.x[j] for j in m.I) <= int(d.capacity))

    return add


def knapsack_mip(instance: Instance):
    """The 0-1 knapsack as a Pyomo model."""
    return _item_mip(instance, None, _capacity_row(instance.data))


def bounded_mip(instance: Instance):
    """The bounded knapsack as a Pyomo model (integer copies up to each item's bound)."""
    return _item_mip(instance, instance.data.bounds, _capacity_row(instance.data))


def mkp_mip(instance: Instance):
    """The multidimensional knapsack as a Pyomo model (one budget row per dimension)."""
    import pyomo.environ as pyo

    d = instance.data

    def budgets(m):
        m.B = pyo.RangeSet(0, d.m - 1)
        m.budget = pyo.Constraint(m.B, rule=lambda mm, i: sum(float(d.weights[i, j]) * mm.x[j] for j in mm.I)
                                  <= float(d.capacities[i]))

    return _item_mip(instance, None, budgets)


def _item_arrays(d, deadline, upper, A, row_hi, rows) -> LinearModel:
    """Columns x_j (0..upper_j) with the item values, rows A x <= row_hi; vectorised (no loop over items)."""
    n = d.n
    check_build(deadline, n * A.shape[0])
    A = sp.csr_matrix(A)
    A.eliminate_zeros()
    return LinearModel("max", d.values.astype(float), A, np.full(A.shape[0], -INF), row_hi, np.zeros(n), upper,
                       np.ones(n, dtype=bool), range_names("x", n), rows)


def knapsack_arrays(instance: Instance, deadline=None) -> LinearModel:
    """knapsack_mip as arrays. With `deadline`, a build the time left cannot cover is not begun
    (options.LimitReached)."""
    d = instance.data
    return _item_arrays(d, deadline, np.ones(d.n), d.weights.astype(float).reshape(1, -1),
                        np.array([float(d.capacity)]), ["capacity"])


def bounded_arrays(instance: Instance, deadline=None) -> LinearModel:
    """bounded_mip as arrays."""
    d = instance.data
    return _item_arrays(d, deadline, d.bounds.astype(float), d.weights.astype(float).reshape(1, -1),
                        np.array([float(d.capacity)]), ["capacity"])


def mkp_arrays(instance: Instance, deadline=None) -> LinearModel:
    """mkp_mip as arrays."""
    d = instance.data
    return _item_arrays(d, deadline, np.ones(d.n), d.weights.astype(float), d.capacities.astype(float),
                        range_names("budget", d.m))


def _rounded(x) -> np.ndarray:
    return np.rint(np.asarray(x, dtype=float)).astype(np.int64)


def items_decode(instance: Instance, x: np.ndarray) -> dict:
    """The chosen items of a 0-1 column vector (knapsack, mkp)."""
    return {"items": np.flatnonzero(_rounded(x) > 0).tolist()}


def items_encode(instance: Instance, solution: dict) -> np.ndarray:
    x = np.zeros(instance.data.n)
    x[np.asarray(solution["items"], dtype=np.int64)] = 1.0
    return x


def counts_decode(instance: Instance, x: np.ndarray) -> dict:
    """The copies of each item (bounded knapsack)."""
    return {"counts": _rounded(x).tolist()}


def counts_encode(instance: Instance, solution: dict) -> np.ndarray:
    return np.asarray(solution["counts"], dtype=float)


# ------------------------------------------------------------------ multiple choice
def mckp_mip(instance: Instance):
    """The multiple-choice knapsack as a Pyomo model: one option per class, tied classes choose alike."""
    import pyomo.environ as pyo

    d = instance.data
    m = pyo.ConcreteModel(name=instance.name)
    pairs = [(i, j) for i in range(d.k) for j in range(int(d.starts[i + 1] - d.starts[i]))]
    m.K = pyo.RangeSet(0, d.k - 1)
    m.O = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.x = pyo.Var(m.O, domain=pyo.Binary)
    m.value = pyo.Objective(expr=sum(float(d.values[d.starts[i] + j]) * m.x[i, j] for i, j in pairs),
                            sense=pyo.maximize)
    m.capacity = pyo.Constraint(expr=sum(int(d.weights[d.starts[i] + j]) * m.x[i, j] for i, j in pairs)
                                <= int(d.capacity))
    m.choose = pyo.Constraint(m.K, rule=lambda mm, i: sum(mm.x[i, j] for j in range(int(d.starts[i + 1] - d.starts[i])))
                              == 1)
    tie_rows = [(g, c, j) for g, group in enumerate(d.ties) for c in group[1:]
                for j in range(int(d.starts[c + 1] - d.starts[c]))]
    if tie_rows:
        first = {g: group[0] for g, group in enumerate(d.ties)}
        m.T = pyo.Set(initialize=tie_rows, dimen=3, ordered=True)
        m.tie = pyo.Constraint(m.T, rule=lambda mm, g, c, j: mm.x[first[g], j] - mm.x[c, j] == 0)
    return m


def mckp_arrays(instance: Instance, deadline=None) -> LinearModel:
    """mckp_mip as arrays (the MCKP engine's builder)."""
    d = instance.data
    return multiple_choice(d.starts, d.values, d.weights, float(d.capacity), d.ties, "max", "capacity", deadline)


def choice_decode(instance: Instance, x: np.ndarray) -> dict:
    """The option chosen in each class."""
    d = instance.data
    cls = np.repeat(np.arange(d.k), d.sizes())
    choice = np.zeros(d.k, dtype=np.int64)
    on = np.flatnonzero(_rounded(x) > 0)
    choice[cls[on]] = on - d.starts[cls[on]]
    return {"choice": choice.tolist()}


def choice_encode(instance: Instance, solution: dict) -> np.ndarray:
    d = instance.data
    x = np.zeros(int(d.starts[-1]))
    x[d.starts[:-1] + np.asarray(solution["choice"], dtype=np.int64)] = 1.0
    return x


# ------------------------------------------------------------------ CP-SAT
def _cp_values(d):
    from optalloc.solvers.cpsat import integer_scale

    scale = integer_scale(d.values)
    return np.rint(np.asarray(d.values, dtype=float) * scale).astype(np.int64).tolist(), scale


def _cp_model(d, variables, constrain):
    """(model, variables, scale): `variables(model)` makes the columns, `constrain(model, x)` adds the rows."""
    from ortools.sat.python import cp_model

    vals, scale = _cp_values(d)
    model = cp_model.CpModel()
    x = variables(model)
    constrain(model, x)
    model.Maximize(cp_model.LinearExpr.WeightedSum(x, vals))
    return model, x, scale


def _capacity(d):
    from ortools.sat.python import cp_model

    return lambda model, x: model.Add(cp_model.LinearExpr.WeightedSum(x, d.weights.tolist()) <= int(d.capacity))


def _booleans(n):
    return lambda model: [model.NewBoolVar(f"x_{j}") for j in range(n)]


def knapsack_cpsat(instance: Instance):
    """CP-SAT model of the 0-1 knapsack; returns (model, variables, scale) where objective = CP objective / scale."""
    d = instance.data
    return _cp_model(d, _booleans(d.n), _capacity(d))


def bounded_cpsat(instance: Instance):
    d = instance.data
    return _cp_model(d, lambda model: [model.NewIntVar(0, int(b), f"x_{j}") for j, b in enumerate(d.bounds)],
                     _capacity(d))


def mkp_cpsat(instance: Instance):
    from ortools.sat.python import cp_model

    from optalloc.solvers.cpsat import integer_scale

    d = instance.data

    def budgets(model, x):
        wscale = integer_scale(np.concatenate([d.weights.ravel(), d.capacities]))
        W = np.rint(d.weights * wscale).astype(np.int64)
        caps = np.floor(d.capacities * wscale + 1e-9).astype(np.int64)
        for i in range(d.m):
            model.Add(cp_model.LinearExpr.WeightedSum(x, W[i].tolist()) <= int(caps[i]))

    return _cp_model(d, _booleans(d.n), budgets)


def mckp_cpsat(instance: Instance):
    d = instance.data

    def rows(model, x):
        _capacity(d)(model, x)
        for i in range(d.k):
            model.AddExactlyOne(x[d.starts[i]:d.starts[i + 1]])
        for group in d.ties:
            f = group[0]
            for c in group[1:]:
                for j in range(int(d.starts[c + 1] - d.starts[c])):
                    model.Add(x[d.starts[f] + j] == x[d.starts[c] + j])

    return _cp_model(d, _booleans(len(d.values)), rows)


# each knapsack kind's formulation (declared by the kind: Problem.formulation in problems.py)
KNAPSACK = Formulation(knapsack_arrays, knapsack_mip, items_decode, items_encode, knapsack_cpsat)
BOUNDED = Formulation(bounded_arrays, bounded_mip, counts_decode, counts_encode, bounded_cpsat)
MKP = Formulation(mkp_arrays, mkp_mip, items_decode, items_encode, mkp_cpsat)
MCKP = Formulation(mckp_arrays, mckp_mip, choice_decode, choice_encode, mckp_cpsat)
