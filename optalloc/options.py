"""Solve options, validated when set (not when a backend first reads them)."""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from optalloc import interrupt
from optalloc.errors import OptionError
from optalloc.parameters import Parameter


@dataclass
class SolveOptions:
    """Options every method understands. `backend_options` are passed to the backend last, so they win.

    time_limit: seconds, None for no limit. The result comes back within limit + 1 s.
    threads: worker threads for backends that use them.
    rel_gap / abs_gap: stop when the proven gap is within these; the default 0 means "optimal" is proven.
    seed: for randomised methods and backends.
    verbose: print the backend's log; log_file: also write it there.
    """

    time_limit: float | None = None
    threads: int = 1
    rel_gap: float = 0.0
    abs_gap: float = 0.0
    seed: int = 0
    verbose: bool = False
    log_file: str | None = None
    backend_options: dict[str, Any] = field(default_factory=dict)

    def __setattr__(self, name: str, value: Any) -> None:
        check = _CHECKS.get(name)
        if check is None and name not in _FIELD_NAMES:
            raise OptionError(f"unknown option {name!r}; options are {', '.join(sorted(_FIELD_NAMES))}")
        if check is not None:
            value = check(name, value)
        declared = _DECLARED.get(name)
        why = declared.problem(value) if declared is not None else None
        if why:
            raise OptionError(f"{name}: must be {why}, got {value!r}")
        object.__setattr__(self, name, value)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> "SolveOptions":
        values = dict(values or {})
        unknown = set(values) - _FIELD_NAMES
        if unknown:
            raise OptionError(f"unknown option {sorted(unknown)[0]!r}; options are {', '.join(sorted(_FIELD_NAMES))}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def deadline(self) -> "Deadline":
        return Deadline(self.time_limit)


def _time_limit(name, v):
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v) or v < 0:
        raise OptionError(f"{name}: must be a non-negative number of seconds or None, got {v!r}")
    return None if math.isinf(v) else float(v)


def _positive_int(name, v):
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise OptionError(f"{name}: must be a positive integer, got {v!r}")
    return v


def _gap(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v) or v < 0:
        raise OptionError(f"{name}: must be a non-negative number, got {v!r}")
    return float(v)


def _int(name, v):
    if isinstance(v, bool) or not isinstance(v, int):
        raise OptionError(f"{name}: must be an integer, got {v!r}")
    return v


def _bool(name, v):
    if not isinstance(v, bool):
        raise OptionError(f"{name}: must be true or false, got {v!r}")
    return v


def _opt_str(name, v):
    if v is not None and not isinstance(v, str):
        raise OptionError(f"{name}: must be a path or None, got {v!r}")
    return v


def _dict(name, v):
    if not isinstance(v, dict):
        raise OptionError(f"{name}: must be a mapping of backend option names to values, got {v!r}")
    return dict(v)


_CHECKS = {"time_limit": _time_limit, "threads": _positive_int, "rel_gap": _gap, "abs_gap": _gap, "seed": _int,
           "verbose": _bool, "log_file": _opt_str, "backend_options": _dict}
_FIELD_NAMES = {f.name for f in fields(SolveOptions)}

# The options every method takes, declared once: the command line's flags (--time-limit, --threads, ...) and
# their help come from here, and so do the checks above (their ranges are these).
SOLVE_PARAMETERS = (
    Parameter("time_limit", float, None, "seconds per instance and method, counted from the method's start (model "
              "building included); none: no limit", lo=0, hi=1e9),
    Parameter("threads", int, 1, "worker threads for the backends that use them (HiGHS, CP-SAT)", lo=1, hi=1024),
    Parameter("rel_gap", float, 0.0, "stop when the proven relative gap is within this (0: proven optimal)", lo=0,
              hi=1e9),
    Parameter("abs_gap", float, 0.0, "stop when the proven absolute gap is within this (0: proven optimal)", lo=0,
              hi=1e9),
    Parameter("seed", int, 0, "seed of the randomised methods and backends: the same seed, the same answer"),
)
_DECLARED = {q.name: q for q in SOLVE_PARAMETERS}


class LimitReached(Exception):
    """A step was not begun because the time left cannot cover it (or Ctrl-C came): the method ends with
    status time_limit (interrupted) and nothing to report. `optalloc.solve` turns it into that outcome."""


class Deadline:
    """Wall-clock budget shared by the phases of one solve (build, presolve, search)."""

    def __init__(self, limit: float | None):
        self.start = time.perf_counter()
        self.limit = limit

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        if interrupt.requested():
            return 0.0  # Ctrl-C: every phase that sizes itself by the time left stops now
        return math.inf if self.limit is None else max(0.0, self.limit - self.elapsed())

    def require(self, seconds: float, what: str) -> None:
        """Raise LimitReached unless `seconds` (a step's estimated cost) fit in the time left: a step that
        cannot finish in time is not begun, so the limit holds even where the step cannot be interrupted."""
        left = self.remaining()
        if left < seconds:
            raise LimitReached(f"{what} would take about {seconds:.2g} s; {left:.2g} s of the limit were left")

    def expired(self) -> bool:
        return interrupt.requested() or (self.limit is not None and self.elapsed() >= self.limit)
