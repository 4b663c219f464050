"""HiGHS through highspy: LinearModel in, (status, x, objective, bound) out."""
from __future__ import annotations

import collections
import dataclasses
import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from optalloc import interrupt
from optalloc.errors import OptionError, UnsupportedProblemError
from optalloc.logs import LineSink
from optalloc.numeric import unit_scale
from optalloc.options import Deadline, SolveOptions
from optalloc.status import Status


@dataclass
class LinearOutcome:
    """HiGHS's answer in optalloc's terms: status, x, objective, bound, raw status, facts, the stated tolerance and
    the anytime progress."""

    status: Status
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    raw_status: str
    extra: dict = field(default_factory=dict)
    tolerance: float = 0.0  # absolute objective tolerance of this answer (see solve_linear)
    # (time.perf_counter(), incumbent, dual bound) in the model's terms at each improving MIP solution
    progress: list = field(default_factory=list)


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


# HiGHS prints its banner from C to file descriptor 1 when the first Highs of a process is made; every later
# one, told output_flag=False, prints nothing (its log, when asked for, comes through the logging callback).
# So fd 1 is pointed away only for that first construction, under a lock: a redirect around every run raced
# between threads (two threads restored each other's copy, and fd 1 stayed on /dev/null for good).
_BANNER_LOCK = threading.Lock()
_banner_done = False


def new_highs():
    """A quiet Highs instance (no console output)."""
    global _banner_done
    import highspy

    h = None
    if not _banner_done:
        with _BANNER_LOCK:
            if not _banner_done:
                sys.stdout.flush()
                saved = os.dup(1)
                null = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(null, 1)
                    h = highspy.Highs()
                finally:
                    os.dup2(saved, 1)
                    os.close(saved)
                    os.close(null)
                _banner_done = True
    if h is None:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def to_highs(model, *, names: bool = False):
    """The model passed into a new Highs. Solving hands the arrays over as they are (row-wise CSR, integrality
    as an int array: no per-column Python object; a 76 M-column model went from 61 s to a few); names only
    when asked (writing a file), since solving needs none."""
    import highspy

    h = new_highs()
    A = model.A.tocsr()
    m, n = A.shape
    status = h.passModel(
        int(n), int(m), int(A.nnz), int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMaximize if model.sense == "max" else highspy.ObjSense.kMinimize), float(model.offset),
        _f64(model.c), _f64(model.col_lo), _f64(model.col_hi), _f64(model.row_lo), _f64(model.row_hi),
        np.ascontiguousarray(A.indptr, dtype=np.int32), np.ascontiguousarray(A.indices, dtype=np.int32),
        _f64(A.data), np.ascontiguousarray(model.column_types(), dtype=np.int32))
    if status != highspy.HighsStatus.kError and model.quadratic:
        # HiGHS takes the lower triangle, column-wise, of the objective's Hessian
        low = sp.tril(model.Q).tocsc()
        low.sum_duplicates()
        status = h.passHessian(int(n), int(low.nnz), int(highspy.HessianFormat.kTriangular),
                               np.ascontiguousarray(low.indptr, dtype=np.int32),
                               np.ascontiguousarray(low.indices, dtype=np.int32), _f64(low.data))
    if status == highspy.HighsStatus.kError:
        raise UnsupportedProblemError(f"HiGHS refused the model ({m} rows, {n} columns, {A.nnz} nonzeros)")
    if names:
        for j, name in enumerate(model.col_names):
            h.passColName(j, name)
        for i, name in enumerate(model.row_names):
            h.passRowName(i, name)
    return h


def _f64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


HIGHS_MAX_COEFFICIENT = 1e12  # objective and matrix entries HiGHS is trusted with (it errs on 1e15)
HIGHS_MAX_BOUND = 1e15  # finite row and column bounds


