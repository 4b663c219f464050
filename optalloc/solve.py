"""The one entry point that runs a method and certifies what it returns.

A method's claim (an Outcome) is never trusted: the objective and feasibility are recomputed from the
instance data, the bound must not cross the objective, and "optimal" must come with a closed gap."""
from __future__ import annotations

import importlib
import importlib.util
import logging
import traceback

from optalloc import interrupt, kernels, logs, trace
from optalloc.errors import OptallocError, OptionError, VerificationError
from optalloc.problems import family_of
from optalloc.gap import bound_crosses, gap, values_equal, within_noise, within_tolerance
from optalloc.instances.format import Instance
from optalloc.options import LimitReached, SolveOptions
from optalloc.registry import Method, check_usable, default_method, get_method
from optalloc.result import Outcome, Result, compare_reference
from optalloc.status import SolutionStatus, Status

log = logging.getLogger("optalloc")


# the adapters that check a backend's own --option names and values (Method.parameters is None)
_NATIVE_OPTIONS = {"highs": "optalloc.solvers.highs", "pyomo+highs": "optalloc.solvers.highs",
                   "ortools-cpsat": "optalloc.solvers.cpsat"}


def check_options(m: Method, opts: SolveOptions) -> None:
    """Bad --option values are bad input (exit 2), named before anything is solved or printed."""
    m.check_parameters(opts.backend_options)
    if not opts.backend_options or m.parameters is not None:
        return
    adapter = _NATIVE_OPTIONS.get(m.backend)
    if adapter is None:
        raise OptionError(f"--option {next(iter(opts.backend_options))}: {m.name} takes no options")
    importlib.import_module(adapter).check_options(opts.backend_options)


def solve(instance: Instance, method: str | Method | None = None, options: SolveOptions | dict | None = None,
          **option_values) -> Result:
    """Solve `instance` with `method` and return the certified Result.

    `method` is a registered name such as "knapsack.dp" or a Method; None picks the problem kind's default
    (its preferred exact method). `options` is a SolveOptions or a dict, and `option_values` are the same as
    keyword arguments (they win): time_limit (seconds; counts from the method's start, model building included), threads, rel_gap and
    abs_gap (stop when the proven gap is within them; 0, the default, means proven optimal), seed,
    verbose and log_file (the backend's log), backend_options (native options of HiGHS or CP-SAT, or the
    method's own declared parameters; `optalloc methods --describe METHOD` lists them).

    The answer is certified before it is returned (objective and feasibility recomputed from the data, the
    bound checked against it, the anytime trace against both); a claim that fails is a VerificationError.
    Ctrl-C stops the method within a second and raises optalloc.interrupt.Interrupted holding what it had."""
    if method is None:
        m = default_method(instance.problem)
    elif isinstance(method, Method):
        m = method
    else:
        m = get_method(method)
    check_usable(m, instance.problem)
    opts = _options(options, option_values)
    check_options(m, opts)
    opts.backend_options = m.arguments(opts.backend_options)  # the declared defaults are the ones a run gets
    import_backends([m])
    with interrupt.run() as stop:  # this solve's own stop state: other solves' Ctrl-C handling is not its
        deadline = opts.deadline()  # the limit counts from here: model building included
        with trace.recording(instance.sense, deadline.start) as progress:
            outcome, elapsed = _run(instance, m, opts, deadline)
        if not stop.flag.is_set():
            return certify(instance, m, opts, outcome, elapsed, progress.points)
    if outcome.status not in _FINAL:  # stopped by Ctrl-C, not by a proof: say so
        outcome.status = Status.INTERRUPTED
    raise interrupt.Interrupted(certify(instance, m, opts, outcome, elapsed, progress.points))


def _run(instance: Instance, m: Method, opts: SolveOptions, deadline) -> tuple[Outcome, float]:
    """The method's claim and the seconds it took; a failure of the method is an Outcome too."""
    try:
        with interrupt.guard(), logs.naming(instance.name, m.name):
            outcome = m.run_for(instance.problem)(instance, opts, deadline)
            elapsed = deadline.elapsed()
    except KeyboardInterrupt:
        interrupt.clear()  # the method did not stop by itself within the grace: nothing to certify
        raise interrupt.Interrupted(None) from None
    except LimitReached as e:  # a step the time left could not cover was not begun
        elapsed = deadline.elapsed()
        outcome = Outcome(Status.INTERRUPTED if interrupt.requested() else Status.TIME_LIMIT,
                          raw_status="limit reached", message=str(e))
    except OptallocError:
        raise
    except Exception as e:  # a backend failure is an outcome of this run, not a crash of the caller
        if interrupt.requested():  # KeyboardInterrupt raised inside a numba kernel comes back as SystemError
            interrupt.clear()
            raise interrupt.Interrupted(None) from None
        log.debug("method %s failed on %s", m.name, instance.name, exc_info=True)
        outcome = Outcome(Status.ERROR, message=f"{type(e).__name__}: {e}",
                          extra={"traceback": traceback.format_exc(limit=8)})
        elapsed = deadline.elapsed()
    return outcome, elapsed


