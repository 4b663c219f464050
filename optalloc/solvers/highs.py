"""HiGHS through highspy: LinearModel in, (status, x, objective, bound) out."""
from __future__ import annotations

import contextlib
import math
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from .. import interrupt
from ..options import Deadline, SolveOptions
from ..status import Status


@dataclass
class LinearOutcome:
    status: Status
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    raw_status: str
    extra: dict = field(default_factory=dict)
    tolerance: float = 0.0  # absolute objective tolerance of this answer (see solve_linear)


def status_map():
    """Every HighsModelStatus, mapped explicitly; anything else becomes unknown."""
    import highspy

    S = highspy.HighsModelStatus
    return {
        S.kNotset: Status.UNKNOWN,
        S.kLoadError: Status.ERROR,
        S.kModelError: Status.INVALID_MODEL,
        S.kPresolveError: Status.ERROR,
        S.kSolveError: Status.ERROR,
        S.kPostsolveError: Status.ERROR,
        S.kModelEmpty: Status.OPTIMAL,
        S.kOptimal: Status.OPTIMAL,
        S.kInfeasible: Status.INFEASIBLE,
        S.kUnboundedOrInfeasible: Status.INFEASIBLE_OR_UNBOUNDED,
        S.kUnbounded: Status.UNBOUNDED,
        S.kObjectiveBound: Status.UNKNOWN,
        S.kObjectiveTarget: Status.SOLUTION_LIMIT,
        S.kTimeLimit: Status.TIME_LIMIT,
        S.kIterationLimit: Status.ITERATION_LIMIT,
        S.kUnknown: Status.UNKNOWN,
        S.kSolutionLimit: Status.SOLUTION_LIMIT,
        S.kInterrupt: Status.INTERRUPTED,
        S.kMemoryLimit: Status.MEMORY_LIMIT,
        S.kHighsInterrupt: Status.INTERRUPTED,
    }


@contextlib.contextmanager
def _stdout_to(target: str):
    """HiGHS writes its banner and its log from C to file descriptor 1; point that at /dev/null (quiet) or at
    stderr (verbose) while it runs, so stdout carries only results (--json stays parseable)."""
    sys.stdout.flush()
    saved = os.dup(1)
    dest = os.open(os.devnull, os.O_WRONLY) if target == "devnull" else os.dup(2)
    try:
        os.dup2(dest, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(dest)


def new_highs(verbose: bool = False):
    import highspy

    with _stdout_to("stderr" if verbose else "devnull"):
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def to_highs(model, options: SolveOptions | None = None):
    import highspy

    h = new_highs(bool(options and options.verbose))
    h.setOptionValue("output_flag", bool(options and options.verbose))
    A = model.A.tocsc()
    lp = highspy.HighsLp()
    m, n = A.shape
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = np.asarray(model.c, dtype=float)
    lp.col_lower_ = np.asarray(model.col_lo, dtype=float)
    lp.col_upper_ = np.asarray(model.col_hi, dtype=float)
    lp.row_lower_ = np.asarray(model.row_lo, dtype=float)
    lp.row_upper_ = np.asarray(model.row_hi, dtype=float)
    lp.offset_ = float(model.offset)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = m
    if model.integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                           for b in model.integer]
    lp.sense_ = highspy.ObjSense.kMaximize if model.sense == "max" else highspy.ObjSense.kMinimize
    if model.col_names:
        lp.col_names_ = list(model.col_names)
    if model.row_names:
        lp.row_names_ = list(model.row_names)
    h.passModel(lp)
    return h


HIGHS_MAX_COEFFICIENT = 1e12  # objective and matrix entries HiGHS is trusted with (it errs on 1e15)
HIGHS_MAX_BOUND = 1e15  # finite row and column bounds


def check_range(model) -> None:
    """HiGHS's tolerances are absolute and it treats 1e20 as infinite: past these magnitudes its answers are
    not exact (seen: "optimal" with no solution at 1e15). Refuse before solving, naming the limit."""
    from ..errors import UnsupportedProblemError

    def top(a):
        a = np.abs(np.asarray(a, dtype=float))
        a = a[np.isfinite(a)]
        return float(a.max()) if a.size else 0.0

    coef = max(top(model.c), top(model.A.data) if model.A.nnz else 0.0)
    bound = max(top(model.row_lo), top(model.row_hi), top(model.col_lo), top(model.col_hi))
    if coef > HIGHS_MAX_COEFFICIENT or bound > HIGHS_MAX_BOUND:
        what = (f"a coefficient of {coef:.3g} (limit {HIGHS_MAX_COEFFICIENT:.0e})" if coef > HIGHS_MAX_COEFFICIENT
                else f"a bound of {bound:.3g} (limit {HIGHS_MAX_BOUND:.0e})")
        raise UnsupportedProblemError(f"the model has {what}, beyond what HiGHS solves exactly; use the family's "
                                      f"dedicated method or CP-SAT (see 'numeric contract' in the README)")


