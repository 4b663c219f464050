"""LinearModel: an LP/MIP as arrays (objective, sparse rows, bounds, integrality, names).

It is the hand-off between formulations and backends: vectorised builders produce it directly, Pyomo
models are converted into it (`from_pyomo`), and the HiGHS adapter and the MPS/LP writer consume it."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from optalloc.errors import OptionError, UnsupportedProblemError

if TYPE_CHECKING:
    from optalloc.options import Deadline, SolveOptions
    from optalloc.solvers.highs import LinearOutcome

INF = float("inf")


class LazyNames(Sequence):
    """Column or row names made only when read. Solving never reads them; a Python string per column is
    most of a large build's time (16 M names: 10 s of a 4000 x 4000 assignment), so builders hand over
    the recipe, and export, `canonical` or a user who inspects the model pay for it. `parts` are lists or
    functions returning lists, joined in order."""

    def __init__(self, *parts):
        self._parts = parts
        self._names: list[str] | None = None

    def _list(self) -> list[str]:
        if self._names is None:
            out: list[str] = []
            for part in self._parts:
                out.extend(part() if callable(part) else part)
            self._names, self._parts = out, ()
        return self._names

    def __len__(self) -> int:
        return len(self._list())

    def __getitem__(self, i):
        return self._list()[i]

    def __iter__(self):
        return iter(self._list())

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def __repr__(self) -> str:
        return "LazyNames(...)" if self._names is None else f"LazyNames({self._names[:3]}...)"


# Building a model's arrays costs about 1e-7 s per nonzero on the reference machine (2 cores): 3.2 s for the
# 32 M nonzeros of a 4000 x 4000 assignment, 12 s for a 152 M nonzero bit allocation before its CSR was built
# directly. A build that the time left cannot cover is not begun (the limit counts from the method's start).
SECONDS_PER_NONZERO = 1.5e-7


def symmetric_from_lower(low) -> sp.csr_matrix:
    """The symmetric Q whose lower triangle (diagonal included) is `low`: Q = L + L' - diag(L). HiGHS and the
    instance format both keep one triangle of the objective's Hessian; LinearModel keeps the whole matrix."""
    low = sp.csr_matrix(low)
    return (low + low.T - sp.diags(low.diagonal())).tocsr()


def check_build(deadline, nonzeros: float, what: str = "building the model") -> None:
    """Raise LimitReached when `deadline` (None: no limit) cannot cover a build of `nonzeros` entries."""
    if deadline is not None:
        deadline.require(SECONDS_PER_NONZERO * float(nonzeros), f"{what} ({nonzeros:.3g} nonzeros)")


def pair_names(prefix: str, a, b) -> LazyNames:
    """prefix_a_b for paired index arrays, made when read."""
    return LazyNames(lambda: [f"{prefix}_{x}_{y}" for x, y in zip(np.asarray(a).tolist(), np.asarray(b).tolist())])


def range_names(prefix: str, n: int) -> LazyNames:
    """prefix_0 ... prefix_{n-1}, made when read."""
    return LazyNames(lambda: [f"{prefix}_{i}" for i in range(n)])


def kept_names(names, keep) -> LazyNames:
    """The names whose `keep` entry is true (rows dropped from a block), made when read."""
    return LazyNames(lambda: [nm for nm, k in zip(names, np.asarray(keep).tolist()) if k])