def check_range(model) -> None:
    """HiGHS's tolerances are absolute and it treats 1e20 as infinite: past these magnitudes its answers are
    not exact (seen: "optimal" with no solution at 1e15). Refuse before solving, naming the limit."""
    def top(a):
        a = np.abs(np.asarray(a, dtype=float))
        a = a[np.isfinite(a)]
        return float(a.max()) if a.size else 0.0

    arrays = [model.c, model.A.data, model.row_lo, model.row_hi, model.col_lo, model.col_hi]
    if model.quadratic:
        arrays.append(model.Q.data)
    if any(np.isnan(np.asarray(a, dtype=float)).any() for a in arrays):
        raise UnsupportedProblemError("the model has a NaN coefficient or bound; HiGHS would compare it with nothing "
                                      "and optalloc cannot certify rows that hold it")
    coef = max(top(model.c), top(model.A.data) if model.A.nnz else 0.0,
               top(model.Q.data) if model.quadratic else 0.0)
    bound = max(top(model.row_lo), top(model.row_hi), top(model.col_lo), top(model.col_hi))
    if coef > HIGHS_MAX_COEFFICIENT or bound > HIGHS_MAX_BOUND:
        what = (f"a coefficient of {coef:.3g} (limit {HIGHS_MAX_COEFFICIENT:.0e})" if coef > HIGHS_MAX_COEFFICIENT
                else f"a bound of {bound:.3g} (limit {HIGHS_MAX_BOUND:.0e})")
        raise UnsupportedProblemError(f"the model has {what}, beyond what HiGHS solves exactly; use the family's "
                                      f"dedicated method or CP-SAT (see 'numeric contract' in the README)")


CONVEXITY_COLUMNS = 3000  # a Hessian on more columns than this is not checked (a dense eigendecomposition)


def check_convex(model) -> None:
    """HiGHS solves quadratic objectives on continuous columns only, and to a global optimum only when convex
    (Q positive semidefinite for min, negative for max); anything else is refused, saying why, before solving."""
    if model.discrete:
        raise UnsupportedProblemError("the objective is quadratic and the model has integer or semi-continuous "
                                      "columns: HiGHS has no solver for that (MIQP)")
    Q = sp.csr_matrix(model.Q)
    cols = np.unique(np.concatenate([Q.tocoo().row, Q.tocoo().col]))
    if len(cols) > CONVEXITY_COLUMNS:
        raise UnsupportedProblemError(f"the quadratic objective spans {len(cols)} columns; optalloc checks convexity "
                                      f"up to {CONVEXITY_COLUMNS} (a dense eigendecomposition), and HiGHS proves "
                                      f"nothing on a non-convex one")
    sub = Q[cols][:, cols].toarray()
    eig = np.linalg.eigvalsh((sub + sub.T) / 2)
    scale = max(1.0, float(np.abs(sub).max()))
    worst = float(eig.min()) if model.sense == "min" else -float(eig.max())
    if worst < -1e-9 * scale * len(cols):
        raise UnsupportedProblemError(f"the quadratic objective is not {'convex' if model.sense == 'min' else 'concave'} "
                                      f"(its Hessian has eigenvalue {float(eig.min() if model.sense == 'min' else eig.max()):.6g}): "
                                      f"HiGHS's QP solver finds local optima there, which optalloc will not certify")


def solve_linear(model, options: SolveOptions, deadline: Deadline, *, duals: bool = False) -> LinearOutcome:
    """Solve a LinearModel. Gap tolerances default to 0 so "optimal" is proven, not approximate. With
    duals=True (LPs), extra["row_duals"] holds the row duals. Raises UnsupportedProblemError past the
    magnitudes HiGHS solves exactly (check_range)."""
    check_range(model)
    if model.quadratic:
        check_convex(model)
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
    if model.discrete or model.A.nnz >= ISOLATE_NONZEROS:
        from optalloc.solvers.highs_process import run_isolated

        return run_isolated(model, options, deadline, duals)
    return _run(model, options, deadline, duals)


# HiGHS has phases that check neither its time limit nor its interrupt callbacks (measured: 13 s in the MIP
# setup's objective clique partition on a 5000 x 10 routing model at a 2 s limit; 4-24 s handing a 32-152 M
# nonzero model over; upstream: ERGO-Code/HiGHS#885, #1278; and 1 s and more to answer a cancel in a 1000-item
# knapsack's branch and bound). Every MIP, and every LP this large, runs in a child process (highs_process) that
# the parent ends when HiGHS has not answered in time: the run's row is kept either way. Small LPs never spend
# that long outside HiGHS's checks, and a child (20 ms forked, more through a helper) would cost more than it
# guards.
ISOLATE_NONZEROS = 20_000