def solve_linear(model, options: SolveOptions, deadline: Deadline, *, duals: bool = False) -> LinearOutcome:
    """Solve a LinearModel. Gap tolerances default to 0 so "optimal" is proven, not approximate. With
    duals=True (LPs), extra["row_duals"] holds the row duals. Raises UnsupportedProblemError past the
    magnitudes HiGHS solves exactly (check_range)."""
    check_range(model)
    if deadline.limit is not None and deadline.expired():
        # building the model used the whole limit (it counts from the start): handing it over would overrun
        return LinearOutcome(Status.INTERRUPTED if interrupt.requested() else Status.TIME_LIMIT, None, None, None,
                             "limit reached before the solve")
    if model.A.shape[1] == 0:
        # No columns: HiGHS says "model empty" without a vector. Zero is the only point; it is optimal if
        # every row admits it, and the model is infeasible otherwise.
        ok = bool(np.all((model.row_lo <= 0) & (model.row_hi >= 0)))
        if ok:
            return LinearOutcome(Status.OPTIMAL, np.zeros(0), float(model.offset), float(model.offset), "kModelEmpty")
        return LinearOutcome(Status.INFEASIBLE, None, None, None, "kModelEmpty")
    h = to_highs(model, options)
    if deadline.limit is not None:
        h.setOptionValue("time_limit", max(deadline.remaining(), 1e-3))
    h.setOptionValue("threads", int(options.threads))
    h.setOptionValue("random_seed", int(options.seed) % 2147483647)
    h.setOptionValue("mip_rel_gap", float(options.rel_gap))
    h.setOptionValue("mip_abs_gap", float(options.abs_gap))
    if options.log_file:
        h.setOptionValue("log_file", options.log_file)
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", bool(options.verbose))
    for key, value in options.backend_options.items():  # native options last, so they win
        _set_option(h, key, value)
    h.HandleUserInterrupt = True  # HiGHS polls its interrupt callbacks; Ctrl-C calls cancelSolve
    with interrupt.stop_hook(h.cancelSolve), _stdout_to("stderr" if options.verbose else "devnull"):
        h.run()
    raw = h.getModelStatus()
    status = status_map().get(raw, Status.UNKNOWN)
    if status in (Status.UNKNOWN, Status.TIME_LIMIT) and interrupt.requested():
        status = Status.INTERRUPTED
    info = h.getInfo()
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
    obj = float(info.objective_function_value) if has_x else None
    is_mip = bool(model.integer.any())
    if is_mip:
        bound = float(info.mip_dual_bound)
        if not math.isfinite(bound):
            bound = None
    else:
        bound = obj if status == Status.OPTIMAL else None
    tolerance = objective_tolerance(h, model, x) if x is not None else 0.0
    if status == Status.OPTIMAL and is_mip and x is not None and obj is not None and bound is not None:
        # HiGHS says optimal when the gap is within its tolerances: beyond its stated objective tolerance, or
        # within a gap the user allowed, that is a gap limit, and said so
        if abs(bound - obj) > max(tolerance, 1e-9 * max(1.0, abs(obj))):
            status = Status.GAP_LIMIT
    extra = {"mip_node_count": int(getattr(info, "mip_node_count", 0) or 0)} if is_mip else {}
    if duals and not is_mip and has_x:
        extra["row_duals"] = np.asarray(h.getSolution().row_dual, dtype=float)
    return LinearOutcome(status, x, obj, bound, str(raw).split(".")[-1], extra, tolerance)


def lp_bound(lo: LinearOutcome, sense: str) -> float | None:
    """A solved LP's value as a bound on the integer problem: moved outward by HiGHS's stated tolerance, since
    its objective may sit that far on the wrong side; None when the LP was not solved to optimality."""
    if lo.status != Status.OPTIMAL or lo.objective is None:
        return None
    return lo.objective + lo.tolerance if sense == "max" else lo.objective - lo.tolerance


def _set_option(h, key: str, value) -> None:
    """A native option, checked: HiGHS answers kError (and otherwise ignores it) for an unknown name or a value
    of the wrong type or range; that is bad input, named, exit 2."""
    import highspy

    from ..errors import OptionError

    try:
        status = h.setOptionValue(key, value)
    except Exception as e:  # highspy raises on some type mismatches
        raise OptionError(f"--option {key}={value!r}: HiGHS rejects it ({e})") from None
    if status != highspy.HighsStatus.kOk:
        raise OptionError(f"--option {key}={value!r}: HiGHS rejects it (an unknown option, or a value of the "
                          f"wrong type or range; see HiGHS's option list)")


def _option(h, name: str) -> float:
    value = h.getOptionValue(name)
    return float(value[-1] if isinstance(value, tuple) else value)  # some highspy versions return (status, value)


def objective_tolerance(h, model, x) -> float:
    """HiGHS accepts a point whose rows and integrality are off by its (absolute) feasibility tolerances, so the
    objective it reports, and the one recomputed from the decoded solution, may differ by up to the
    tolerance times the objective's coefficients, weighted by the values they multiply."""
    tol = max(_option(h, "primal_feasibility_tolerance"), _option(h, "mip_feasibility_tolerance"))
    c = np.abs(np.asarray(model.c, dtype=float))
    return tol * float(np.sum(c * np.maximum(1.0, np.abs(x)))) + tol


def solve_pyomo(model, options: SolveOptions, deadline: Deadline) -> LinearOutcome:
    """Solve a linear Pyomo model on HiGHS through its arrays and load the values back into the model, so
    the user's model holds the answer; binaries and integers are rounded when loaded."""
    from ..models.linear import from_pyomo

    lm, variables = from_pyomo(model)
    lo = solve_linear(lm, options, deadline)
    if lo.x is not None:
        for var, val in zip(variables, lo.x):
            var.set_value(round(val) if var.is_integer() or var.is_binary() else val, skip_validation=True)
    return lo
