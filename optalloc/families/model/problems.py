"""The problem kind `linear_model`: min or max c x + offset subject to row_lo <= A x <= row_hi,
col_lo <= x <= col_hi, x_j integer where `integer` says so. Its typed data is an optalloc LinearModel; a
solution is {"x": [a value per column]}.

Certification recomputes everything from the model's own data. With integral coefficients, bounds and a point
whose every entry is an integer, the check is exact (Python integers). Otherwise each row may be off by at most
FEASIBILITY_TOLERANCE x (1 + the sum of |a_ij x_j| over the row): the backend's own feasibility tolerance, scaled
by the row's coefficients as the backend scales them; anything beyond is a violation, never a warning."""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from optalloc.errors import InstanceError
from optalloc.models.linear import INF, LinearModel, symmetric_from_lower
from optalloc.problems import validate as v
from optalloc.problems.base import Evaluation, Problem, register_problem

FEASIBILITY_TOLERANCE = 1e-6  # HiGHS's primal and MIP feasibility tolerances are 1e-7 and 1e-6
INTEGRALITY_TOLERANCE = 0.0  # integer columns come back rounded: they must be integers exactly
EXACT = 2**53  # below this, sums of integer-valued floats are exact in float64


def _bounds(raw, where, n, default):
    if raw is None:
        return np.full(n, default)
    if not isinstance(raw, list) or len(raw) != n:
        raise InstanceError(where, f"must be a list of {n} numbers or nulls (null: unbounded)")
    out = np.empty(n)
    for i, x in enumerate(raw):
        if x is None:
            out[i] = default
        else:
            out[i] = v.finite_number(x, f"{where}[{i}]")
    return out