# The process-wide state a HiGHS run can meet: set when this process is one optalloc started for HiGHS alone (a
# forked child or a helper), where resetting HiGHS's thread scheduler touches nobody else's solve.
OWN_PROCESS = [False]


def _run(model, options: SolveOptions, deadline: Deadline, duals: bool) -> LinearOutcome:
    """One HiGHS run in this process. HiGHS refuses a thread count other than the one its scheduler in this thread
    was started with (by an earlier run, or by Pyomo's own HiGHS): in a process of optalloc's own the scheduler is
    reset, elsewhere the run moves to a helper process; either way extra["message"] says so."""
    step = objective_granularity(model)  # once per run: every retry below solves the same objective
    out = _run_once(model, options, deadline, duals, step)
    note = None
    if out.raw_status == SCHEDULER_REFUSED:
        if not OWN_PROCESS[0]:
            from optalloc.solvers.highs_process import run_in_helper

            out = run_in_helper(model, options, deadline, duals)  # a fresh process: it retries on its own
            return _noted(out, f"HiGHS in this process already runs another thread count than threads="
                               f"{options.threads} (an earlier HiGHS run here, Pyomo's for one, started it); solved "
                               f"in a helper process instead")
        import highspy

        highspy.Highs.resetThreadScheduler(True)
        out = _run_once(model, options, deadline, duals, step)
        note = "HiGHS's thread scheduler was reset for this run's thread count"
    # HiGHS ends some MIPs (semi-continuous columns, say) with a solve error whose own remedy is a smaller
    # mip_feasibility_tolerance (HiGHS's 3015.mps at its default 1e-6): take it, twice at most, while time is left,
    # unless the user set that option; the answer is certified at the tolerance it was found with
    # The other way round, the 1e-9 that a non-integral objective runs at (_run_once) is too tight for rows of
    # large coefficients, where HiGHS's own final check fails ("claims optimality, but with ... infeasibilities"):
    # then run again at HiGHS's default 1e-6.
    tolerance = starting_feastol(model, step)
    retries = 2
    # An infeasibility found at 1e-9 is checked at HiGHS's default too, since it cannot be verified from a point
    # (measured: HiGHS's 2122.lp is "infeasible" at 1e-9 and has optimum -187612.94 at 1e-8)
    unproven = (Status.INFEASIBLE, Status.INFEASIBLE_OR_UNBOUNDED, Status.UNBOUNDED)
    while ((out.status == Status.ERROR or (out.status in unproven and tolerance < 1e-6))
           and "mip_feasibility_tolerance" not in options.backend_options
           and retries > 0 and deadline.remaining() > 0):
        said = out.extra.get("message", "")
        if out.status in unproven or ("claims optimality, but with" in said and tolerance < 1e-6):
            tolerance = 1e-6
        elif "smaller mip_feasibility_tolerance" in said:
            tolerance /= 10
        else:
            break
        retries -= 1
        retry = SolveOptions.from_dict({**options.to_dict(), "backend_options": {
            **options.backend_options, "mip_feasibility_tolerance": tolerance}})
        out = _noted(_run_once(model, retry, deadline, duals, step),
                     f"HiGHS's mip_feasibility_tolerance did not suit this model: run again with {tolerance:g}")
    return _noted(out, note) if note else out


def _noted(out: LinearOutcome, note: str) -> LinearOutcome:
    """`out` with `note` first in its message (what optalloc did about HiGHS, before what HiGHS said)."""
    said = out.extra.get("message")
    out.extra["message"] = note + (f"; {said}" if said else "")
    return out


# mip_feasibility_tolerance for a MIP whose objective is not integral (see starting_feastol)
FLOAT_OBJECTIVE_FEASTOL = 1e-9


def starting_feastol(model, step: float) -> float:
    """The mip_feasibility_tolerance a run starts at. HiGHS prunes a non-integral objective's nodes within it
    (absolute) of the incumbent, so its "optimal" is only that close: 1e-9 then, within what a certificate calls
    equal (measured: a 2,000-group bit allocation lost 6.6e-7 at HiGHS's default 1e-6, in the same time). An
    objective whose values step by more than 1e-6 (`step`, objective_granularity) loses nothing at the default."""
    return FLOAT_OBJECTIVE_FEASTOL if model.discrete and step <= 1e-6 else 1e-6

SCHEDULER_REFUSED = "refused: HiGHS's thread scheduler runs another thread count"


