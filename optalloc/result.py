"""One Result for every method, exact or heuristic, and the comparison with an instance's reference."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from optalloc.errors import NoSolutionError
from optalloc.gap import VALUE_ATOL, better, gap, values_equal
from optalloc.status import SolutionStatus, Status, status_of_stop


SOLVED_TOLERANCE = 1e-4  # a run within this (relative) of its instance's reference counts as solved


@dataclass
class Outcome:
    """What a method hands back to the core before verification: its claim, in problem terms."""

    status: Status
    solution: dict | None = None
    objective: float | None = None  # as the backend reports it; checked against the recomputed value
    bound: float | None = None  # proven bound (upper for max, lower for min), None if unknown
    raw_status: str = ""
    message: str = ""
    extra: dict = field(default_factory=dict)
    # Absolute objective tolerance the backend states for this answer (HiGHS's feasibility tolerance times
    # the objective's coefficients, say): differences within it are noise, not a bug. 0 for exact methods.
    tolerance: float = 0.0

    @classmethod
    def infeasible(cls, raw_status: str = "infeasible", message: str = "", **kw) -> "Outcome":
        """Proven infeasible: no solution, no bound."""
        return cls(Status.INFEASIBLE, None, None, None, raw_status, message, **kw)

    @classmethod
    def from_stop(cls, stopped: str, solution, objective, bound, raw_status: str | None = None, **kw) -> "Outcome":
        """The Outcome of a dedicated algorithm that says why it stopped ("optimal", "time_limit",
        "memory_limit", "gap_limit", ...): the reason is its status (and its raw status unless one is given)."""
        return cls(status_of_stop(stopped), solution, objective, bound, raw_status or stopped, **kw)

    @classmethod
    def from_backend(cls, b, solution, objective, bound, **kw) -> "Outcome":
        """The Outcome of a backend's answer (HiGHS's LinearOutcome, CP-SAT's CpOutcome): its status, raw
        status and stated tolerance, with the solution decoded into problem terms. The backend's progress
        (its anytime trace, in the model's terms) goes to optalloc.trace, moved by the constant that
        separates the model's objective from the problem's (`objective` - b.objective, 0 without one):
        models here differ from their problem by a constant at most, and solve checks every point."""
        _record_progress(b, objective)
        said = (getattr(b, "extra", None) or {}).get("message")
        if said and not kw.get("message"):  # the backend's reason (a refusal, a reset, an ended process) is kept
            kw["message"] = said
        return cls(b.status, solution, objective, bound, b.raw_status, tolerance=getattr(b, "tolerance", 0.0), **kw)


@dataclass
class Result:
    """A certified answer: what one method did on one instance.

    Three axes, kept apart: `status` says why the method stopped (optimal, time_limit, completed for a
    heuristic, infeasible, ...); `solution_status` says what it returned (optimal, feasible, infeasible_point,
    none); `gap` says how far the answer may be from the optimum, from `objective` (recomputed from the data)
    and `bound` (proven: upper for max, lower for min), 0 only when proven.

    Also: `time` (seconds from the method's start, model building included), `method`, `kind` (exact or
    heuristic), `backend` and `backend_version`, `options` (as run), `solution` (in the problem's terms),
    `reference` (the verdict against the instance's published value: reproduced, missed, beaten, ...),
    `raw_status` (the backend's own word), `message`, `extra` (method-specific facts) and `trace` (the anytime
    trace: [seconds, incumbent, bound] at each improvement, the last point the answer itself)."""

    name: str
    problem: str
    sense: str
    method: str
    kind: str  # "exact" or "heuristic"
    status: Status
    solution_status: SolutionStatus
    objective: float | None
    bound: float | None
    gap: float | None
    time: float
    backend: str
    backend_version: str
    options: dict
    solution: dict | None
    reference: dict | None = None
    raw_status: str = ""
    message: str = ""
    extra: dict = field(default_factory=dict)
    # the anytime trace: [seconds, incumbent, bound] at each improvement, the last one the certified answer
    # (optalloc.trace); None for a run that failed verification
    trace: list | None = None

    JSON_KEYS = ("name", "status", "solution_status", "objective", "bound", "gap", "time", "method", "solution",
                 "reference")

    @property
    def has_solution(self) -> bool:
        """A feasible (or optimal) solution came back; an infeasible point does not count."""
        return self.solution is not None and self.solution_status in (SolutionStatus.OPTIMAL, SolutionStatus.FEASIBLE)

    def solved(self, tolerance: float = SOLVED_TOLERANCE) -> bool:
        """Proven optimal, or within `tolerance` of the reference (counts_as_solved)."""
        ref = self.reference or {}
        return counts_as_solved(self.status, self.solution_status, ref.get("kind"), ref.get("gap"), tolerance)

    def require_solution(self) -> dict:
        if self.solution is None:
            raise NoSolutionError(f"{self.method} on {self.name} returned no solution (status {self.status})")
        return self.solution

    def to_dict(self, full: bool = False) -> dict:
        base = {
            "name": self.name, "status": str(self.status), "solution_status": str(self.solution_status),
            "objective": _num(self.objective), "bound": _num(self.bound), "gap": _num(self.gap),
            "time": round(self.time, 6), "method": self.method, "solution": self.solution,
            "reference": self.reference,
        }
        if full:
            base.update({"problem": self.problem, "sense": self.sense, "kind": self.kind, "backend": self.backend,
                         "backend_version": self.backend_version, "options": self.options,
                         "raw_status": self.raw_status, "message": self.message, "extra": self.extra,
                         "trace": self.trace})
        return base

    def to_json(self, full: bool = False) -> str:
        return json.dumps(self.to_dict(full), allow_nan=False, default=_json_default)

    def to_row(self) -> dict:
        """The Result as a row of the one results table (bench's parquet, its journal, the report's input): the
        columns that come from the answer. bench adds where it ran (suite, position, machine, ...)."""
        return row_of(self.to_dict(full=True))

    def summary(self) -> str:
        lines = [f"{self.name} [{self.problem}] by {self.method} ({self.kind}, {self.backend} {self.backend_version})",
                 f"  status            {self.status}",
                 f"  solution status   {self.solution_status}",
                 f"  objective         {_fmt(self.objective)}",
                 f"  bound             {_fmt(self.bound)}",
                 f"  gap               {_fmt_gap(self.gap)}",
                 f"  time              {self.time:.3f} s"]
        if self.reference:
            r = self.reference
            lines.append(f"  reference         {r['verdict']} ({r['kind']} {_fmt(r['value'])}, gap {_fmt_gap(r.get('gap'))})")
        if self.message:
            lines.append(f"  message           {self.message}")
        return "\n".join(lines)

    __str__ = summary


def _record_progress(b, objective) -> None:
    from optalloc import trace

    points = getattr(b, "progress", None) or ()
    if not points:
        return
    shift = 0.0
    if objective is not None and b.objective is not None:
        shift = float(objective) - float(b.objective)
    for at, obj, bnd in points:
        trace.record(None if obj is None else obj + shift,
                     None if bnd is None or not math.isfinite(bnd) else bnd + shift, at=at)


def counts_as_solved(status: str, solution_status: str, reference_kind: str | None, reference_gap: float | None,
                     tolerance: float = SOLVED_TOLERANCE) -> bool:
    """The one meaning of "solved" in every table, report and profile: a feasible solution that is proven optimal,
    or within `tolerance` (relative) of the instance's optimal or best-known reference value."""
    if str(solution_status) not in ("optimal", "feasible"):
        return False
    if str(status) == "optimal":
        return True
    return (reference_kind in ("optimal", "best_known") and reference_gap is not None
            and not (isinstance(reference_gap, float) and math.isnan(reference_gap))
            and float(reference_gap) <= tolerance)


def compare_reference(objective: float | None, bound: float | None, sense: str, reference,
                      atol: float = VALUE_ATOL) -> dict | None:
    """Verdict of a result against an instance's reference value.

    reproduced: the objective equals the reference; missed: worse (with its gap); beaten: better than a
    value that was claimed optimal or best known, or outside a claimed bound; that means the reference is
    wrong and is reported as such. contradicted: our proven bound shows the reference value cannot be
    attained. within_bound: a solution inside a reference bound. no_solution: nothing to compare. `atol`: the
    instance's float noise (gap.values_equal)."""
    if reference is None:
        return None
    out: dict[str, Any] = {"value": _num(reference.value), "kind": reference.kind, "source": reference.source}
    ref = reference.value
    if reference.kind in ("optimal", "best_known") and bound is not None and better(ref, bound, sense, atol):
        out.update(verdict="contradicted", gap=gap(objective, ref, sense, atol) if objective is not None else None)
        out["note"] = "the proven bound shows the reference value is not attainable: the reference is wrong"
        return out
    if objective is None:
        out.update(verdict="no_solution", gap=None)
        return out
    g = gap(objective, ref, sense, atol)
    if reference.kind == "bound":
        if better(objective, ref, sense, atol):
            out.update(verdict="beaten", gap=g, note="the objective is outside the reference bound: the bound is wrong")
        else:
            out.update(verdict="within_bound", gap=g)
        return out
    if values_equal(objective, ref, atol):
        out.update(verdict="reproduced", gap=0.0)
    elif better(objective, ref, sense, atol):
        note = ("better than the published optimum: the reference is wrong" if reference.kind == "optimal"
                else "improves on the best known value")
        out.update(verdict="beaten", gap=g, note=note)
    else:
        out.update(verdict="missed", gap=g)
    return out


def _num(x):
    if x is None:
        return None
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x if isinstance(x, (int, float)) else float(x)


def _json_default(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and not x.is_integer():
        return f"{x:.6g}"
    return f"{int(x)}" if abs(x) < 1e15 else f"{x:.6g}"


def _fmt_gap(g) -> str:
    if g is None:
        return "-"
    if math.isinf(g):
        return "inf"
    return f"{100 * g:.4f} %"


def row_of(d: dict) -> dict:
    """A results row from a Result's full dict (Result.to_dict(full=True), as `solve --output` writes each line):
    one mapping from an answer to the table that bench, its journal and the report share."""
    ref = d.get("reference") or {}

    def num(x):
        return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)

    return {"instance": d.get("name"), "problem": d.get("problem"), "sense": d.get("sense"), "method": d.get("method"),
            "kind": d.get("kind"), "options": json.dumps(d.get("options") or {}, sort_keys=True, default=str),
            "status": str(d.get("status")), "solution_status": str(d.get("solution_status")),
            "objective": num(d.get("objective")), "bound": num(d.get("bound")), "gap": num(d.get("gap")),
            "reference_value": num(ref.get("value")), "reference_kind": ref.get("kind"),
            "reference_verdict": ref.get("verdict"), "reference_gap": num(ref.get("gap")),
            "time": num(d.get("time")), "trace": None if d.get("trace") is None else json.dumps(d["trace"]),
            "failure": d.get("message") if str(d.get("status")) == "error" else None,
            "backend": d.get("backend"), "backend_version": d.get("backend_version")}
