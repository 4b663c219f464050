"""Single-machine tardiness methods.

tardiness.dp                  exact: Lawler decomposition (equal weights); else Lagrangian bound + DP over job sets
tardiness.mip_positional      exact: positional MIP (the seed's model, with Keha et al.'s inequality) on HiGHS
tardiness.mip_time_indexed    exact: time-indexed MIP (path-in-time form) on HiGHS
tardiness.mip_ordering        exact: linear-ordering MIP on HiGHS
tardiness.pyomo               exact: the positional Pyomo model on HiGHS
tardiness.cpsat               exact: CP-SAT, intervals on a NoOverlap machine
tardiness.<rule>              heuristics: edd, spt, wspt, mdd, wmdd, atc, covert, eddc, mddc
tardiness.local_search        heuristic: best rule, then dynasearch descent (swaps and insertions)
tardiness.iterated_dynasearch heuristic: iterated dynasearch with random-swap kicks (seeded)

Every heuristic reports a lower bound: the Lagrangian time-indexed bound with a work budget that keeps it
cheap, or the closed-form bound (WSPT relaxation, EDD's maximum lateness) when that is higher."""
from __future__ import annotations

import numpy as np

from ..models.linear import check_build
from ..numeric import exact_sum
from ..options import Deadline, SolveOptions
from ..registry import Method, register
from ..result import Outcome
from ..status import Status

P_ = ("tardiness",)
_STOPPED = {"optimal": Status.OPTIMAL, "time_limit": Status.TIME_LIMIT, "memory_limit": Status.MEMORY_LIMIT,
            "gap_limit": Status.GAP_LIMIT}


def _limit(deadline: Deadline) -> float | None:
    return None if deadline.limit is None else deadline.remaining()


def _pdw(instance):
    d = instance.data
    return d.p, d.d, d.w


# ------------------------------------------------------------------ bounds for heuristics
def heuristic_bound(p, d, w, ub: float, *, work: float = 2e7, deadline: Deadline | None = None) -> float:
    """The best cheap bound: the Lagrangian bound with about `work` DP cell updates, or the closed form."""
    from ..exact.tardiness import closed_form_bound, lagrangian_bound

    lb = closed_form_bound(p, d, w)
    if ub - lb < 1 - 1e-9:
        return lb
    if deadline is not None and deadline.limit is not None and deadline.remaining() < 1.0:
        return lb  # loading the bound's compiled kernels alone can take a second: keep within the limit
    iters = int(min(2000, max(5, work / max(1, len(p) * float(sum(int(x) for x in p))))))
    b, _, _ = lagrangian_bound(p, d, w, ub, iterations=iters, deadline=deadline)
    b = float(np.ceil(b - 1e-6)) if np.asarray(w).dtype.kind in "iu" else float(b)
    return max(lb, b, 0.0)