def objective_scale(model, step: float) -> float:
    """The power of two that lifts a non-integral objective whose coefficients are all below 1 to a largest
    coefficient in [1, 2): HiGHS's tolerances are absolute (reduced costs 1e-7, pruning 1e-9), so costs of 1e-11
    look like zero to it (measured: a bit allocation with sensitivities near 1e-9 came back 2.4 times its
    optimum, "optimal"). A power of two scales every value exactly. `step`: objective_granularity(model)."""
    if not len(model.c) or step > 1e-6:
        return 1.0
    top = float(np.abs(np.asarray(model.c, dtype=float)).max(initial=0.0))
    if model.quadratic:
        top = max(top, float(abs(model.Q).max()))
    if top == 0.0 or top >= 1.0:
        return 1.0
    return unit_scale(top)


def _run_once(model, options: SolveOptions, deadline: Deadline, duals: bool, step: float) -> LinearOutcome:
    """One HiGHS run on `model` (whose objective steps by `step`, objective_granularity), its objective scaled by
    objective_scale and the answer scaled back."""
    scale = objective_scale(model, step)
    if scale == 1.0:
        return _run_scaled(model, options, deadline, duals, 1.0, step)
    lifted = dataclasses.replace(model, c=np.asarray(model.c, dtype=float) * scale, offset=float(model.offset) * scale,
                                 Q=None if model.Q is None else model.Q * scale)
    out = _run_scaled(lifted, options, deadline, duals, scale, step)
    back = 1.0 / scale
    out.objective = None if out.objective is None else out.objective * back
    out.bound = None if out.bound is None else out.bound * back
    out.tolerance *= back
    out.progress = [(t, o * back, b * back) for t, o, b in out.progress]
    if "optimality_tolerance" in out.extra:
        out.extra["optimality_tolerance"] *= back
    if "row_duals" in out.extra:
        out.extra["row_duals"] = out.extra["row_duals"] * back
    out.extra["objective_scale"] = scale
    return out