def _sparse(raw, where: str, shape: tuple[int, int]) -> sp.csr_matrix:
    """{shape: [m, n], rows: [...], cols: [...], vals: [...]} as a CSR matrix of `shape` (duplicates added)."""
    if not isinstance(raw, dict) or set(raw) != {"shape", "rows", "cols", "vals"}:
        raise InstanceError(where, "must be {shape: [m, n], rows: [...], cols: [...], vals: [...]}")
    if raw["shape"] != list(shape):
        raise InstanceError(f"{where}.shape", f"must be {list(shape)}", raw["shape"])
    rows = v.array_of(raw["rows"], f"{where}.rows", kind="int", nonempty=False)
    cols = v.array_of(raw["cols"], f"{where}.cols", kind="int", nonempty=False, length=len(rows))
    vals = v.array_of(raw["vals"], f"{where}.vals", kind="num", nonempty=False, length=len(rows))
    if len(rows) and (rows.min() < 0 or cols.min() < 0 or rows.max() >= shape[0] or cols.max() >= shape[1]):
        raise InstanceError(where, f"an entry lies outside the {shape[0]} x {shape[1]} matrix")
    matrix = sp.csr_matrix((vals.astype(float), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    return matrix


@register_problem("linear_model", "min", fields=("sense", "c", "offset", "A", "row_lo", "row_hi", "col_lo",
                                                 "col_hi", "integer", "col_names", "row_names", "semi",
                                                 "Q"))  # min: see sense_of
class LinearModelKind(Problem):
    """a linear or mixed-integer model of your own: rows, bounds, integrality, one objective (optionally
    semi-continuous columns, `semi`: 0 or within the column's bounds; and a convex quadratic part, `Q`: the
    objective is c x + x'Qx / 2 + offset, Q given by its lower triangle)"""

    field_docs = {"sense": "'min' or 'max'", "c": "n objective coefficients, one per column",
                  "A": "{shape: [m, n], rows: [...], cols: [...], vals: [...]}: the rows' entries",
                  "row_lo": "m numbers or null (no lower bound)", "row_hi": "m numbers or null",
                  "col_lo": "n numbers or null (default: no lower bound)", "col_hi": "n numbers or null",
                  "integer": "optional: n true/false", "semi": "optional: n true/false (0, or within the bounds)",
                  "Q": "optional: the objective's quadratic part x'Qx/2, lower triangle in the form of A",
                  "offset": "optional: the objective's constant", "col_names": "optional", "row_names": "optional"}
    example = {"sense": "max", "c": [1, 2], "A": {"shape": [1, 2], "rows": [0, 0], "cols": [0, 1], "vals": [1, 1]},
               "row_lo": [None], "row_hi": [4], "col_lo": [0, 0], "col_hi": [3, 3], "integer": [True, True]}
    solution_doc = '{"x": [a value per column]}'

    def parse_fields(self, d: dict, where: str) -> LinearModel:
        sense = v.field_of(d, "sense", where)
        if sense not in ("min", "max"):
            raise InstanceError(f"{where}.sense", "must be 'min' or 'max'", sense)
        c = v.array_of(v.field_of(d, "c", where), f"{where}.c", kind="num", nonempty=False).astype(float)
        n = len(c)
        A = v.field_of(d, "A", where)
        if not isinstance(A, dict) or set(A) != {"shape", "rows", "cols", "vals"}:
            raise InstanceError(f"{where}.A", "must be {shape: [m, n], rows: [...], cols: [...], vals: [...]}")
        shape = A["shape"]
        if not (isinstance(shape, list) and len(shape) == 2 and all(v._is_int(x) and x >= 0 for x in shape)):
            raise InstanceError(f"{where}.A.shape", "must be [rows, columns]", shape)
        m = int(shape[0])
        if int(shape[1]) != n:
            raise InstanceError(f"{where}.A.shape", f"must have {n} columns (one per entry of c)", shape)
        rows = v.array_of(A["rows"], f"{where}.A.rows", kind="int", nonempty=False)
        cols = v.array_of(A["cols"], f"{where}.A.cols", kind="int", nonempty=False, length=len(rows))
        vals = v.array_of(A["vals"], f"{where}.A.vals", kind="num", nonempty=False, length=len(rows))
        if len(rows) and (rows.max() >= m or cols.max() >= n):
            raise InstanceError(f"{where}.A", f"an entry lies outside the {m} x {n} matrix")
        matrix = sp.csr_matrix((vals.astype(float), (rows, cols)), shape=(m, n))
        matrix.sum_duplicates()
        integer = d.get("integer", [False] * n)
        if not isinstance(integer, list) or len(integer) != n or not all(isinstance(x, bool) for x in integer):
            raise InstanceError(f"{where}.integer", f"must be a list of {n} true/false")
        names = {}
        for key, count in (("col_names", n), ("row_names", m)):
            raw = d.get(key, [])
            if not isinstance(raw, list) or (raw and (len(raw) != count or not all(isinstance(x, str) for x in raw))):
                raise InstanceError(f"{where}.{key}", f"must be a list of {count} strings (or empty)")
            names[key] = raw
        offset = v.finite_number(d.get("offset", 0.0), f"{where}.offset")
        semi = d.get("semi")
        if semi is not None and (not isinstance(semi, list) or len(semi) != n
                                 or not all(isinstance(x, bool) for x in semi)):
            raise InstanceError(f"{where}.semi", f"must be a list of {n} true/false (true: 0, or within the bounds)")
        Q = None
        if d.get("Q") is not None:
            low = _sparse(d["Q"], f"{where}.Q", (n, n)).tocoo()
            if np.any(low.row < low.col):
                raise InstanceError(f"{where}.Q", "must list the lower triangle only (row >= column): the objective "
                                    "is c x + x'Qx / 2 with Q symmetric")
            Q = symmetric_from_lower(low)
        return LinearModel(sense, c, matrix, _bounds(d.get("row_lo"), f"{where}.row_lo", m, -INF),
                           _bounds(d.get("row_hi"), f"{where}.row_hi", m, INF),
                           _bounds(d.get("col_lo"), f"{where}.col_lo", n, -INF),
                           _bounds(d.get("col_hi"), f"{where}.col_hi", n, INF),
                           np.asarray(integer, dtype=bool), names["col_names"], names["row_names"], float(offset),
                           semi=None if semi is None or not any(semi) else np.asarray(semi, dtype=bool),
                           Q=Q if Q is not None and Q.nnz else None)

    def dump(self, lm: LinearModel) -> dict:
        A = lm.A.tocoo()

        def nums(a):
            return [None if not math.isfinite(x) else v.to_json_number(x) for x in np.asarray(a).tolist()]

        return {"sense": lm.sense, "c": nums(lm.c), "offset": v.to_json_number(lm.offset),
                "A": {"shape": list(A.shape), "rows": A.row.tolist(), "cols": A.col.tolist(), "vals": nums(A.data)},
                "row_lo": nums(lm.row_lo), "row_hi": nums(lm.row_hi), "col_lo": nums(lm.col_lo),
                "col_hi": nums(lm.col_hi), "integer": [bool(x) for x in lm.integer],
                "col_names": list(lm.col_names), "row_names": list(lm.row_names),
                **({"semi": [bool(x) for x in lm.semi]} if lm.has_semi else {}),
                **({"Q": _lower(lm.Q, nums)} if lm.quadratic else {})}

    def sense_of(self, lm: LinearModel) -> str:
        return lm.sense

    def evaluate(self, lm: LinearModel, solution) -> Evaluation:
        return evaluate_point(lm, solution.get("x") if isinstance(solution, dict) else None)

    def size(self, lm: LinearModel) -> dict:
        m, n = lm.shape
        out = {"rows": m, "columns": n, "integer": int(lm.integer.sum()), "nonzeros": int(lm.A.nnz)}
        if lm.has_semi:
            out["semi"] = int(np.sum(lm.semi))
        if lm.quadratic:
            out["quadratic"] = int(sp.tril(lm.Q).nnz)
        return out


def _lower(Q, nums) -> dict:
    low = sp.tril(Q).tocoo()
    return {"shape": list(low.shape), "rows": low.row.tolist(), "cols": low.col.tolist(), "vals": nums(low.data)}


def _name(names, j, what):
    return f"{what} {names[j]!r}" if len(names) > j else f"{what} {j}"


def evaluate_point(lm: LinearModel, raw) -> Evaluation:
    """The objective and every violated bound, integrality or row of the point `raw`, from the model's data."""
    m, n = lm.shape
    if not isinstance(raw, (list, np.ndarray)) or len(raw) != n:
        return Evaluation(float("nan"), [f"solution.x: must be a list of {n} values (one per column)"])
    x = np.asarray(raw, dtype=float)
    if not np.all(np.isfinite(x)):
        return Evaluation(float("nan"), ["solution.x: every value must be finite"])
    problems = []
    for j in np.flatnonzero(lm.integer & (x != np.round(x)))[:3]:
        problems.append(f"{_name(lm.col_names, j, 'column')}: integer, is {float(x[j])!r}")
    tol_col = FEASIBILITY_TOLERANCE * np.maximum(1.0, np.abs(x))
    within = (x >= lm.col_lo - tol_col) & (x <= lm.col_hi + tol_col)
    if lm.has_semi:  # a semi-continuous column may also be exactly 0
        within |= np.asarray(lm.semi, dtype=bool) & (x == 0)
    for j in np.flatnonzero(~within)[:3]:
        problems.append(f"{_name(lm.col_names, j, 'column')}: {float(x[j])!r} outside its bounds "
                        f"[{float(lm.col_lo[j])!r}, {float(lm.col_hi[j])!r}]")
    A = lm.A.tocsr()
    magnitude = abs(A).dot(np.abs(x))  # sum of |a_ij x_j| per row: the exactness test and the tolerance
    integral = (np.all(x == np.round(x)) and np.all(A.data == np.round(A.data))
                and float(magnitude.max(initial=0.0)) < EXACT)
    activity = A.dot(x)
    if integral:  # every product and partial sum is an integer below 2^53: the activity is exact
        tol_row = np.zeros(m)
    else:
        tol_row = FEASIBILITY_TOLERANCE * (1.0 + magnitude)
    # written as "not within" so that a NaN (a NaN coefficient, or inf times 0) is a violation: NaN passes every
    # "outside" comparison
    bad = np.flatnonzero(~((activity >= lm.row_lo - tol_row) & (activity <= lm.row_hi + tol_row)))
    for i in bad[:3]:
        problems.append(f"{_name(lm.row_names, i, 'row')}: activity {float(activity[i])!r} outside "
                        f"[{float(lm.row_lo[i])!r}, {float(lm.row_hi[i])!r}] (tolerance {tol_row[i]:.3g})")
    if len(bad) > 3:
        problems.append(f"... and {len(bad) - 3} more rows")
    c_integral = np.all(lm.c == np.round(lm.c)) and float(np.abs(lm.c).dot(np.abs(x))) < EXACT
    objective = float(lm.c.dot(x)) + lm.offset
    if lm.quadratic:
        objective += 0.5 * float(x.dot(lm.Q.dot(x)))
    if not math.isfinite(objective):
        problems.append(f"objective: {objective!r}, not a finite number")
    if integral and c_integral and float(lm.offset).is_integer() and not lm.quadratic:
        objective = float(sum(int(a) * int(b) for a, b in zip(lm.c[x != 0].tolist(), x[x != 0].tolist()))
                          + int(lm.offset))
    return Evaluation(objective, problems)
