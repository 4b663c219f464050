"""Model files: .mps and .lp, read and written through HiGHS (its readers are the reference for both)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from optalloc.errors import FormatError
from optalloc.instances.format import Instance
from optalloc.models.linear import LinearModel


def read_linear_model(path) -> LinearModel:
    """The model in an .mps or .lp file; a file HiGHS cannot read is a FormatError naming it."""
    import highspy

    from optalloc.solvers.highs import _stdout_to, new_highs

    path = Path(path)
    if path.suffix.lower() not in (".mps", ".lp"):
        raise FormatError("file name", "must end in .mps or .lp (the model format)", path.name, source=str(path))
    if not path.is_file():
        raise FormatError("file", "cannot be read (no such file, or not a file)", source=str(path))
    h = new_highs()
    with _stdout_to("devnull"):  # HiGHS reports parse errors on file descriptor 1
        status = h.readModel(str(path))
    if status != highspy.HighsStatus.kOk:
        raise FormatError("file", f"is not a valid {path.suffix[1:].upper()} model (HiGHS cannot read it: {status.name})",
                          source=str(path))
    lp = h.getLp()
    n, m = lp.num_col_, lp.num_row_
    a = lp.a_matrix_
    A = sp.csc_matrix((np.asarray(a.value_, dtype=float), np.asarray(a.index_, dtype=np.int64),
                       np.asarray(a.start_, dtype=np.int64)), shape=(m, n)).tocsr()
    integer = np.array([t != highspy.HighsVarType.kContinuous for t in lp.integrality_], dtype=bool) \
        if len(lp.integrality_) else np.zeros(n, dtype=bool)
    sense = "max" if lp.sense_ == highspy.ObjSense.kMaximize else "min"
    return LinearModel(sense, np.asarray(lp.col_cost_, dtype=float), A, np.asarray(lp.row_lower_, dtype=float),
                       np.asarray(lp.row_upper_, dtype=float), np.asarray(lp.col_lower_, dtype=float),
                       np.asarray(lp.col_upper_, dtype=float), integer, list(lp.col_names_), list(lp.row_names_),
                       float(lp.offset_))


def read_model(path) -> list[Instance]:
    """An .mps or .lp file as one instance of the problem kind linear_model, named after the file."""
    lm = read_linear_model(path)
    return [Instance("linear_model", Path(path).stem, lm, None, {"source": str(path)})]


def write_model(instances, path, *, overwrite: bool = False):
    """Write the one linear model of `instances` to `path` as .mps or .lp (by its suffix); an existing file is an
    error unless `overwrite`."""
    (inst,) = list(instances) or [None]
    if inst is None:
        raise FormatError("--to", "needs exactly one model to write")
    return inst.data.write(str(path), overwrite=overwrite)
