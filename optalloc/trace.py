"""Anytime traces: how a method's incumbent and bound moved while it ran.

A method calls `record(objective=..., bound=...)` whenever it finds a better solution or proves a tighter
bound; `solve` keeps the points of the run it is certifying and hands them to the Result as `trace`, a list
of (seconds since the method started, incumbent, bound), one point per improvement, each point holding the
best of both known at that moment (None before the first). Calls outside a solve cost one test and do nothing,
so algorithms record unconditionally.

The recorder belongs to the run, not to the process: it lives in a context variable, so two solves in two threads
(a thread pool, a Dask worker's task threads) each see their own. A thread a method starts itself begins with an
empty context and records nothing: points are lost there, never mixed into another run's trace.

The points come from the method; only the last one is the certified answer. `solve` checks the others
against it: no incumbent better than the certified bound, no bound better than the certified objective, and
no incumbent better than the answer (a method that loses its best solution has a bug). A trace that fails is
a VerificationError, like any other false claim."""
from __future__ import annotations

import contextlib
import contextvars
import math
import threading
import time

from optalloc.gap import primal_gap

_active: contextvars.ContextVar["Recorder | None"] = contextvars.ContextVar("optalloc_trace", default=None)
_lock = threading.Lock()  # HiGHS and CP-SAT report from their own threads
_live: list = []  # the recorders of the runs under way, newest last: what a status line shows (display only)


class Recorder:
    """The trace of one run: improvements only, in time order."""

    def __init__(self, sense: str, start: float):
        self.sense = sense
        self.start = start  # time.perf_counter() when the method started (the time limit's start)
        self.objective: float | None = None
        self.bound: float | None = None
        self.points: list[tuple[float, float | None, float | None]] = []

    def _better(self, a: float, b: float | None) -> bool:
        return b is None or (a > b if self.sense == "max" else a < b)

    def add(self, objective: float | None = None, bound: float | None = None, at: float | None = None) -> None:
        improved = False
        if objective is not None and math.isfinite(objective) and self._better(float(objective), self.objective):
            self.objective, improved = float(objective), True
        # a bound improves when it moves towards the incumbent: down for max, up for min
        if bound is not None and math.isfinite(bound) and (
                self.bound is None or (bound < self.bound if self.sense == "max" else bound > self.bound)):
            self.bound, improved = float(bound), True
        if improved:
            t = (time.perf_counter() if at is None else at) - self.start
            self.points.append((max(t, 0.0), self.objective, self.bound))


def record(objective: float | None = None, bound: float | None = None, at: float | None = None) -> None:
    """Report progress of the running method, in problem terms: `objective`, a feasible solution's value just
    found; `bound`, a proven bound just reached (upper for max, lower for min). `at`: when it happened
    (time.perf_counter(); default now). Worse values than the ones known are ignored."""
    rec = _active.get()
    if rec is not None:
        with _lock:
            rec.add(objective, bound, at)


@contextlib.contextmanager
def in_units(factor: float):
    """Inside, a method records values `factor` times the problem's (a solver run on data scaled by a power of
    two); on the way out, the points it added are brought back to problem terms. The run must record nothing
    else meanwhile."""
    rec = _active.get()
    first = len(rec.points) if rec is not None else 0
    before = (rec.objective, rec.bound) if rec is not None else (None, None)
    try:
        yield
    finally:
        if rec is not None:
            with _lock:
                back = [(t, None if o is None else o / factor, None if b is None else b / factor)
                        for t, o, b in rec.points[first:]]
                rec.points[first:] = back
                if rec.objective is not None and rec.objective != before[0]:
                    rec.objective /= factor
                if rec.bound is not None and rec.bound != before[1]:
                    rec.bound /= factor


def started() -> float | None:
    """time.perf_counter() at the start of the run being recorded, or None: for backends that report times of
    their own (a forked HiGHS) and convert them."""
    rec = _active.get()
    return None if rec is None else rec.start


@contextlib.contextmanager
def recording(sense: str, start: float):
    """Record the points of one run (solve's job); nested runs (a method calling solve) keep their own."""
    rec = Recorder(sense, start)
    token = _active.set(rec)
    with _lock:
        _live.append(rec)
    try:
        yield rec
    finally:
        _active.reset(token)
        with _lock:
            _live.remove(rec)


def newest() -> tuple[float | None, float | None] | None:
    """(incumbent, bound) of the newest run under way in this process, or None: for a status line on a terminal,
    never for a result (the certified values are the Result's)."""
    with _lock:
        rec = _live[-1] if _live else None
        return None if rec is None else (rec.objective, rec.bound)


def check(points, objective, bound, sense: str, tolerance: float) -> str | None:
    """Why `points` contradict the certified `objective` and `bound`, or None when they do not."""
    def slack(v):
        return tolerance + 1e-9 * max(1.0, abs(v))

    for t, obj, bnd in points:
        if obj is not None:
            if bound is not None and (obj - bound if sense == "max" else bound - obj) > slack(bound):
                return f"at {t:.3g} s the trace has incumbent {obj:g}, beyond the proven bound {bound:g}"
            if objective is not None and (obj - objective if sense == "max" else objective - obj) > slack(objective):
                return f"at {t:.3g} s the trace has incumbent {obj:g}, better than the answer {objective:g}"
        if bnd is not None and objective is not None and (
                objective - bnd if sense == "max" else bnd - objective) > slack(objective):
            return f"at {t:.3g} s the trace has bound {bnd:g}, beyond the answer's objective {objective:g}"
    return None


def finish(points, elapsed: float, objective, bound, sense: str) -> list[list]:
    """The trace of a certified Result: the method's points, then the answer itself at `elapsed`, merged so
    that each point holds the best incumbent and bound known by then. Lists, so it reads back from JSON."""
    rec = Recorder(sense, 0.0)
    for t, obj, bnd in points:
        rec.add(obj, bnd, at=t)
    rec.add(objective, bound, at=max(elapsed, rec.points[-1][0] if rec.points else 0.0))
    return [[round(t, 6), o, b] for t, o, b in rec.points]


def primal_integral(trace, reference: float, horizon: float) -> float | None:
    """Berthold's primal integral over [0, horizon] seconds: the integral of the primal gap
    abs(z - z*) / max(abs(z), abs(z*)) of the incumbent z against `reference` z* (1 before the first incumbent or when
    the signs differ, 0 when both are 0). Lower is better: it rewards finding good solutions early."""
    if reference is None or horizon is None or not math.isfinite(horizon) or horizon <= 0:
        return None
    total, t_prev, g_prev = 0.0, 0.0, 1.0
    for t, obj, _ in trace or ():
        t = min(float(t), horizon)
        total += g_prev * (t - t_prev)
        t_prev, g_prev = t, primal_gap(obj, reference)
    total += g_prev * (horizon - t_prev)
    return total
