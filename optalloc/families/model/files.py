"""Model files: .mps and .lp, read and written through HiGHS (its readers are the reference for both)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from optalloc.errors import FormatError
from optalloc.instances.format import Instance
from optalloc.models.linear import LinearModel


def read_linear_model(path) -> LinearModel:
    """The model in an .mps or .lp file, read by HiGHS (the reference reader for both formats) and taken as HiGHS
    reads it, or refused with the true reason (FormatError, exit 2):
      - a file HiGHS cannot read: HiGHS's own error lines;
      - a file HiGHS reads with warnings (tiny entries dropped, duplicates ignored): read, each warning on stderr
        and in the instance's meta["reader_warnings"];
      - a NaN or infinite objective or matrix coefficient, or a NaN bound: named by row and column (NaN passes
        every comparison, so a row check would never see it);
      - what the linear_model kind cannot state: a quadratic objective, semi-continuous or semi-integer columns.
        They are refused: solved as something else (the objective without its quadratic part, a semi-continuous
        column as an integer one) they gave false optima."""
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
    if hessian.dim_ > 0 and np.any(np.asarray(hessian.value_, dtype=float) != 0):
        raise FormatError("objective", f"is quadratic ({int(np.count_nonzero(hessian.value_))} Hessian entries); "
                          f"optalloc's linear_model kind is linear, and solving the file without its quadratic part "
                          f"would answer another problem: solve it with HiGHS's QP solver directly", source=str(path))
    types = list(lp.integrality_)
    semi = [j for j, t in enumerate(types) if t in (highspy.HighsVarType.kSemiContinuous,
                                                    highspy.HighsVarType.kSemiInteger)]
    if semi:
        raise FormatError(f"column {col(semi[0])}", f"is semi-continuous or semi-integer (0, or within its bounds), "
                          f"as are {len(semi)} column(s) in all; optalloc's linear_model kind has no such columns, and "
                          f"reading them as integers gave false optima", source=str(path))
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
    integer = np.array([t == highspy.HighsVarType.kInteger for t in types], dtype=bool) if types \
        else np.zeros(n, dtype=bool)
    sense = "max" if lp.sense_ == highspy.ObjSense.kMaximize else "min"
    model = LinearModel(sense, c, A, np.asarray(lp.row_lower_, dtype=float), np.asarray(lp.row_upper_, dtype=float),
                        np.asarray(lp.col_lower_, dtype=float), np.asarray(lp.col_upper_, dtype=float), integer,
                        col_names, row_names, float(lp.offset_))
    model.reader_warnings = warnings
    return model


def read_model(path) -> list[Instance]:
    """An .mps or .lp file as one instance of the problem kind linear_model, named after the file."""
    lm = read_linear_model(path)
    meta = {"source": str(path)}
    if getattr(lm, "reader_warnings", None):
        meta["reader_warnings"] = lm.reader_warnings
    return [Instance("linear_model", Path(path).stem, lm, None, meta)]


def write_model(instances, path, *, overwrite: bool = False):
    """Write the one linear model of `instances` to `path` as .mps or .lp (by its suffix); an existing file is an
    error unless `overwrite`."""
    (inst,) = list(instances) or [None]
    if inst is None:
        raise FormatError("--to", "needs exactly one model to write")
    return inst.data.write(str(path), overwrite=overwrite)