# what a backend imports on its first call (numba: when the first cached kernel loads, about a second)
_STARTUP = {"numba": ("numba.np.arraymath", "numba.np.linalg"), "ortools": ("ortools.sat.python.cp_model",)}

# statuses that end a run with a proof: Ctrl-C after them does not change what they say
_FINAL = frozenset({Status.OPTIMAL, Status.INFEASIBLE, Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED,
                    Status.GAP_LIMIT})


def import_backends(methods) -> None:
    """Import what the methods' backends load on first use, so start-up (numba and the modules its cached
    kernels pull in, HiGHS, OR-Tools) never counts against a time limit."""
    for m in methods:
        for module in m.requires:
            for name in (module, *_STARTUP.get(module, ())):
                if importlib.util.find_spec(name.split(".")[0]) is not None:
                    importlib.import_module(name)
            if module == "numba" and importlib.util.find_spec("numba") is not None:
                # cached kernels load here, not on their first call inside the limit
                for fam in dict.fromkeys(family_of(p).name for p in m.problems):
                    kernels.preload(fam)


def _close(a: float, b: float, tol: float, atol: float) -> bool:
    return values_equal(a, b, atol) or abs(a - b) <= tol


def failed_result(instance: Instance, m: Method, opts: SolveOptions, error: Exception, elapsed: float) -> Result:
    """The row of a run whose answer failed verification (a bug in the method): status error, nothing
    returned, the reason in `message`, so that a grid keeps every other row."""
    return Result(
        name=instance.name, problem=instance.problem, sense=instance.sense, method=m.name, kind=m.kind,
        status=Status.ERROR, solution_status=SolutionStatus.NONE, objective=None, bound=None, gap=None,
        time=elapsed, backend=m.backend, backend_version=m.backend_version(), options=opts.to_dict(),
        solution=None, reference=None, raw_status="verification_failed",
        message=f"{type(error).__name__}: {error}", extra={"verification_failed": True})


def _options(options, values) -> SolveOptions:
    if isinstance(options, SolveOptions):
        opts = SolveOptions.from_dict(options.to_dict())
    else:
        opts = SolveOptions.from_dict(options)
    for k, val in values.items():
        setattr(opts, k, val)
    return opts


def _check_bound_alone(instance: Instance, m: Method, bound: float, tol: float) -> None:
    """A bound that comes without an incumbent is held against the problem kind's witness, a feasible solution
    found in about linear time (Problem.witness): no true bound is worse than a feasible point's value."""
    found = instance.spec.witness(instance.data)
    if found is None:
        return
    ev = instance.spec.evaluate(instance.data, found)
    atol = instance.spec.value_atol(instance.data)
    if (ev.feasible and bound_crosses(ev.objective, bound, instance.sense, atol)
            and not _close(bound, ev.objective, tol, atol)):
        raise VerificationError(f"{m.name} on {instance.name}: bound {bound} is {'below' if instance.sense == 'max' else 'above'} "
                                f"the value {ev.objective} of a feasible solution (a greedy one), so it is no bound")


