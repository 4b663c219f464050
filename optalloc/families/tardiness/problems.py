"""Single-machine tardiness problem kinds.

tardiness   1||ΣT_j and 1||Σw_jT_j: n jobs with integer processing times p_j > 0 and integer due dates d_j
            (any sign: the seed's 20-job set has negative due dates), optional weights w_j >= 0 (default 1),
            one machine from time 0, no preemption and no idle time; minimise Σ w_j max(0, C_j - d_j).
            A solution is {"sequence": [job indices in processing order]}, a permutation of 0..n-1."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from optalloc.errors import InstanceError
from optalloc.numeric import MAX_HORIZON, sum_error_bound
from optalloc.problems import validate as v
from optalloc.problems.base import Evaluation, Problem, register_problem


def largest_cost(p, w) -> float:
    """sum(|w|) times the horizon sum(p): no schedule costs more, so float noise is measured against it."""
    return float(np.abs(np.asarray(w, dtype=np.float64)).sum()) * float(np.asarray(p).sum())


@dataclass
class TardinessData:
    """A tardiness instance's data: integer processing times, due dates and weights (numpy arrays)."""

    p: np.ndarray  # int64 processing times, > 0
    d: np.ndarray  # int64 due dates
    w: np.ndarray  # weights (int64 when integral, else float64)
    weighted: bool  # False when the instance gave no weights (1||ΣT_j)

    @property
    def n(self) -> int:
        return len(self.p)

    def cost(self, sequence) -> float:
        """Σ w_j T_j of a processing order, from the data."""
        seq = np.asarray(sequence, dtype=np.int64)
        C = np.cumsum(self.p[seq])  # at most 2^40 by the numeric contract
        T = np.maximum(C - self.d[seq], 0).tolist()
        if self.w.dtype.kind in "iu":
            return sum(int(wj) * t for wj, t in zip(self.w[seq].tolist(), T))  # Python ints: exact
        # float weights: exact rational products, one rounding at the end
        return float(sum(Fraction(wj) * t for wj, t in zip(self.w[seq].tolist(), T) if t))


def _int_array(raw, where, *, positive: bool, n: int | None) -> np.ndarray:
    if isinstance(raw, np.ndarray):
        raw = raw.tolist()
    if not isinstance(raw, list):
        raise InstanceError(where, "must be a list of integers", type(raw).__name__)
    if not raw:
        raise InstanceError(where, "must not be empty")
    if n is not None and len(raw) != n:
        raise InstanceError(where, f"must have {n} entries (one per job), has {len(raw)}")
    out = np.empty(len(raw), dtype=np.int64)
    for i, x in enumerate(raw):
        if positive:
            out[i] = v.nonneg_int(x, f"{where}[{i}]", positive=True)
        else:
            if not v._is_int(x):
                raise InstanceError(f"{where}[{i}]", "must be an integer", x)
            if abs(x) > MAX_HORIZON:
                raise InstanceError(f"{where}[{i}]", "must be at most 2^40 = 1099511627776 in absolute value (the "
                                                     "numeric contract)", x)
            out[i] = int(x)
    return out


@register_problem("tardiness", "min", fields=("processing_times", "due_dates", "weights"))
class Tardiness(Problem):
    """single machine, total (weighted) tardiness: order n jobs to minimise Σ w_j max(0, C_j - d_j)"""
    formulation = "optalloc.families.tardiness.models:POSITIONAL"
    fuzz = "optalloc.families.tardiness.conformance:random_tardiness"

    field_docs = {"processing_times": "n integers > 0, one per job", "due_dates": "n integers, one per job",
                  "weights": "optional: n numbers >= 0 (none: total tardiness, unweighted)"}
    example = {"processing_times": [3, 2, 4, 1], "due_dates": [4, 3, 6, 2], "weights": [1, 2, 1, 3]}
    solution_doc = '{"sequence": [the jobs in processing order]}'

    def parse_fields(self, d: dict, where: str) -> TardinessData:
        p = _int_array(v.field_of(d, "processing_times", where), f"{where}.processing_times", positive=True, n=None)
        due = _int_array(v.field_of(d, "due_dates", where), f"{where}.due_dates", positive=False, n=len(p))
        horizon = v.total_within(p, f"{where}.processing_times", limit=MAX_HORIZON)
        if "weights" in d:
            w = v.array_of(d["weights"], f"{where}.weights", kind="nonneg", length=len(p), per="job")
            weighted = True
        else:
            w, weighted = np.ones(len(p), dtype=np.int64), False
        # the worst schedule's cost bounds every objective: it must be exact in float64 and int64
        late = [max(0, horizon - int(dj)) for dj in due.tolist()]
        worst = [(int(wj) if w.dtype.kind in "iu" else float(wj)) * t for wj, t in zip(w.tolist(), late)]
        v.total_within(worst, f"{where}.weights" if weighted else f"{where}.due_dates",
                       "times the largest possible tardiness (sum of processing times minus due date) "
                       "must sum to at most")
        return TardinessData(p, due, w, weighted)

    def dump(self, t: TardinessData) -> dict:
        out = {"processing_times": v.to_json_list(t.p), "due_dates": v.to_json_list(t.d)}
        if t.weighted:
            out["weights"] = v.to_json_list(t.w)
        return out

    def evaluate(self, t: TardinessData, solution) -> Evaluation:
        raw = solution.get("sequence") if isinstance(solution, dict) else None
        if not isinstance(raw, (list, np.ndarray)):
            return Evaluation(float("nan"), ["solution.sequence: is required (a list of job indices)"])
        seq = [int(x) if v._is_int(x) else -1 for x in list(raw)]
        bad = [x for x in seq if not 0 <= x < t.n]
        if bad or len(seq) != t.n or len(set(seq)) != t.n:
            missing = sorted(set(range(t.n)) - set(seq))
            what = f"index {bad[0]} is not a job" if bad else (f"job {missing[0]} is missing" if missing else
                                                               "a job appears twice")
            return Evaluation(float("nan"), [f"solution.sequence: must be a permutation of 0..{t.n - 1} ({what})"])
        return Evaluation(float(t.cost(seq)))

    def value_atol(self, t: TardinessData) -> float:
        """The objective is a sum of nonnegative terms w_j T_j, each below w_j times the horizon P: integer weights
        sum exactly (0 noise); for float ones, noise is 1e-12 of the largest cost the instance can have (sum(w) P),
        the scale its methods' float bounds are computed at, never an absolute 1e-9 (weights near 1e-12 made
        every answer 'equal', a dispatching rule's 70 % gap included)."""
        if t.w.dtype.kind in "iu":
            return 0.0
        top = largest_cost(t.p, t.w)
        return 1e-12 * top + sum_error_bound(t.n + 2, top)

    def witness(self, t: TardinessData) -> dict:
        return {"sequence": np.argsort(t.d, kind="stable").tolist()}  # earliest due date first: any order is feasible

    def size(self, t: TardinessData) -> dict:
        return {"jobs": t.n, "horizon": int(t.p.sum()), "weighted": t.weighted}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        for seq in itertools.permutations(range(d.n)):
            yield {"sequence": list(seq)}
