"""The run functions of the tardiness family's methods: an instance and options in, a claim (Outcome) out,
with the glue between the family's algorithms and the backends."""
from __future__ import annotations

import numpy as np

from optalloc import trace
from optalloc.errors import UnsupportedProblemError
from optalloc.models.linear import check_build
from optalloc.numeric import exact_sum, unit_scale
from optalloc.options import Deadline, SolveOptions
from optalloc.result import Outcome
from optalloc.status import Status


def _limit(deadline: Deadline) -> float | None:
    return None if deadline.limit is None else deadline.remaining()


def _pdw(instance):
    d = instance.data
    return d.p, d.d, d.w


# ------------------------------------------------------------------ exact
def run_dp(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the dedicated exact solver (solve_tardiness)
    under `options` (SolveOptions) and `deadline` (the limit's clock, started with the method) and returns the
    claim as an Outcome, which solve certifies."""
    from optalloc.families.tardiness.exact import solve_tardiness

    p, d, w = _pdw(instance)
    # real weights are scaled by a power of two (exact) to a largest weight in [1, 2): the solver's float
    # comparisons then work at the scale they were written for (weights near 1e-12 had it prove a 5 % worse
    # schedule optimal)
    top = float(np.abs(w).max(initial=0.0))
    scale = 1.0 if w.dtype.kind in "iu" or top == 0.0 else unit_scale(top)
    kw = {"time_limit": _limit(deadline), "rel_gap": options.rel_gap, "abs_gap": options.abs_gap * scale,
          "seed": options.seed}
    kw.update(options.backend_options)
    with trace.in_units(scale):
        r = solve_tardiness(p, d, w * scale if scale != 1.0 else w, **kw)
    value, bound = r.value / scale, r.bound / scale
    stopped = r.stopped
    if stopped == "optimal" and r.value - r.bound > 1e-9:
        stopped = "gap_limit"  # closed within the requested tolerance, not proven optimal
    return Outcome.from_stop(stopped, {"sequence": r.sequence.tolist()}, value, bound, r.stopped,
                             extra={k: v for k, v in r.stats.items() if k != "seconds"}
                             | ({"weight_scale": scale} if scale != 1.0 else {}))


MAX_TIME_INDEXED_COLUMNS = 2_000_000


# The positional and ordering MIPs link binaries to times through big-M rows with M = the horizon: HiGHS's
# feasibility tolerance (1e-6) times M must stay below half a time unit for their schedules and bounds to be
# exact (make fuzz: at a horizon of 7e11 HiGHS called a feasible instance infeasible_or_unbounded)
MAX_BIG_M_HORIZON = 500_000


def _check_big_m(instance, formulation: str) -> None:
    horizon = int(exact_sum(instance.data.p))
    if formulation != "time_indexed" and horizon > MAX_BIG_M_HORIZON:
        raise UnsupportedProblemError(
            f"the {formulation} MIP's big-M rows are exact only for a horizon (sum of processing times) up to "
            f"{MAX_BIG_M_HORIZON:,}, this one is {horizon:,}; use tardiness.dp or tardiness.cpsat")


def mip_run(formulation: str):
    """The run function of the MIP `formulation` (positional, time_indexed or ordering) on HiGHS."""
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        from optalloc.families.tardiness.models import BUILDERS
        from optalloc.solvers.highs import solve_linear

        _check_big_m(instance, formulation)
        build, _, decode = BUILDERS[formulation]
        d = instance.data
        columns = d.n * (int(exact_sum(d.p)) + 1)
        if formulation == "time_indexed" and columns > MAX_TIME_INDEXED_COLUMNS:
            # about 1 kB per column in scipy and HiGHS together: 29M columns took 7 GB and more
            return Outcome(Status.MEMORY_LIMIT, message=f"the time-indexed model needs a column per job and time "
                                                        f"unit ({columns:,} > {MAX_TIME_INDEXED_COLUMNS:,}): "
                                                        f"too large to build")
        check_build(deadline, _nonzeros(formulation, d.n, columns))
        lo = solve_linear(build(instance), options, deadline)
        sol = decode(instance, lo.x) if lo.x is not None and lo.status != Status.INFEASIBLE else None
        obj, bound = _integral_values(instance, lo.objective, lo.bound)
        return Outcome.from_backend(lo, sol, obj, bound, extra=lo.extra)

    return run


def _nonzeros(formulation: str, n: int, time_columns: int) -> int:
    """The size of each formulation's matrix (for the build's time estimate): positional n^2 link rows of 3,
    ordering two transitivity rows of 3 per triple, time-indexed 3 entries per (job, start) column."""
    if formulation == "positional":
        return 8 * n * n
    if formulation == "ordering":
        return 2 * n * n + n * (n - 1) * (n - 2)
    return 3 * time_columns


# Pyomo builds a model, and optalloc reads it back row by row, at about 2e-5 s per nonzero (measured: the
# positional model for 200 jobs, 320,000 nonzeros, 4 s in all); a build the time left cannot cover is not begun
PYOMO_SECONDS_PER_NONZERO = 2e-5


def _integral_values(instance, objective, bound):
    """With integral weights every schedule costs an integer. The MIPs compute T_j through big-M rows and
    continuous variables, so HiGHS reports values within its feasibility tolerance of that integer: snap the
    objective to it and round the bound up (a bound b proves ceil(b - tol))."""
    if instance.data.w.dtype.kind not in "iu":
        return objective, bound
    if objective is not None and abs(objective - round(objective)) <= 1e-5 * max(1.0, abs(objective)):
        objective = float(round(objective))
    if bound is not None and np.isfinite(bound):
        # HiGHS's bound is a float within its tolerance of the integer it proves: round up past that noise only
        # (a relative slack would lower large bounds by thousands); certification allows the backend tolerance
        bound = float(np.ceil(bound - 1e-6 - 1e-12 * abs(bound)))
    return objective, bound


def arrays_of(formulation: str):
    """The LinearModel builder of the MIP `formulation` (what optalloc export writes)."""
    def build(instance):
        from optalloc.families.tardiness.models import BUILDERS

        return BUILDERS[formulation][0](instance)

    return build


def run_pyomo(instance, options: SolveOptions, deadline: Deadline, model=None) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the positional Pyomo model on HiGHS (`model`:
    one built already, changed or not) under `options` (SolveOptions) and `deadline` (the limit's clock, started
    with the method) and returns the claim as an Outcome, which solve certifies."""
    from optalloc.families.tardiness.models import positional_mip
    from optalloc.models.linear import solve_pyomo

    if model is None:
        _check_big_m(instance, "positional")
        n = instance.data.n
        deadline.require(PYOMO_SECONDS_PER_NONZERO * _nonzeros("positional", n, 0),
                         f"building the Pyomo model ({_nonzeros('positional', n, 0):,} nonzeros)")
    model = positional_mip(instance) if model is None else model
    lo = solve_pyomo(model, options, deadline)
    # decode by name: from_pyomo orders columns as Pyomo does, not as the array builder
    sol = None
    if lo.x is not None and lo.status != Status.INFEASIBLE:
        n = instance.data.n
        U = np.array([[model.u[j, k].value or 0.0 for k in range(n)] for j in range(n)])
        sol = {"sequence": np.argmax(U, axis=0).astype(np.int64).tolist()}
    obj, bound = _integral_values(instance, lo.objective, lo.bound)
    return Outcome.from_backend(lo, sol, obj, bound, extra=lo.extra)


def run_cpsat(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with CP-SAT (interval variables on one machine)
    under `options` (SolveOptions) and `deadline` (the limit's clock, started with the method) and returns the
    claim as an Outcome, which solve certifies."""
    from optalloc.families.tardiness.models import cpsat
    from optalloc.solvers.cpsat import solve_cp

    model, start, scale = cpsat(instance)
    co = solve_cp(model, options, deadline, scale=scale)
    sol = None
    claim = co.objective
    if co.has_solution:
        s = np.array([co.solver.Value(v) for v in start])
        sol = {"sequence": np.argsort(s, kind="stable").astype(np.int64).tolist()}
        if str(co.status) != "optimal":
            # The model allows idle time. A limit can stop CP-SAT on a schedule with gaps; its job order,
            # run without them, costs no more. We return that order, so CP-SAT's value is not a claim about
            # it: the objective is recomputed from the order (an optimal schedule has no harmful gaps).
            claim = None
            co.extra["cpsat_objective"] = co.objective
    return Outcome.from_backend(co, sol, claim, co.bound, extra=co.extra)


# ------------------------------------------------------------------ heuristics
def rule_run(name: str):
    """The run function of the dispatching rule `name`, with the cheap Lagrangian or closed-form bound."""
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        from optalloc.families.tardiness.exact import heuristic_bound
        from optalloc.families.tardiness.heuristics import RULES, sequence_cost

        p, d, w = _pdw(instance)
        kw = {}
        if name in ("atc", "covert") and "k" in options.backend_options:
            kw["k"] = float(options.backend_options["k"])
        seq = RULES[name](p, d, w, **kw)
        ub = float(sequence_cost(seq, p.astype(float), d.astype(float), w.astype(float)))
        # the rule's schedule exists from here on: the trace says so at its own time, so a plot of the run does not
        # charge the rule with the bound computed after it (the run's time is both: extra splits them)
        trace.record(objective=ub)
        rule_seconds = deadline.elapsed()
        bound = heuristic_bound(p, d, w, ub, deadline=deadline)
        return Outcome(Status.COMPLETED, {"sequence": np.asarray(seq).tolist()}, None, bound, "completed",
                       extra={"rule_seconds": rule_seconds, "bound_seconds": deadline.elapsed() - rule_seconds})

    return run


def _start(p, d, w):
    from optalloc.families.tardiness.heuristics import RULES, sequence_cost

    cands = [RULES[r](p, d, w) for r in ("atc", "wmdd", "mdd", "mddc")]
    return min(cands, key=lambda s: sequence_cost(s, p.astype(float), d.astype(float), w.astype(float)))


def run_local_search(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the best rule, then dynasearch descent under
    `options` (SolveOptions) and `deadline` (the limit's clock, started with the method) and returns the claim
    as an Outcome, which solve certifies."""
    from optalloc.families.tardiness.exact import heuristic_bound
    from optalloc.families.tardiness.heuristics import local_search, sequence_cost

    p, d, w = _pdw(instance)
    seq = local_search(_start(p, d, w), p, d, w)
    ub = float(sequence_cost(seq, p.astype(float), d.astype(float), w.astype(float)))
    bound = heuristic_bound(p, d, w, ub, deadline=deadline)
    return Outcome(Status.COMPLETED, {"sequence": seq.tolist()}, None, bound, "completed")


def run_iterated(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """Without a time limit: the bound first (it is the early-stop target), then kicks until the stall limit or
    the bound. With one: kicks first, with the closed-form bound as target, for all the time the Lagrangian
    bound will not need (at least 55 %); then the bound. On hard instances the bound would otherwise eat the
    search's time."""
    from optalloc.families.tardiness.exact import closed_form_bound, heuristic_bound
    from optalloc.families.tardiness.heuristics import iterated_dynasearch, local_search, sequence_cost

    p, d, w = _pdw(instance)
    seq = local_search(_start(p, d, w), p, d, w)
    pf, df, wf = p.astype(float), d.astype(float), w.astype(float)
    ub = float(sequence_cost(seq, pf, df, wf))
    kw = dict(options.backend_options)
    if deadline.limit is None:
        bound = heuristic_bound(p, d, w, ub, work=2e8, deadline=deadline)
        seq, val = iterated_dynasearch(seq, p, d, w, deadline=deadline, target=bound, seed=options.seed, **kw)
    else:
        # the bound's cost is known in advance (about 3 ns per DP cell here): the search gets the rest, and
        # at least 55 % of the limit
        n, P = len(p), int(p.sum())
        cells = min(2000, max(5, 2e8 / max(1, n * P))) * n * P
        left = deadline.remaining()
        share = Deadline(max(0.55 * left, left - 1.3 * 3e-9 * cells))
        kw.setdefault("stall", 10**9)  # with a time limit the search uses its share instead of a stall rule
        seq, val = iterated_dynasearch(seq, p, d, w, deadline=share, target=closed_form_bound(p, d, w),
                                       seed=options.seed, **kw)
        # stop a little early: evaluation and certification of the answer come after the bound
        bound = heuristic_bound(p, d, w, float(val), work=2e8, deadline=Deadline(0.8 * deadline.remaining()))
    status = Status.TIME_LIMIT if deadline.expired() else Status.COMPLETED
    return Outcome(status, {"sequence": np.asarray(seq).tolist()}, None, bound, status.value)


def cp_model_of(instance):
    """The CP-SAT model of `instance` (what optalloc export writes for tardiness.cpsat)."""
    from optalloc.families.tardiness.models import cpsat

    return cpsat(instance)[0]
