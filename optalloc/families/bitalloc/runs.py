"""The run functions of the bitalloc family's methods: an instance and options in, a claim (Outcome) out,
with the glue between the family's algorithms and the backends."""
from __future__ import annotations
import math
import numpy as np
from optalloc.errors import UnsupportedProblemError
from optalloc.gap import gap
from optalloc.options import Deadline, SolveOptions
from optalloc.result import Outcome
from optalloc.status import Status


def _report(instance, out: Outcome) -> Outcome:
    """Attach the continuous bound (a proven lower bound for every mode) and the budget figures."""
    from optalloc.families.bitalloc.models import continuous
    from optalloc.families.bitalloc.problems import BitAllocation

    d = instance.data
    cont, _ = continuous(instance)
    if math.isfinite(cont):
        out.extra["continuous_bound"] = cont
        out.bound = cont if out.bound is None else max(out.bound, cont)
    if out.solution is not None:
        avg = BitAllocation.average_bits(d, out.solution)
        out.extra["average_bits"] = avg
        out.extra["budget_error_bits"] = avg - d.budget
        loss = instance.spec.evaluate(d, out.solution).objective
        if math.isfinite(cont):
            out.extra["gap_to_continuous"] = gap(loss, cont, "min")
            out.extra["loss_ratio_to_continuous"] = loss / cont if cont > 0 else None
    return out


def _infeasible(msg="even the lowest option of every group exceeds the budget") -> Outcome:
    return Outcome.infeasible("infeasible", message=msg)


def run_greedy(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the exact marginal-analysis allocation of BAQ's
    convex model under `options` (SolveOptions) and `deadline` (the limit's clock, started with the method) and
    returns the claim as an Outcome, which solve certifies."""
    from optalloc.families.bitalloc.exact import solve_bit_model
    from optalloc.families.bitalloc.models import expand, merged_model

    d = instance.data
    if d.tables or d.grid != "bits":
        raise UnsupportedProblemError("bitalloc.greedy solves model mode on the integer bits grid; use "
                                      "bitalloc.mckp for option tables and bitalloc.mip for the level grid")
    c, n, members = merged_model(d) if d.ties else (d.sensitivity, d.sizes, None)
    r = solve_bit_model(c, n, d.b_min, d.b_max, d.capacity_bits,
                    time_limit=None if deadline.limit is None else deadline.remaining())
    if r.bits is None:
        return _report(instance, _infeasible())
    bits = expand(r.bits, members, d.k) if members else r.bits
    status = Status.OPTIMAL if r.optimal else (Status.TIME_LIMIT if r.stopped == "time_limit" else Status.UNKNOWN)
    return _report(instance, Outcome(status, {"bits": bits}, r.loss, r.bound, r.stopped,
                                     extra={k: v for k, v in r.stats.items() if k != "seconds"}))


def run_mckp(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the exact multiple-choice knapsack DP
    (engines.mckp) under `options` (SolveOptions) and `deadline` (the limit's clock, started with the method)
    and returns the claim as an Outcome, which solve certifies."""
    from optalloc.engines.mckp import solve_mckp
    from optalloc.families.bitalloc.models import to_mckp
    from optalloc.numeric import sum_error_bound
    from optalloc.engines.mckp_model import expand_ties, merge_ties

    d = instance.data
    data, offset, _ = to_mckp(d)
    if d.capacity_bits < 0:
        return _report(instance, _infeasible())
    merged, members = merge_ties(data)
    r = solve_mckp(merged.values, merged.weights, merged.starts, merged.capacity,
                   time_limit=None if deadline.limit is None else deadline.remaining(),
                   rel_gap=options.rel_gap, abs_gap=options.abs_gap)
    if r.choice is None:
        return _report(instance, _infeasible())
    option = np.asarray(expand_ties(r.choice, members, d.k), dtype=np.int64)
    # proven: the engine's float tolerance, plus the roundings of offset (a sum of k errors) and of the values
    tolerance = r.stats.get("tolerance", 0.0) + sum_error_bound(d.k + 2, abs(offset) + abs(r.value) + abs(r.bound))
    out = Outcome.from_stop(r.stopped, d.solution_from_options(option), offset - r.value, offset - r.bound,
                            tolerance=tolerance)
    out.extra["tolerance"] = tolerance
    return _report(instance, out)


def run_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """A run function (registry.Method.run): solves `instance` with the MIP on HiGHS under `options` (SolveOptions)
    and `deadline` (the limit's clock, started with the method) and returns the claim as an Outcome, which solve
    certifies."""
    from optalloc.families.bitalloc.models import arrays, decode
    from optalloc.solvers.highs import solve_linear

    lo = solve_linear(arrays(instance, deadline), options, deadline)
    sol = decode(instance, lo.x) if lo.x is not None and lo.status != Status.INFEASIBLE else None
    return _report(instance, Outcome.from_backend(lo, sol, lo.objective, lo.bound, extra=lo.extra))


def heuristic_run(rule):
    """The run function of the heuristic `rule` (uniform, ranking, round_clip, ...): its answer and a proven bound."""
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        from optalloc.families.bitalloc import heuristics as h

        d = instance.data
        if rule == "round_clip" and d.tables:
            raise UnsupportedProblemError("round_clip is BAQ's closed form for model mode; table mode has no "
                                          "sensitivities")
        if d.tables:
            lowest = float(np.minimum.reduceat(d.opt_size, d.opt_starts[:-1]).sum())
        else:
            lowest = float(d.sizes.sum()) * float(d.grid_bits()[0])
        if lowest > d.capacity_bits + 1e-9 * max(1.0, abs(d.capacity_bits)):
            return _report(instance, _infeasible())
        option = getattr(h, rule)(d)
        if option is None:
            return _report(instance, _infeasible())
        return _report(instance, Outcome(Status.COMPLETED, d.solution_from_options(option), None, None, "completed"))

    return run


def linear_arrays(instance):
    """The MIP of `instance` as a LinearModel (what optalloc export writes)."""
    from optalloc.families.bitalloc.models import arrays

    return arrays(instance)