def _run_scaled(model, options: SolveOptions, deadline: Deadline, duals: bool, scale: float,
                step: float) -> LinearOutcome:
    """One HiGHS run on `model`, whose objective is the user's times `scale` (a power of two); `step`: the user's
    objective's granularity, so `step * scale` is this one's."""
    import highspy

    h = to_highs(model)
    if deadline.limit is not None:
        h.setOptionValue("time_limit", max(deadline.remaining(), 1e-3))
    h.setOptionValue("threads", int(options.threads))
    h.setOptionValue("random_seed", int(options.seed) % 2147483647)
    h.setOptionValue("mip_rel_gap", float(options.rel_gap))
    h.setOptionValue("mip_abs_gap", float(options.abs_gap) * scale)  # the user's gap is in unscaled units
    log = LineSink(options.verbose, options.log_file)
    said: collections.deque = collections.deque(maxlen=20)  # HiGHS's last words: the reason when it refuses to run

    def heard(e):
        said.append(e.message)
        if log.active:  # each line can name the run
            log.write(e.message)

    h.setOptionValue("output_flag", True)  # the log goes to the callback only, never to the console
    h.setOptionValue("log_to_console", False)
    h.cbLogging.subscribe(heard)
    h.setOptionValue("mip_feasibility_tolerance", starting_feastol(model, step))
    for key, value in options.backend_options.items():  # native options last, so they win
        _set_option(h, key, value)
    if getattr(model, "start", None) is not None and model.discrete:
        start = highspy.HighsSolution()
        start.col_value = np.asarray(model.start, dtype=float).tolist()
        h.setSolution(start)  # HiGHS checks it; an infeasible start is ignored, never trusted
    progress: list = []
    if model.discrete:  # the anytime trace: each improving solution with the dual bound at that moment
        def improved(e):
            out = e.data_out
            progress.append((time.perf_counter(), float(out.objective_function_value), float(out.mip_dual_bound)))

        h.cbMipImprovingSolution.subscribe(improved)
    h.HandleUserInterrupt = True  # HiGHS polls its interrupt callbacks; Ctrl-C calls cancelSolve
    try:
        with interrupt.stop_hook(h.cancelSolve):
            ran = h.run()
    finally:
        log.close()
    raw = h.getModelStatus()
    def lines(*words) -> str:  # what HiGHS said, the lines holding any of `words`
        return " ".join(m.strip() for m in said if any(w in m for w in words))

    if ran == highspy.HighsStatus.kError and raw == highspy.HighsModelStatus.kNotset:
        # HiGHS refused to start: an error with its own reason, never an "unknown" with none
        reason = lines("ERROR") or "HiGHS returned an error before solving"
        if "scheduler has already been initialized" in reason:
            return LinearOutcome(Status.ERROR, None, None, None, SCHEDULER_REFUSED, {"message": reason})
        return LinearOutcome(Status.ERROR, None, None, None, "kError", {"message": reason})
    status = status_map().get(raw, Status.UNKNOWN)
    if status in (Status.UNKNOWN, Status.TIME_LIMIT) and interrupt.requested():
        status = Status.INTERRUPTED
    info = h.getInfo()
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_x else None
    obj = float(info.objective_function_value) if has_x else None
    is_mip = model.discrete
    if is_mip and status not in (Status.ERROR, Status.INVALID_MODEL, Status.UNKNOWN):
        bound = float(info.mip_dual_bound)
        if not math.isfinite(bound):
            bound = None
    elif is_mip:  # a solve that failed proves nothing: its "dual bound" was 0 on HiGHS's 3015.mps (optimum -1.4e6)
        bound = None
    else:
        bound = obj if status == Status.OPTIMAL else None
    tolerance = objective_tolerance(h, model, x) if x is not None else 0.0
    extra = {"mip_node_count": int(getattr(info, "mip_node_count", 0) or 0)} if is_mip else {}
    if is_mip and obj is not None and bound is not None:
        lifted_step = step * scale  # exact: a power of two
        margin = pruning_margin(h, model, x, lifted_step)
        if margin:
            bound = _widened(bound, obj, margin, lifted_step, model.sense)
            progress = [(t, o, _widened(b, o, margin, lifted_step, model.sense)) for t, o, b in progress]
            # what the margin costs this answer: no more than the margin, less where whole steps absorb it
            extra["optimality_tolerance"] = min(margin, abs(obj - bound))
    if status == Status.OPTIMAL and is_mip and x is not None and obj is not None and bound is not None:
        # HiGHS says optimal when the gap is within its tolerances; a gap it did not close to float noise is a
        # gap limit (the user's, or HiGHS's own pruning margin), and said so
        # (a gap within HiGHS's own tolerances stays "optimal" here: the certificate holds it against the
        # problem's scale and the pruning margin in extra["optimality_tolerance"], and says gap limit if it is one)
        if abs(bound - obj) > max(tolerance, extra.get("optimality_tolerance", 0.0), 1e-9 * max(1.0, abs(obj))):
            status = Status.GAP_LIMIT
    if status == Status.ERROR:  # HiGHS's own words for why it failed
        reason = lines("ERROR", "WARNING")
        extra["message"] = f"HiGHS: {str(raw).split('.')[-1]}" + (f": {reason}"[:400] if reason else "")
    if duals and not is_mip and has_x:
        extra["row_duals"] = np.asarray(h.getSolution().row_dual, dtype=float)
    return LinearOutcome(status, x, obj, bound, str(raw).split(".")[-1], extra, tolerance, progress)


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


    try:
        status = h.setOptionValue(key, value)
    except Exception as e:  # highspy raises on some type mismatches
        raise OptionError(f"--option {key}={value!r}: HiGHS rejects it ({e})") from None
    if status != highspy.HighsStatus.kOk:
        raise OptionError(f"--option {key}={value!r}: HiGHS rejects it (an unknown option, or a value of the "
                          f"wrong type or range; see HiGHS's option list)")


def check_options(values: dict) -> None:
    """Every native option set on a throwaway HiGHS, so that a bad one is named before anything is solved."""
    h = new_highs()
    for key, value in values.items():
        _set_option(h, key, value)


