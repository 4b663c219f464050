"""Model files: .mps and .lp, read and written through HiGHS (its readers are the reference for both)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from optalloc.errors import FormatError
from optalloc.instances.format import Instance
from optalloc.models.linear import LinearModel, symmetric_from_lower


def read_linear_model(path) -> LinearModel:
    """The model in an .mps or .lp file (see _read)."""
    return _read(path)[0]


def _read(path) -> tuple[LinearModel, list[str]]:
    """The model in an .mps or .lp file and the warnings HiGHS gave reading it, read by HiGHS (the reference reader for both formats) and taken as HiGHS
    reads it, or refused with the true reason (FormatError, exit 2):
      - a file HiGHS cannot read: HiGHS's own error lines;
      - a file HiGHS reads with warnings (tiny entries dropped, duplicates ignored): read, each warning on stderr
        and in the instance's meta["reader_warnings"];
      - a NaN or infinite objective, matrix or Hessian coefficient, or a NaN bound: named by row and column (NaN
        passes every comparison, so a row check would never see it);
      - semi-continuous and semi-integer columns (0, or within their bounds) and a quadratic objective are read as
        such (read as integers, or without the quadratic part, they once gave false optima); whether HiGHS can
        solve what was read (a convex QP on continuous columns) is the solve's to say."""
    import highspy

    from optalloc.solvers.highs import new_highs

    path = Path(path)
    if path.suffix.lower() not in (".mps", ".lp"):
        raise FormatError("file name", "must end in .mps or .lp (the model format)", path.name, source=str(path))
    if not path.is_file():
        raise FormatError("file", "cannot be read (no such file, or not a file)", source=str(path))
    h = new_highs()
    said: list[str] = []
    h.setOptionValue("output_flag", True)  # HiGHS's messages come to the callback, never to the console
    h.setOptionValue("log_to_console", False)
    h.cbLogging.subscribe(lambda e: said.append(" ".join(e.message.split())))
    status = h.readModel(str(path))
    kind = path.suffix[1:].upper()
    if status == highspy.HighsStatus.kError:
        errors = [m for m in said if m.startswith("ERROR")] or said
        reason = "; ".join(errors[:3]) if errors else "HiGHS reports an error and gives no reason"
        raise FormatError("file", f"is not a valid {kind} model (HiGHS cannot read it: {reason})"[:600], source=str(path))
    warnings = [m for m in said if m.startswith("WARNING")]
    for w in warnings:
        print(f"optalloc: {path}: HiGHS: {w}", file=sys.stderr)
    lp = h.getLp()
    n, m = lp.num_col_, lp.num_row_
    a = lp.a_matrix_
    A = sp.csc_matrix((np.asarray(a.value_, dtype=float), np.asarray(a.index_, dtype=np.int64),
                       np.asarray(a.start_, dtype=np.int64)), shape=(m, n)).tocsr()
    col_names, row_names = list(lp.col_names_), list(lp.row_names_)

    def col(j):
        return repr(col_names[j]) if j < len(col_names) and col_names[j] else f"{j}"

    def row(i):
        return repr(row_names[i]) if i < len(row_names) and row_names[i] else f"{i}"

    hessian = h.getModel().hessian_
    Q = None
    if hessian.dim_ > 0 and len(hessian.value_):
        # HiGHS keeps one triangle (column-wise); the model keeps the symmetric matrix: Q = L + L' - diag(L)
        L = sp.csc_matrix((np.asarray(hessian.value_, dtype=float), np.asarray(hessian.index_, dtype=np.int64),
                           np.asarray(hessian.start_, dtype=np.int64)), shape=(n, n))
        if not np.all(np.isfinite(L.data)):
            k = int(np.flatnonzero(~np.isfinite(L.data))[0])
            coo = L.tocoo()
            raise FormatError(f"objective, columns {col(int(coo.row[k]))} and {col(int(coo.col[k]))}",
                              f"has quadratic coefficient {float(coo.data[k])!r}; coefficients must be finite numbers",
                              source=str(path))
        if np.any(L.data != 0):
            Q = symmetric_from_lower(L)
    types = [int(t) for t in lp.integrality_] if len(lp.integrality_) else [0] * n
    known = {0, 1, 2, 3}  # continuous, integer, semi-continuous, semi-integer: what HiGHS reads
    odd = [j for j, t in enumerate(types) if t not in known]
    if odd:
        raise FormatError(f"column {col(odd[0])}", f"has a column type ({types[odd[0]]}) optalloc does not know",
                          source=str(path))
    c = np.asarray(lp.col_cost_, dtype=float)
    bad = np.flatnonzero(~np.isfinite(c))
    if len(bad):
        raise FormatError(f"column {col(int(bad[0]))}", f"has objective coefficient {float(c[bad[0]])!r}; coefficients must "
                          f"be finite numbers", source=str(path))
    coo = A.tocoo()
    bad = np.flatnonzero(~np.isfinite(coo.data))
    if len(bad):
        k = int(bad[0])
        raise FormatError(f"row {row(int(coo.row[k]))}, column {col(int(coo.col[k]))}",
                          f"has coefficient {float(coo.data[k])!r}; coefficients must be finite numbers", source=str(path))
    bounds = {"row lower bound": (lp.row_lower_, row), "row upper bound": (lp.row_upper_, row),
              "column lower bound": (lp.col_lower_, col), "column upper bound": (lp.col_upper_, col)}
    for what, (values, name) in bounds.items():
        bad = np.flatnonzero(np.isnan(np.asarray(values, dtype=float)))
        if len(bad):
            raise FormatError(f"{what.split()[0]} {name(int(bad[0]))}", f"has a NaN {what.split(' ', 1)[1]}",
                              source=str(path))
    if not np.isfinite(lp.offset_):
        raise FormatError("objective", f"has constant {lp.offset_!r}; it must be a finite number", source=str(path))
    kinds = np.asarray(types, dtype=np.int64)
    integer = (kinds == 1) | (kinds == 3)
    semi = kinds >= 2
    sense = "max" if lp.sense_ == highspy.ObjSense.kMaximize else "min"
    model = LinearModel(sense, c, A, np.asarray(lp.row_lower_, dtype=float), np.asarray(lp.row_upper_, dtype=float),
                        np.asarray(lp.col_lower_, dtype=float), np.asarray(lp.col_upper_, dtype=float), integer,
                        col_names, row_names, float(lp.offset_), semi=semi if semi.any() else None, Q=Q)
    return model, warnings


def read_model(path) -> list[Instance]:
    """An .mps or .lp file as one instance of the problem kind linear_model, named after the file."""
    lm, warnings = _read(path)
    meta = {"source": str(path)}
    if warnings:
        meta["reader_warnings"] = warnings
    return [Instance("linear_model", Path(path).stem, lm, None, meta)]


def write_model(instances, path, *, overwrite: bool = False):
    """Write the one linear model of `instances` to `path` as .mps or .lp (by its suffix); an existing file is an
    error unless `overwrite`."""
    (inst,) = list(instances) or [None]
    if inst is None:
        raise FormatError("--to", "needs exactly one model to write")
    return inst.data.write(str(path), overwrite=overwrite)
