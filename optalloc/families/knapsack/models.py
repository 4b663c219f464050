"""Knapsack formulations, each built two ways that are tested equal:

  mip(instance)     -> a Pyomo ConcreteModel to print, change and solve through optalloc
  arrays(instance)  -> the same formulation as a LinearModel, built with numpy/scipy for highspy
  cpsat(instance)   -> a CP-SAT model with its variables

Column names: x_j (0-1, bounded, mkp) and x_i_j (class i, option j); rows: capacity, choose_i,
tie_g_c_j (class c of tie group g copies the first member's option j), budget_i."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from optalloc.errors import UnsupportedProblemError
from optalloc.instances.format import Instance
from optalloc.engines.mckp_model import multiple_choice
from optalloc.models.linear import INF, LinearModel, builds_from, check_build, range_names

PROBLEMS = ("knapsack", "bounded_knapsack", "mckp", "mkp")


def _check(instance: Instance) -> None:
    if instance.problem not in PROBLEMS:
        raise UnsupportedProblemError(f"the knapsack models do not cover {instance.problem!r}")


# ------------------------------------------------------------------ Pyomo
@builds_from("arrays", "decode", "encode")
def mip(instance: Instance):
    """The knapsack MIP as a Pyomo model (declarative and inspectable)."""
    import pyomo.environ as pyo

    _check(instance)
    d = instance.data
    m = pyo.ConcreteModel(name=instance.name)
    if instance.problem in ("knapsack", "mkp", "bounded_knapsack"):
        m.I = pyo.RangeSet(0, d.n - 1)
        if instance.problem == "bounded_knapsack":
            m.x = pyo.Var(m.I, domain=pyo.NonNegativeIntegers, bounds=lambda _, j: (0, int(d.bounds[j])))
        else:
            m.x = pyo.Var(m.I, domain=pyo.Binary)
        m.value = pyo.Objective(expr=sum(float(d.values[j]) * m.x[j] for j in m.I), sense=pyo.maximize)
        if instance.problem == "mkp":
            m.B = pyo.RangeSet(0, d.m - 1)
            m.budget = pyo.Constraint(m.B, rule=lambda mm, i: sum(float(d.weights[i, j]) * mm.x[j] for j in mm.I)
                                      <= float(d.capacities[i]))
        else:
            m.capacity = pyo.Constraint(expr=sum(int(d.weights[j]) * m.x[j] for j in m.I) <= int(d.capacity))
        return m
    # multiple-choice
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


# ------------------------------------------------------------------ arrays
def arrays(instance: Instance, deadline=None) -> LinearModel:
    """The same MIP as `mip`, built vectorised (no Python loop over items). With `deadline`, a build the time
    left cannot cover is not begun (options.LimitReached)."""
    _check(instance)
    d = instance.data
    p = instance.problem
    if p in ("knapsack", "bounded_knapsack", "mkp"):
        n = d.n
        check_build(deadline, n * (d.m if p == "mkp" else 1))
        names = range_names("x", n)
        hi = d.bounds.astype(float) if p == "bounded_knapsack" else np.ones(n)
        if p == "mkp":
            A = sp.csr_matrix(d.weights.astype(float))
            rows = range_names("budget", d.m)
            row_hi = d.capacities.astype(float)
        else:
            A = sp.csr_matrix(d.weights.astype(float).reshape(1, -1))
            rows = ["capacity"]
            row_hi = np.array([float(d.capacity)])
        A.eliminate_zeros()
        return LinearModel("max", d.values.astype(float), A, np.full(A.shape[0], -INF), row_hi, np.zeros(n), hi,
                           np.ones(n, dtype=bool), names, rows)
    return multiple_choice(d.starts, d.values, d.weights, float(d.capacity), d.ties, "max", "capacity", deadline)


def decode(instance: Instance, x: np.ndarray) -> dict:
    """A column vector (of `arrays` or `mip` order) in problem terms."""
    d = instance.data
    xi = np.rint(np.asarray(x, dtype=float)).astype(np.int64)
    if instance.problem in ("knapsack", "mkp"):
        return {"items": np.flatnonzero(xi > 0).tolist()}
    if instance.problem == "bounded_knapsack":
        return {"counts": xi.tolist()}
    sizes = d.sizes()
    cls = np.repeat(np.arange(d.k), sizes)
    choice = np.zeros(d.k, dtype=np.int64)
    on = np.flatnonzero(xi > 0)
    choice[cls[on]] = on - d.starts[cls[on]]
    return {"choice": choice.tolist()}


def encode(instance: Instance, solution: dict) -> np.ndarray:
    """decode's inverse: a solution in problem terms as a column vector of `arrays` (a MIP start)."""
    d = instance.data
    if instance.problem in ("knapsack", "mkp"):
        x = np.zeros(d.n)
        x[np.asarray(solution["items"], dtype=np.int64)] = 1.0
        return x
    if instance.problem == "bounded_knapsack":
        return np.asarray(solution["counts"], dtype=float)
    x = np.zeros(int(d.starts[-1]))
    x[d.starts[:-1] + np.asarray(solution["choice"], dtype=np.int64)] = 1.0
    return x


# ------------------------------------------------------------------ CP-SAT
def cpsat(instance: Instance):
    """CP-SAT model; returns (model, variables, scale) where objective = CP objective / scale."""
    from ortools.sat.python import cp_model

    from optalloc.solvers.cpsat import integer_scale

    _check(instance)
    d = instance.data
    scale = integer_scale(d.values)
    vals = np.rint(np.asarray(d.values, dtype=float) * scale).astype(np.int64).tolist()
    model = cp_model.CpModel()
    p = instance.problem
    if p in ("knapsack", "mkp"):
        x = [model.NewBoolVar(f"x_{j}") for j in range(d.n)]
        if p == "mkp":
            wscale = integer_scale(np.concatenate([d.weights.ravel(), d.capacities]))
            W = np.rint(d.weights * wscale).astype(np.int64)
            caps = np.floor(d.capacities * wscale + 1e-9).astype(np.int64)
            for i in range(d.m):
                model.Add(cp_model.LinearExpr.WeightedSum(x, W[i].tolist()) <= int(caps[i]))
        else:
            model.Add(cp_model.LinearExpr.WeightedSum(x, d.weights.tolist()) <= int(d.capacity))
    elif p == "bounded_knapsack":
        x = [model.NewIntVar(0, int(b), f"x_{j}") for j, b in enumerate(d.bounds)]
        model.Add(cp_model.LinearExpr.WeightedSum(x, d.weights.tolist()) <= int(d.capacity))
    else:
        x = [model.NewBoolVar(f"x_{q}") for q in range(len(d.values))]
        model.Add(cp_model.LinearExpr.WeightedSum(x, d.weights.tolist()) <= int(d.capacity))
        for i in range(d.k):
            model.AddExactlyOne(x[d.starts[i]:d.starts[i + 1]])
        for group in d.ties:
            f = group[0]
            for c in group[1:]:
                for j in range(int(d.starts[c + 1] - d.starts[c])):
                    model.Add(x[d.starts[f] + j] == x[d.starts[c] + j])
    model.Maximize(cp_model.LinearExpr.WeightedSum(x, vals))
    return model, x, scale
