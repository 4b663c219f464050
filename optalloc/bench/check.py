"""The regression check of a run: what makes `optalloc bench --check` exit 1, and what it only reports.

Failures: an exact method that misses a proven optimum; a run that claims optimal with a nonzero gap; a
solution that fails verification (or a run that crashed); a heuristic whose mean gap to the references
regresses beyond a tolerance against a baseline run. A reference that a run beats is not a failure of
ours: it is listed as a suspect reference, in its own list."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class CheckReport:
    """The regression check's findings: failures (exit 1 with --check) and suspects (references a run beat)."""

    failures: list[str] = field(default_factory=list)
    suspects: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def render(self) -> str:
        out = []
        if self.failures:
            out.append(f"check FAILED: {len(self.failures)} problem(s)")
            out += [f"  - {x}" for x in self.failures]
        else:
            out.append("check passed")
        if self.suspects:
            out.append(f"suspect references ({len(self.suspects)}): a run beat them, so they look wrong")
            out += [f"  - {x}" for x in self.suspects]
        out += self.notes
        return "\n".join(out)


def _where(r: dict) -> str:
    return f"{r['suite']}/{r['instance']} by {r['method']}"


def _num(x) -> str:
    if x is None:
        return "none"
    return f"{int(x)}" if float(x).is_integer() else f"{x:.6g}"


def mean_gaps(rows: list[dict]) -> dict[tuple[str, str], float]:
    """Mean gap to the reference per (suite, method), over the runs that have one."""
    acc = defaultdict(list)
    for r in rows:
        g = r.get("reference_gap")
        if g is not None and not (isinstance(g, float) and math.isnan(g)):
            acc[(r["suite"], r["method"])].append(float(g))
    return {k: sum(v) / len(v) for k, v in acc.items() if v}


def check(rows: list[dict], baseline: list[dict] | None = None, tolerance: float = 1e-3) -> CheckReport:
    """The regression check of a run's `rows`: verification failures, proven optima missed, optimal claims
    with a gap, published references beaten (suspects). With `baseline` (the rows of an earlier run), a
    heuristic whose mean gap to the references rose by more than `tolerance` (absolute: 1e-3 = 0.1
    percentage point) fails too."""
    rep = CheckReport()
    for r in rows:
        failure = r.get("failure") or ""
        if failure.startswith("verification"):
            rep.failures.append(f"{_where(r)}: the solution failed verification: {failure[len('verification: '):]}")
            continue
        if r["status"] == "error":
            rep.failures.append(f"{_where(r)}: {failure or 'error'}")
            continue
        if r["status"] == "optimal" and r.get("gap") not in (None, 0, 0.0):
            rep.failures.append(f"{_where(r)}: claims optimal with gap {r['gap']:.3g}")
        verdict = r.get("reference_verdict")
        if r["kind"] == "exact" and r.get("reference_kind") == "optimal" and verdict in ("missed", "no_solution", None) \
                and r.get("reference_value") is not None:
            why = "no solution" if r.get("objective") is None else f"found {_num(r['objective'])}"
            rep.failures.append(f"{_where(r)}: missed the proven optimum {_num(r['reference_value'])} ({why}, status "
                                f"{r['status']})")
        if verdict == "beaten":
            rep.suspects.append(f"{r['suite']}/{r['instance']}: published {r.get('reference_kind')} "
                                f"{_num(r['reference_value'])}, {r['method']} found {_num(r['objective'])} "
                                f"(status {r['status']})")
        elif verdict == "contradicted":
            rep.suspects.append(f"{r['suite']}/{r['instance']}: published {r.get('reference_kind')} "
                                f"{_num(r['reference_value'])} lies beyond {r['method']}'s proven bound "
                                f"{_num(r['bound'])}")
    if baseline is not None:
        now, before = mean_gaps([r for r in rows if r["kind"] == "heuristic"]), mean_gaps(baseline)
        compared = 0
        for key, g in sorted(now.items()):
            if key not in before:
                continue
            compared += 1
            if g > before[key] + tolerance:
                rep.failures.append(f"{key[1]} on {key[0]}: mean gap to the references regressed from "
                                    f"{100 * before[key]:.4f} % to {100 * g:.4f} % (tolerance "
                                    f"{100 * tolerance:.4f} points)")
        rep.notes.append(f"baseline: {compared} heuristic (suite, method) pair(s) compared")
    return rep