@dataclass
class LinearModel:
    """A linear or mixed-integer model as arrays: objective, sparse rows with lower and upper bounds, column
    bounds, integrality, sense and offset, names, and an optional MIP start; what the vectorised builders make
    and HiGHS and CP-SAT solve."""

    sense: str  # "max" or "min"
    c: np.ndarray  # objective coefficients (n,)
    A: sp.csr_matrix  # (m, n)
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray  # bool (n,)
    col_names: Sequence[str] = field(default_factory=list)  # a list, or LazyNames
    row_names: Sequence[str] = field(default_factory=list)
    offset: float = 0.0
    start: np.ndarray | None = None  # a feasible point to start a MIP from (HiGHS's setSolution), or None
    # Semi-continuous columns (semi-integer when also `integer`): x_j = 0, or col_lo <= x_j <= col_hi. None: none.
    semi: np.ndarray | None = None
    # The objective's quadratic part: c x + x'Qx / 2 + offset, Q symmetric (scipy sparse, n x n). None: linear.
    Q: sp.csr_matrix | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape

    @property
    def has_semi(self) -> bool:
        return self.semi is not None and bool(np.any(self.semi))

    @property
    def quadratic(self) -> bool:
        return self.Q is not None and self.Q.nnz > 0 and bool(np.any(self.Q.data != 0))

    @property
    def discrete(self) -> bool:
        """Whether a branch and bound is needed: integer or semi-continuous columns."""
        return bool(self.integer.any()) or self.has_semi

    def column_types(self) -> np.ndarray:
        """HiGHS's integrality per column: 0 continuous, 1 integer, 2 semi-continuous, 3 semi-integer."""
        kinds = self.integer.astype(np.int32)
        if self.has_semi:
            kinds = kinds + 2 * np.asarray(self.semi, dtype=np.int32)
        return kinds

    def relaxed(self) -> "LinearModel":
        """The continuous relaxation (integrality dropped; a semi-continuous column spans 0 and its range)."""
        lo, hi = self.col_lo, self.col_hi
        if self.has_semi:
            lo, hi = np.where(self.semi, np.minimum(lo, 0.0), lo), np.where(self.semi, np.maximum(hi, 0.0), hi)
        return LinearModel(self.sense, self.c, self.A, self.row_lo, self.row_hi, lo, hi,
                           np.zeros_like(self.integer), self.col_names, self.row_names, self.offset, Q=self.Q)

    def canonical(self) -> dict:
        """Columns and rows keyed by name, for comparing two builds of one formulation."""
        A = self.A.tocsr()
        rows = {}
        for r, name in enumerate(self.row_names):
            lo, hi = A.indptr[r], A.indptr[r + 1]
            coefs = {self.col_names[j]: float(v) for j, v in zip(A.indices[lo:hi], A.data[lo:hi]) if v != 0}
            rows[name] = (float(self.row_lo[r]), float(self.row_hi[r]), coefs)
        kinds = self.column_types()
        cols = {name: (float(self.c[j]), float(self.col_lo[j]), float(self.col_hi[j]), bool(self.integer[j]))
                + (("semi",) if kinds[j] >= 2 else ()) for j, name in enumerate(self.col_names)}
        out = {"sense": self.sense, "cols": cols, "rows": rows, "offset": float(self.offset)}
        if self.quadratic:
            q = sp.tril(self.Q).tocoo()
            out["Q"] = {(self.col_names[i], self.col_names[j]): float(v) for i, j, v in zip(q.row, q.col, q.data) if v}
        return out

    def write(self, path: str, *, overwrite: bool = False) -> None:
        """Write as .mps or .lp (format from the extension) through HiGHS, atomically."""
        import os
        import tempfile
        from pathlib import Path

        from optalloc.files import atomic_write_bytes
        from optalloc.solvers.highs import to_highs

        suffix = Path(path).suffix.lower()
        if suffix not in (".mps", ".lp"):
            raise OptionError(f"{path}: the model file must end in .mps or .lp")
        h = to_highs(self, names=True)
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = os.path.join(tmp, "model" + suffix)
            h.writeModel(tmp_path)
            atomic_write_bytes(path, Path(tmp_path).read_bytes(), overwrite=overwrite)