# ------------------------------------------------------------------ exact
def run_dp(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..exact.tardiness import solve_tardiness

    p, d, w = _pdw(instance)
    kw = {"time_limit": _limit(deadline), "rel_gap": options.rel_gap, "abs_gap": options.abs_gap,
          "seed": options.seed}
    kw.update(options.backend_options)
    r = solve_tardiness(p, d, w, **kw)
    stopped = r.stopped
    if stopped == "optimal" and r.value - r.bound > 1e-9:
        stopped = "gap_limit"  # closed within the requested tolerance, not proven optimal
    return Outcome(_STOPPED[stopped], {"sequence": r.sequence.tolist()}, r.value, r.bound, r.stopped,
                   extra={k: v for k, v in r.stats.items() if k != "seconds"})


MAX_TIME_INDEXED_COLUMNS = 2_000_000
# The positional and ordering MIPs link binaries to times through big-M rows with M = the horizon: HiGHS's
# feasibility tolerance (1e-6) times M must stay below half a time unit for their schedules and bounds to be
# exact (make fuzz: at a horizon of 7e11 HiGHS called a feasible instance infeasible_or_unbounded)
MAX_BIG_M_HORIZON = 500_000


def _check_big_m(instance, formulation: str) -> None:
    from ..errors import UnsupportedProblemError

    horizon = int(exact_sum(instance.data.p))
    if formulation != "time_indexed" and horizon > MAX_BIG_M_HORIZON:
        raise UnsupportedProblemError(
            f"the {formulation} MIP's big-M rows are exact only for a horizon (sum of processing times) up to "
            f"{MAX_BIG_M_HORIZON:,}, this one is {horizon:,}; use tardiness.dp or tardiness.cpsat")


def _mip(formulation: str):
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        from ..models.tardiness import BUILDERS
        from ..solvers.highs import solve_linear

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


def _arrays(formulation: str):
    def build(instance):
        from ..models.tardiness import BUILDERS

        return BUILDERS[formulation][0](instance)

    return build


def run_pyomo(instance, options: SolveOptions, deadline: Deadline, model=None) -> Outcome:
    from ..models.tardiness import positional_mip
    from ..solvers.highs import solve_pyomo

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
    from ..models.tardiness import cpsat
    from ..solvers.cpsat import solve_cp

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
def _rule(name: str):
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        from ..heuristics.tardiness import RULES, sequence_cost

        p, d, w = _pdw(instance)
        kw = {}
        if name in ("atc", "covert") and "k" in options.backend_options:
            kw["k"] = float(options.backend_options["k"])
        seq = RULES[name](p, d, w, **kw)
        ub = float(sequence_cost(seq, p.astype(float), d.astype(float), w.astype(float)))
        bound = heuristic_bound(p, d, w, ub, deadline=deadline)
        return Outcome(Status.COMPLETED, {"sequence": np.asarray(seq).tolist()}, None, bound, "completed")

    return run


def _start(p, d, w):
    from ..heuristics.tardiness import RULES, sequence_cost

    cands = [RULES[r](p, d, w) for r in ("atc", "wmdd", "mdd", "mddc")]
    return min(cands, key=lambda s: sequence_cost(s, p.astype(float), d.astype(float), w.astype(float)))


def run_local_search(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..heuristics.tardiness import local_search, sequence_cost

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
    from ..exact.tardiness import closed_form_bound
    from ..heuristics.tardiness import iterated_dynasearch, local_search, sequence_cost

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


register(Method("tardiness.dp", P_, "exact", "optalloc", run_dp,
                "equal weights: Lawler decomposition with memo and elimination rules; otherwise Lagrangian "
                "time-indexed bound, Emmons precedences, DP over job sets, iterated dynasearch incumbent",
                requires=("numba",), parameters={
                    "max_states": (int, "DP states over job sets before stopping with memory_limit"),
                    "lagrangian_iterations": (int, "subgradient iterations of the level-1 bound"),
                    "max_lr2_cells": (int, "the level-2 bound runs when (horizon + 1) x (jobs + 1) fits this")}))
for _f, _desc in (("positional", "positional-assignment MIP (Keha et al., the seed's model) with the valid inequality"),
                  ("time_indexed", "time-indexed MIP (start-time binaries, no-idle path form); strong LP, n·P columns"),
                  ("ordering", "linear-ordering MIP (precedence binaries with transitivity rows)")):
    register(Method(f"tardiness.mip_{_f}", P_, "exact", "highs", _mip(_f), _desc + ", vectorised into HiGHS",
                    requires=("highspy",), distribution="highspy", extra={"linear_model": _arrays(_f)}))
register(Method("tardiness.pyomo", P_, "exact", "pyomo+highs", run_pyomo,
                "the inspectable Pyomo positional model (optalloc.models.tardiness.positional_mip), on HiGHS",
                requires=("pyomo", "highspy"), distribution="pyomo", extra={"linear_model": _arrays("positional")}))
def _cp_model(instance):
    from ..models.tardiness import cpsat

    return cpsat(instance)[0]


register(Method("tardiness.cpsat", P_, "exact", "ortools-cpsat", run_cpsat,
                "OR-Tools CP-SAT: interval variables on one NoOverlap machine", requires=("ortools",),
                distribution="ortools", extra={"cp_model": _cp_model}))
_RULE_TEXT = {
    "edd": "earliest due date", "spt": "shortest processing time", "wspt": "weighted SPT (Smith's ratio rule)",
    "mdd": "modified due date (Baker & Bertrand)", "wmdd": "weighted modified due date (Kanet & Li)",
    "atc": "apparent tardiness cost, best look-ahead k of 0.5-4 (or backend option k)",
    "covert": "cost over time, k = 2 (or backend option k)",
    "eddc": "EDD Challenger, the LLM-found rule of Çetinkaya et al. (their code's definition)",
    "mddc": "MDD Challenger, the LLM-found rule of Çetinkaya et al. (their code's definition)"}
for _r, _t in _RULE_TEXT.items():
    register(Method(f"tardiness.{_r}", P_, "heuristic", "optalloc", _rule(_r), f"dispatching rule: {_t}; "
                    "reports the cheap Lagrangian or closed-form bound", requires=("numba",),
                    parameters={"k": (float, "the rule's look-ahead parameter")} if _r in ("atc", "covert") else {}))
register(Method("tardiness.local_search", P_, "heuristic", "optalloc", run_local_search,
                "best of ATC/WMDD/MDD/MDDC, then dynasearch descent (swaps and insertions); cheap bound",
                requires=("numba",)))
register(Method("tardiness.iterated_dynasearch", P_, "heuristic", "optalloc", run_iterated,
                "iterated dynasearch (random-swap kicks, seeded); stops at the Lagrangian bound, the stall "
                "limit or the time limit", requires=("numba",), parameters={
                    "max_kicks": (int, "kicks before stopping (5000)"), "stall": (int, "kicks without improvement"),
                    "strength": (int, "random swaps per kick"), "swap_window": (int, "farthest swap of a kick"),
                    "reach": (int, "dynasearch move reach")}))
