"""Bit-allocation methods. Every result carries, in `extra`, the continuous bound, the gap to it and the
achieved average bits (overhead included) with the budget error.

bitalloc.greedy     exact: Lagrangian threshold + Fox greedy + exact core (model mode, integer bits)
bitalloc.mckp       exact: reduction to the multiple-choice knapsack, solved by knapsack's exact DP
bitalloc.mip        exact: the MIP on HiGHS (every mode, the level grid included)
bitalloc.uniform / bitalloc.round_clip / bitalloc.ranking   heuristics (round_clip may miss the budget)"""
from __future__ import annotations

import math

import numpy as np

from ..errors import UnsupportedProblemError
from ..gap import gap
from ..options import Deadline, SolveOptions
from ..registry import Method, register
from ..result import Outcome
from ..status import Status

P = ("bitalloc",)


def _report(instance, out: Outcome) -> Outcome:
    """Attach the continuous bound (a proven lower bound for every mode) and the budget figures."""
    from ..models.bitalloc import continuous
    from ..problems.bitalloc import BitAllocation

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
    return Outcome(Status.INFEASIBLE, None, None, None, "infeasible", message=msg)


def run_greedy(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..exact.bitalloc import solve_model
    from ..models.bitalloc import expand, merged_model

    d = instance.data
    if d.tables or d.grid != "bits":
        raise UnsupportedProblemError("bitalloc.greedy solves model mode on the integer bits grid; use "
                                      "bitalloc.mckp for option tables and bitalloc.mip for the level grid")
    c, n, members = merged_model(d) if d.ties else (d.sensitivity, d.sizes, None)
    r = solve_model(c, n, d.b_min, d.b_max, d.capacity_bits,
                    time_limit=None if deadline.limit is None else deadline.remaining())
    if r.bits is None:
        return _report(instance, _infeasible())
    bits = expand(r.bits, members, d.k) if members else r.bits
    status = Status.OPTIMAL if r.optimal else (Status.TIME_LIMIT if r.stopped == "time_limit" else Status.UNKNOWN)
    return _report(instance, Outcome(status, {"bits": bits}, r.loss, r.bound, r.stopped,
                                     extra={k: v for k, v in r.stats.items() if k != "seconds"}))


def run_mckp(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..exact.mckp import solve_mckp
    from ..models.bitalloc import to_mckp
    from ..models.reductions import expand_ties, merge_ties

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
    status = {"optimal": Status.OPTIMAL, "time_limit": Status.TIME_LIMIT, "gap_limit": Status.GAP_LIMIT,
              "memory_limit": Status.MEMORY_LIMIT}[r.stopped]
    return _report(instance, Outcome(status, d.solution_from_options(option), offset - r.value, offset - r.bound,
                                     r.stopped))


def run_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    from ..models.bitalloc import arrays, decode
    from ..solvers.highs import solve_linear

    lo = solve_linear(arrays(instance, deadline), options, deadline)
    sol = decode(instance, lo.x) if lo.x is not None and lo.status != Status.INFEASIBLE else None
    return _report(instance, Outcome.from_backend(lo, sol, lo.objective, lo.bound, extra=lo.extra))


def _heuristic(rule):
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        from ..heuristics import bitalloc as h

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


def _arrays(instance):
    from ..models.bitalloc import arrays

    return arrays(instance)


register(Method("bitalloc.greedy", P, "exact", "optalloc", run_greedy,
                "Lagrangian threshold + Fox greedy + exact core; model mode, integer bits",
                requires=("numba",), extra={"excludes": ("tables", "levels")}))
register(Method("bitalloc.mckp", P, "exact", "optalloc", run_mckp,
                "exact reduction to the multiple-choice knapsack (knapsack.dp's solver); tables and ties",
                requires=("numba",), extra={"excludes": ("levels",)}))
register(Method("bitalloc.mip", P, "exact", "highs", run_mip, "the MIP on HiGHS (optalloc.models.bitalloc)",
                requires=("highspy",), distribution="highspy", extra={"linear_model": _arrays}))
register(Method("bitalloc.uniform", P, "heuristic", "optalloc", _heuristic("uniform"),
                "the same bits for every group, as many as the budget allows"))
register(Method("bitalloc.round_clip", P, "heuristic", "optalloc", _heuristic("round_clip"),
                "BAQ's closed form rounded and clipped, no repair (may miss the budget)",
                extra={"excludes": ("tables",), "may_return_infeasible": True}))
register(Method("bitalloc.ranking", P, "heuristic", "optalloc", _heuristic("ranking"),
                "sensitivity ranking: raise the most sensitive groups first while the budget allows"))