def objective_granularity(model) -> float:
    """A step that every difference between two feasible objective values is a multiple of: 1 for integer
    coefficients on integer columns, 2^-p when 2^p times every coefficient is an integer (bit allocation's 4^-b
    losses), 0 when there is none (a continuous column or a quadratic part in the objective, or arbitrary reals).
    Read off the floats' binary digits: c = M 2^(e-53) with M an integer, so 2^p c is whole for p >= 53 - e - tz(M)."""
    c = np.asarray(model.c, dtype=float)
    on = c != 0
    if model.quadratic or not bool(np.all(model.integer[on])):
        return 0.0
    if not on.any():
        return 1.0
    mant, expo = np.frexp(np.abs(c[on]))
    whole = np.ldexp(mant, 53).astype(np.int64)  # exact: the 53-bit significand as an integer
    trailing = np.log2((whole & -whole).astype(np.float64)).astype(np.int64)  # its trailing zero bits
    p = max(0, int((53 - expo - trailing).max()))
    if p > 60 or float(np.abs(c).max()) * 2.0**p >= 2.0**53:
        return 0.0  # beyond exact float sums: no step to rely on
    return math.ldexp(1.0, -p)


def pruning_margin(h, model, x, step: float) -> float:
    """How far HiGHS's dual bound can overstate the truth on a MIP (in a minimisation: how far above the optimum it
    may lie). HiGHS prunes a non-integral objective's nodes at incumbent - feastol (mip_feasibility_tolerance),
    whatever the gap options say, and its node LPs stop at reduced costs of up to dual_feasibility_tolerance,
    which matters where some costs are that small beside the largest. An integral objective is pruned at
    incumbent - 1 + feastol and its bounds rounded to whole units, which absorbs both: 0. (Nodes that only a
    user's gap rules out stay in HiGHS's bound, as suboptimal nodes.)"""
    if step >= 1.0:
        return 0.0
    feastol, dual_tol = _option(h, "mip_feasibility_tolerance"), _option(h, "dual_feasibility_tolerance")
    c = np.abs(np.asarray(model.c, dtype=float))
    on = c > 0
    if not on.any() or c[on].min() >= dual_tol * c.max():
        return feastol
    # costs below the dual tolerance (relative to the largest) are invisible to HiGHS's LPs (measured: a bit
    # allocation with sensitivities from 1e-11 to 9 came back 1.3e-9 above its optimum, bound included): the LP
    # values then carry the dual tolerance times each costed column's range
    span = np.asarray(model.col_hi, dtype=float) - np.asarray(model.col_lo, dtype=float)
    loose = ~np.isfinite(span)
    if loose.any():  # an unbounded column: the solution's own size stands for its range
        span[loose] = 2.0 * np.maximum(1.0, np.abs(x[loose])) if x is not None else np.inf
    return feastol + dual_tol * float(span[on].sum())


def _widened(bound: float, objective: float, margin: float, step: float, sense: str) -> float:
    """The bound that holds when it may overstate the truth by `margin`, nodes within `margin` of the incumbent
    `objective` were pruned unexplored, and (step > 0) every objective value is the incumbent's less a whole
    number of steps: the optimum is then the incumbent less the fewest whole steps the margin allows."""
    if not (math.isfinite(bound) and math.isfinite(objective)):
        return bound  # no bound yet (HiGHS's -inf before its first LP): nothing to widen
    sign = 1.0 if sense == "min" else -1.0
    gap = sign * (objective - bound)  # >= 0 for a bound on the right side
    loose = max(gap, 0.0) + margin
    if step > 0.0 and margin < step:
        loose = step * math.floor(loose / step * (1 + 1e-12))  # (1 + 1e-12): never round a whole step away
        if loose == 0.0:
            return objective
    return objective - sign * loose


def _option(h, name: str) -> float:
    value = h.getOptionValue(name)
    return float(value[-1] if isinstance(value, tuple) else value)  # some highspy versions return (status, value)


def objective_tolerance(h, model, x) -> float:
    """HiGHS accepts a point whose rows and integrality are off by its (absolute) feasibility tolerances, so the
    objective it reports, and the one recomputed from the decoded solution, may differ by up to the
    tolerance times the objective's coefficients, weighted by the values they multiply."""
    tol = max(_option(h, "primal_feasibility_tolerance"), _option(h, "mip_feasibility_tolerance"))
    c = np.abs(np.asarray(model.c, dtype=float))
    if model.quadratic:  # the gradient c + Qx is what a move of the point multiplies
        c = c + abs(sp.csr_matrix(model.Q)).dot(np.abs(x))
    return tol * float(np.sum(c * np.maximum(1.0, np.abs(x)))) + tol