def safe_name(name: str) -> str:
    """Names that survive LP and MPS files: x[3,1] -> x(3,1) is not portable, so x_3_1."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "v"


def from_pyomo(model) -> tuple[LinearModel, list]:
    """Convert a linear Pyomo model into a LinearModel. Returns it with the Pyomo variables in column order,
    so a solution vector can be loaded back into the model. A fixed variable stays a column, its bounds pinned
    to its value (Pyomo would fold it into the constants, and the rows would no longer be the ones written)."""
    import pyomo.environ as pyo

    fixed = [v for v in model.component_data_objects(pyo.Var, active=True, descend_into=True) if v.fixed]
    for v in fixed:
        v.unfix()
    try:
        lm, variables = _from_pyomo(model)
    finally:
        for v in fixed:
            v.fix()
    at = {id(v): v.value for v in fixed}
    for j, v in enumerate(variables):
        if id(v) in at:
            lm.col_lo[j] = lm.col_hi[j] = at[id(v)]
    return lm, variables


def _from_pyomo(model) -> tuple[LinearModel, list]:
    """Convert a linear Pyomo model into a LinearModel. Returns it with the Pyomo variables in column order,
    so a solution vector can be loaded back into the model."""
    import pyomo.environ as pyo
    from pyomo.repn.standard_repn import generate_standard_repn


    variables = list(model.component_data_objects(pyo.Var, active=True, descend_into=True))
    col = {id(v): j for j, v in enumerate(variables)}

    def column(v) -> int:
        # a variable declared on a deactivated Block is still a column when an active row or the objective uses it
        j = col.get(id(v))
        if j is None:
            j = col[id(v)] = len(variables)
            variables.append(v)
        return j

    objs = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objs) != 1:
        raise UnsupportedProblemError(f"the model must have exactly one active objective, it has {len(objs)}")
    obj = objs[0]
    repn = generate_standard_repn(obj.expr, compute_values=True, quadratic=True)
    if repn.nonlinear_expr is not None or not (repn.is_linear() or repn.is_quadratic()):
        raise UnsupportedProblemError("the objective is neither linear nor quadratic")
    c_terms = [(column(v), coef) for v, coef in zip(repn.linear_vars, repn.linear_coefs)]
    q_terms = [(column(a), column(b), coef) for (a, b), coef in zip(repn.quadratic_vars or (), repn.quadratic_coefs or ())]
    offset = float(repn.constant or 0.0)
    rows, cols, vals, lo, hi, names = [], [], [], [], [], []
    for r, con in enumerate(model.component_data_objects(pyo.Constraint, active=True, descend_into=True)):
        cr = generate_standard_repn(con.body, compute_values=True)
        if not cr.is_linear():
            raise UnsupportedProblemError(f"constraint {con.name} is not linear")
        const = float(cr.constant or 0.0)
        for v, coef in zip(cr.linear_vars, cr.linear_coefs):
            rows.append(r)
            cols.append(column(v))
            vals.append(coef)
        lo.append(-INF if con.lower is None else pyo.value(con.lower) - const)
        hi.append(INF if con.upper is None else pyo.value(con.upper) - const)
        names.append(safe_name(con.name))
    n = len(variables)
    c = np.zeros(n)
    for j, coef in c_terms:
        c[j] += coef
    Q = None
    if q_terms:  # coef x_a x_b is half of (Q_ab + Q_ba) x_a x_b: Q_aa = 2 coef, Q_ab = Q_ba = coef
        qi = [a for a, b, _ in q_terms] + [b for a, b, _ in q_terms]
        qj = [b for a, b, _ in q_terms] + [a for a, b, _ in q_terms]
        qv = [float(k) for _, _, k in q_terms] * 2
        Q = sp.csr_matrix((qv, (qi, qj)), shape=(n, n))
        Q.sum_duplicates()
    A = sp.csr_matrix((vals, (rows, cols)), shape=(len(lo), n))
    A.sum_duplicates()
    col_lo = np.array([-INF if v.lb is None else v.lb for v in variables], dtype=float)
    col_hi = np.array([INF if v.ub is None else v.ub for v in variables], dtype=float)
    integer = np.array([v.is_integer() or v.is_binary() for v in variables], dtype=bool)
    sense = "max" if obj.sense == pyo.maximize else "min"
    lm = LinearModel(sense, c, A, np.array(lo, float), np.array(hi, float), col_lo, col_hi, integer,
                     [safe_name(v.name) for v in variables], names, offset, Q=Q)
    return lm, variables


def tie_rows(ties: list[list[int]], starts: np.ndarray, n_cols: int) -> tuple[sp.csr_matrix | None, list[str]]:
    """Rows x[first, k] - x[j, k] = 0 for every other member j of a tie group and every option k: the
    groups (classes) of a tie choose the same option index. Named tie_g_j_k."""
    tr, tc, tv, names = [], [], [], []
    r = 0
    for g, group in enumerate(ties):
        f = group[0]
        m = int(starts[f + 1] - starts[f])
        for j in group[1:]:
            rows = r + np.arange(m)
            tr += [rows, rows]
            tc += [starts[f] + np.arange(m), starts[j] + np.arange(m)]
            tv += [np.ones(m), -np.ones(m)]
            names += [f"tie_{g}_{j}_{k}" for k in range(m)]
            r += m
    if not r:
        return None, []
    block = sp.csr_matrix((np.concatenate(tv), (np.concatenate(tr), np.concatenate(tc))), shape=(r, n_cols))
    return block, names


def solve_pyomo(model, options: SolveOptions, deadline: Deadline) -> LinearOutcome:
    """Solve a linear Pyomo model on HiGHS through its arrays and load the values back into the model, so
    the user's model holds the answer; binaries and integers are rounded when loaded."""
    from optalloc.solvers.highs import solve_linear

    lm, variables = from_pyomo(model)
    lo = solve_linear(lm, options, deadline)
    if lo.x is not None:
        for var, val in zip(variables, lo.x):
            var.set_value(round(val) if var.is_integer() or var.is_binary() else val, skip_validation=True)
    return lo


@dataclass
class BuiltFrom:
    """What a family's Pyomo builder leaves on its model: the instance, and how to rebuild the same model as
    arrays and decode a column vector (in the arrays' column order) into the instance's terms."""

    instance: object
    arrays: object  # () -> LinearModel, the unchanged model
    decode: object  # (x) -> solution in problem terms
    encode: object = None  # (solution) -> x in the arrays' column order, or None (a MIP start); None: cannot


def builds_from(arrays: str, decode: str, encode: str | None = None):
    """Decorator for a Pyomo builder f(instance, ...): the model it returns remembers the instance it was built
    from and its twins (functions of f's module, by name, called with the builder's arguments), so that
    optalloc.solve_model can tell an unchanged model from a changed one and speak in the instance's terms."""
    import functools
    import sys

    def wrap(build):
        @functools.wraps(build)
        def built(instance, *args, **kwargs):
            model = build(instance, *args, **kwargs)
            here = sys.modules[build.__module__]
            model._optalloc_built = BuiltFrom(
                instance, functools.partial(getattr(here, arrays), instance, *args, **kwargs),
                functools.partial(getattr(here, decode), instance),
                None if encode is None else functools.partial(getattr(here, encode), instance))
            return model

        return built

    return wrap
