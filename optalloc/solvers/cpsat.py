"""OR-Tools CP-SAT: status mapping and a solve call that honours optalloc's options."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from optalloc import interrupt
from optalloc.errors import OptionError, UnsupportedProblemError
from optalloc.logs import LineSink
from optalloc.options import Deadline, SolveOptions
from optalloc.status import Status


@dataclass
class CpOutcome:
    """CP-SAT's answer in optalloc's terms: status, the solver (to read values), whether it has a solution,
    objective, bound, raw status, facts and the anytime progress."""

    status: Status
    solver: object  # the CpSolver, to read values from
    has_solution: bool
    objective: float | None
    bound: float | None
    raw_status: str
    extra: dict = field(default_factory=dict)
    # (time.perf_counter(), incumbent, bound) in the model's terms (divided by the scale) at each solution
    progress: list = field(default_factory=list)


def status_map():
    """Every CP-SAT status mapped explicitly (None: decided by why the search stopped)."""
    from ortools.sat.python import cp_model

    return {
        cp_model.OPTIMAL: Status.OPTIMAL,
        cp_model.FEASIBLE: None,  # why it stopped depends on the limits; decided below
        cp_model.INFEASIBLE: Status.INFEASIBLE,
        cp_model.MODEL_INVALID: Status.INVALID_MODEL,
        cp_model.UNKNOWN: None,
    }


CP_MAX_COEFFICIENT = 10**9  # CP-SAT 9.15 claimed a wrong optimum with 0-1 knapsack coefficients of 1e10 to 1e15


def check_range(model) -> None:
    """Refuse models whose objective or linear coefficients exceed CP_MAX_COEFFICIENT: `make fuzz` found
    CP-SAT proving "optimal" a value below the true optimum there (1 in 40 random 0-1 knapsacks at 1e10)."""
    proto = model.Proto()
    top = max((abs(c) for c in proto.objective.coeffs), default=0) if proto.has_objective() else 0
    for ct in proto.constraints:
        # ask has_linear first: reading .linear of another kind of constraint turns it into an empty linear one
        if ct.has_linear() and len(ct.linear.coeffs):
            top = max(top, max(abs(c) for c in ct.linear.coeffs))
    if top > CP_MAX_COEFFICIENT:
        raise UnsupportedProblemError(f"the model has a coefficient of {top:.3g} (limit {CP_MAX_COEFFICIENT:.0e}), "
                                      f"beyond what CP-SAT solves exactly; use the family's dedicated method (see "
                                      f"'numeric contract' in the README)")


def solve_cp(model, options: SolveOptions, deadline: Deadline, *, scale: float = 1.0) -> CpOutcome:
    """Solve a CpModel. `scale` divides the objective back when values were scaled to integers."""
    from ortools.sat.python import cp_model

    check_range(model)
    solver = cp_model.CpSolver()
    if deadline.limit is not None and deadline.expired():  # the model's build used the whole limit
        return CpOutcome(Status.INTERRUPTED if interrupt.requested() else Status.TIME_LIMIT, solver, False, None,
                         None, "limit reached before the solve")
    p = solver.parameters
    if deadline.limit is not None:
        p.max_time_in_seconds = max(deadline.remaining(), 1e-3)
    p.num_workers = max(1, int(options.threads))
    p.random_seed = int(options.seed) % 2147483647
    p.relative_gap_limit = float(options.rel_gap)
    p.absolute_gap_limit = float(options.abs_gap) * scale
    log = LineSink(options.verbose, options.log_file)
    p.log_search_progress = log.active
    if log.active:
        p.log_to_stdout = False  # stdout carries the results (--json must stay parseable)
        solver.log_callback = log.line
    _set_options(p, options.backend_options)
    p.catch_sigint_signal = False  # Ctrl-C is optalloc's (optalloc.interrupt): it calls StopSearch
    progress: list = []

    class Progress(cp_model.CpSolverSolutionCallback):
        """The anytime trace: each solution CP-SAT finds, with its bound at that moment."""

        def on_solution_callback(self):
            progress.append((time.perf_counter(), self.ObjectiveValue() / scale, self.BestObjectiveBound() / scale))

    try:
        with interrupt.stop_hook(solver.StopSearch):
            raw = solver.Solve(model, Progress()) if model.HasObjective() else solver.Solve(model)
    finally:
        log.close()
    mapped = status_map().get(raw, Status.UNKNOWN)
    has_solution = raw in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if mapped is None and interrupt.requested():
        mapped = Status.INTERRUPTED
    if mapped is None:
        hit_time = deadline.limit is not None and deadline.remaining() <= 0.05 * max(1.0, deadline.limit or 1.0)
        if hit_time or solver.WallTime() >= p.max_time_in_seconds * 0.95:
            mapped = Status.TIME_LIMIT
        elif raw == cp_model.FEASIBLE and (options.rel_gap > 0 or options.abs_gap > 0):
            mapped = Status.GAP_LIMIT
        else:
            mapped = Status.UNKNOWN
    obj = solver.ObjectiveValue() / scale if has_solution else None
    # Only a search that found a solution has set its bound. An invalid model proves nothing, and a run stopped
    # with no solution (UNKNOWN: before presolve ended, say) reports the response's default, 0, which on a
    # maximisation is below the optimum (seen at a 0.01 s limit on a 100-item knapsack: the reference was called
    # "contradicted"). Without a solution there is no bound to report.
    proven = raw in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    bound = solver.BestObjectiveBound() / scale if proven else None
    if bound is not None and not math.isfinite(bound):
        bound = None
    return CpOutcome(mapped, solver, has_solution, obj, bound, solver.StatusName(raw),
                     {"branches": int(solver.NumBranches()), "wall_time": solver.WallTime()}, progress)


def integer_scale(values, max_decimals: int = 6) -> int:
    """Smallest power of ten that makes every value an integer (CP-SAT needs integer objectives)."""
    import numpy as np


    arr = np.asarray(values, dtype=float)
    for d in range(max_decimals + 1):
        s = 10**d
        scaled = arr * s
        # relative to each value, never absolute: 3.5e-12 is not "the integer 0"
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.abs(scaled)) and \
                math.fsum(np.abs(scaled).ravel().tolist()) < 2**53:  # CP-SAT refuses sums that could overflow
            return s
    raise UnsupportedProblemError(f"CP-SAT needs integer data whose scaled total stays below 2^53; these values "
                                  f"need more than {max_decimals} decimals or scale past it. Use a MIP or DP "
                                  f"method instead.")


def check_options(values: dict) -> None:
    """Every native option set on throwaway parameters, so that a bad one is named before anything is solved."""
    from ortools.sat.python import cp_model

    _set_options(cp_model.CpSolver().parameters, values)


def _set_options(params, values: dict) -> None:
    for key, value in values.items():
        try:
            setattr(params, key, value)
        except (AttributeError, TypeError, ValueError) as e:
            raise OptionError(f"--option {key}={value!r}: CP-SAT rejects it ({type(e).__name__}: {e})"[:300]) from None
