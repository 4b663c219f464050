"""The run functions of model.highs and model.cpsat: a linear_model instance (an optalloc LinearModel) in, a
claim out. Integer columns come back rounded, so the point optalloc certifies is the point returned."""
from __future__ import annotations

import math

import numpy as np

from optalloc.errors import UnsupportedProblemError
from optalloc.options import Deadline, SolveOptions
from optalloc.result import Outcome
from optalloc.status import Status


def _rounded(lm, x):
    x = np.asarray(x, dtype=float).copy()
    x[lm.integer] = np.round(x[lm.integer]) + 0.0  # + 0.0: no -0.0 in the answer
    if lm.has_semi:  # a semi-continuous column HiGHS left within its tolerance of 0 is off: exactly 0
        off = np.asarray(lm.semi, dtype=bool) & (np.abs(x) <= 1e-6) & (lm.col_lo > 1e-6)
        x[off] = 0.0
    return x


def run_highs(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with HiGHS (LP or MIP) under `options`
    (SolveOptions) and `deadline` (the limit's clock, started with the method) and returns the claim as an
    Outcome, which solve certifies."""
    from optalloc.solvers.highs import solve_linear

    lm = instance.data
    try:
        lo = solve_linear(lm, options, deadline)
    except UnsupportedProblemError as e:  # a refusal names the model it refuses (a file's, or the user's)
        raise UnsupportedProblemError(f"{instance.meta.get('source') or instance.name}: {e}") from None
    if lo.x is None or lo.status == Status.INFEASIBLE:
        return Outcome.from_backend(lo, None, None, lo.bound)
    return Outcome.from_backend(lo, {"x": _rounded(lm, lo.x).tolist()}, lo.objective, lo.bound)


def cp_model_of(lm):
    """The model as CP-SAT integers: every column integer with finite bounds; each row scaled by the power of
    ten that makes its coefficients integers (at most 6 decimals, as written), its bounds rounded inward
    (exact: the activity of integer columns is an integer); the objective scaled the same way.
    Returns (model, variables, objective scale)."""
    from ortools.sat.python import cp_model

    from optalloc.solvers.cpsat import integer_scale

    if lm.has_semi or lm.quadratic:
        raise UnsupportedProblemError("model.cpsat takes linear models with integer columns; this one has "
                                      + ("semi-continuous columns" if lm.has_semi else "a quadratic objective")
                                      + " (use model.highs)")
    if not lm.integer.all():
        raise UnsupportedProblemError(f"model.cpsat solves integer models only; {int((~lm.integer).sum())} of the "
                                      f"{len(lm.integer)} columns are continuous (use model.highs)")
    if not (np.all(np.isfinite(lm.col_lo)) and np.all(np.isfinite(lm.col_hi))):
        raise UnsupportedProblemError("model.cpsat needs finite bounds on every column (use model.highs)")
    model = cp_model.CpModel()
    lo, hi = np.ceil(lm.col_lo - 1e-9), np.floor(lm.col_hi + 1e-9)
    if np.any(np.abs(np.concatenate([lo, hi])) > 2**62):
        raise UnsupportedProblemError("model.cpsat: a column bound does not fit CP-SAT's 64-bit integers")
    xs = [model.NewIntVar(int(a), int(b), f"x{j}") for j, (a, b) in enumerate(zip(lo.tolist(), hi.tolist()))]
    A = lm.A.tocsr()
    for i in range(A.shape[0]):
        cols, vals = A.indices[A.indptr[i]:A.indptr[i + 1]], A.data[A.indptr[i]:A.indptr[i + 1]]
        s = integer_scale(vals) if len(vals) else 1
        coefs = np.round(vals * s).astype(np.int64).tolist()
        expr = sum(c * xs[j] for c, j in zip(coefs, cols.tolist()))
        r_lo, r_hi = lm.row_lo[i] * s, lm.row_hi[i] * s
        if math.isfinite(r_lo):
            model.Add(expr >= int(math.ceil(r_lo - 1e-9 * max(1.0, abs(r_lo)))))
        if math.isfinite(r_hi):
            model.Add(expr <= int(math.floor(r_hi + 1e-9 * max(1.0, abs(r_hi)))))
    scale = integer_scale(lm.c) if len(lm.c) else 1
    obj = sum(int(c) * xs[j] for j, c in enumerate(np.round(lm.c * scale).astype(np.int64).tolist()) if c)
    (model.Maximize if lm.sense == "max" else model.Minimize)(obj)
    return model, xs, scale


def run_cpsat(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with CP-SAT, for integer models whose rows scale
    exactly to integers under `options` (SolveOptions) and `deadline` (the limit's clock, started with the
    method) and returns the claim as an Outcome, which solve certifies."""
    from optalloc.solvers.cpsat import solve_cp

    lm = instance.data
    model, xs, scale = cp_model_of(lm)
    co = solve_cp(model, options, deadline, scale=scale)
    if not co.has_solution:
        return Outcome.from_backend(co, None, None, None if co.bound is None else co.bound + lm.offset)
    x = [float(co.solver.Value(v)) for v in xs]
    return Outcome.from_backend(co, {"x": x}, co.objective + lm.offset,
                                None if co.bound is None else co.bound + lm.offset)


def cp_model_export(instance):
    """The CP-SAT model of `instance` (what optalloc export writes for model.cpsat)."""
    return cp_model_of(instance.data)[0]