def certify(instance: Instance, m: Method, opts: SolveOptions, out: Outcome, elapsed: float,
            points=()) -> Result:
    """The Result of a method's claim `out`, every part of it checked against the instance (see the module's
    docstring); `points` is the run's anytime trace (optalloc.trace), checked against the certified answer."""
    spec = instance.spec
    sense = instance.sense
    tol = max(float(out.tolerance or 0.0), 0.0)
    atol = spec.value_atol(instance.data)  # the float noise of this instance's values (gap.values_equal)
    margin = float(out.extra.get("optimality_tolerance") or 0.0)  # the backend's own pruning margin, if it states one
    objective = None
    infeasible_point = False
    if out.solution is not None:
        ev = spec.evaluate(instance.data, out.solution)
        if not ev.feasible:
            if not m.may_return_infeasible:
                raise VerificationError(f"{m.name} on {instance.name}: returned an infeasible solution: "
                                        f"{'; '.join(ev.violations)}")
            infeasible_point = True  # reported as such, never as a solution
            out.extra["violations"] = ev.violations
        objective = ev.objective
        if out.objective is not None and not within_noise(float(out.objective), float(objective), tol):
            raise VerificationError(f"{m.name} on {instance.name}: reported objective {out.objective} but the "
                                    f"solution's recomputed objective is {objective}"
                                    + (f" (beyond the backend's tolerance {tol:.3g})" if tol else ""))
    elif out.status == Status.OPTIMAL:
        raise VerificationError(f"{m.name} on {instance.name}: claims optimal but returned no solution")
    bound = out.bound
    if infeasible_point:
        return Result(
            name=instance.name, problem=instance.problem, sense=sense, method=m.name, kind=m.kind,
            status=out.status, solution_status=SolutionStatus.INFEASIBLE_POINT, objective=objective, bound=bound,
            gap=None, time=elapsed, backend=m.backend, backend_version=m.backend_version(), options=opts.to_dict(),
            solution=out.solution, reference=None, raw_status=out.raw_status,
            message=out.message or "infeasible point: " + "; ".join(out.extra["violations"]), extra=out.extra,
            trace=trace.finish([(t, None, b) for t, _, b in points], elapsed, None, bound, sense))
    if objective is not None and bound is not None and _close(float(bound), float(objective), tol, atol):
        # the backend's point is off by up to its stated tolerance, so the objective it reports and the one
        # recomputed here may differ by that much. The bound meets the recomputed objective when it is on the
        # wrong side by no more than that, or when the backend closed its gap for the very point decoded here,
        # to within that tolerance, with a pruning margin (extra["optimality_tolerance"]) that is float noise at
        # this instance's scale. A margin above the noise is a gap, never closed here
        closed = (out.objective is not None and abs(float(bound) - float(out.objective)) <= tol
                  and values_equal(float(objective), float(objective) + margin, atol))
        if bound_crosses(objective, bound, sense, atol) or (tol and closed):
            bound = objective
    if bound_crosses(objective, bound, sense, atol):
        raise VerificationError(f"{m.name} on {instance.name}: bound {bound} crosses objective {objective} "
                                f"({sense}imisation)")
    if objective is None and bound is not None:
        _check_bound_alone(instance, m, float(bound), tol)
    status = out.status
    g = gap(objective, bound, sense, atol)
    if status == Status.OPTIMAL and g != 0.0:
        if within_tolerance(objective, bound, sense, opts.rel_gap, opts.abs_gap, atol) and g is not None:
            status = Status.GAP_LIMIT
        elif margin and g is not None and abs(float(bound) - float(objective)) <= margin + tol:
            status = Status.GAP_LIMIT  # the backend proves only to within its own stated margin: a gap, said so
        else:
            raise VerificationError(f"{m.name} on {instance.name}: claims optimal with gap {g} "
                                    f"(objective {objective}, bound {bound})")
    if status in (Status.COMPLETED, Status.GAP_LIMIT) and g == 0.0:
        # a heuristic whose cheap bound closes the gap, or a backend whose remaining gap is float noise at this
        # instance's scale, has proven optimality
        status = Status.OPTIMAL
    message = out.message
    if status == Status.GAP_LIMIT and margin and not message:
        message = (f"proven only to within the backend's own optimality tolerance ({margin:.3g}, absolute): the "
                   f"bound is moved out by that much")
    if out.solution is not None and g == 0.0:
        sol_status = SolutionStatus.OPTIMAL
    elif out.solution is not None:
        sol_status = SolutionStatus.FEASIBLE
    else:
        sol_status = SolutionStatus.NONE
    if status == Status.INFEASIBLE and out.solution is not None:
        raise VerificationError(f"{m.name} on {instance.name}: claims infeasible but returned a solution")
    wrong = trace.check(points, objective, bound, sense, tol)
    if wrong:
        raise VerificationError(f"{m.name} on {instance.name}: {wrong}")
    return Result(
        name=instance.name, problem=instance.problem, sense=sense, method=m.name, kind=m.kind, status=status,
        solution_status=sol_status, objective=objective, bound=bound, gap=g, time=elapsed, backend=m.backend,
        backend_version=m.backend_version(), options=opts.to_dict(), solution=out.solution,
        reference=compare_reference(objective, bound, sense, instance.reference, atol), raw_status=out.raw_status,
        message=message, extra=out.extra, trace=trace.finish(points, elapsed, objective, bound, sense))
