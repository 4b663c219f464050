"""Matching and task-to-machine problem kinds.

assignment  linear assignment: rows (agents) to columns (jobs), each used at most once, min(m, n) pairs;
            costs may be missing (forbidden pairs, null in JSON); dense or sparse (arcs); min or max.
gap         generalized assignment: every job to exactly one agent, agent loads within capacities; min or max."""
from __future__ import annotations

import itertools
import functools
import math
from dataclasses import dataclass

import numpy as np

from optalloc.errors import InstanceError
from optalloc.numeric import EXACT_TOTAL
from optalloc.problems import validate as v
from optalloc.problems.base import Evaluation, Problem, register_problem

SENSES = ("min", "max")
MAX_CELLS = 10**8  # a sparse shape is stored dense: 800 MB at this size


def _sense(d, where):
    s = d.get("sense", "min")
    if s not in SENSES:
        raise InstanceError(f"{where}.sense", "must be min or max", s)
    return s


def _matrix(raw, where, *, allow_null: bool, nonneg: bool = False, rows: int | None = None,
            cols: int | None = None) -> np.ndarray:
    if isinstance(raw, np.ndarray):
        return _array(raw, where, allow_null=allow_null, nonneg=nonneg, rows=rows, cols=cols)
    if not isinstance(raw, list) or not raw:
        raise InstanceError(where, "must be a non-empty list of rows")
    if rows is not None and len(raw) != rows:
        raise InstanceError(where, f"must have {rows} rows (one per agent), has {len(raw)}")
    width = cols if cols is not None else (len(raw[0]) if isinstance(raw[0], list) else None)
    out = np.empty((len(raw), width or 0), dtype=np.float64)
    for i, row in enumerate(raw):
        if not isinstance(row, list) or len(row) != width or not row:
            raise InstanceError(f"{where}[{i}]", f"must be a list of {width} numbers")
        for j, x in enumerate(row):
            if x is None and allow_null:
                out[i, j] = np.nan
                continue
            rule = "must be a finite number" + (" or null (forbidden pair)" if allow_null else "")
            if nonneg:
                rule = "must be a non-negative finite number"
            if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) or not v._finite(x) \
                    or (nonneg and x < 0):
                raise InstanceError(f"{where}[{i}][{j}]", rule, x)
            out[i, j] = x
    return out


def _array(raw, where, *, allow_null, nonneg, rows, cols) -> np.ndarray:
    """The numpy twin of the list path, checked whole-array (a 5000 x 5000 matrix as lists would take
    seconds). Forbidden pairs need the list form (null) or arcs: a NaN here is an error, as in a file."""
    if raw.ndim != 2 or raw.size == 0:
        raise InstanceError(where, "must be a non-empty list of rows")
    if rows is not None and raw.shape[0] != rows:
        raise InstanceError(where, f"must have {rows} rows (one per agent), has {raw.shape[0]}")
    if cols is not None and raw.shape[1] != cols:
        raise InstanceError(f"{where}[0]", f"must be a list of {cols} numbers")
    if raw.dtype.kind not in "iuf":
        raise InstanceError(where, "must hold numbers", str(raw.dtype))
    out = np.array(raw, dtype=np.float64)
    bad = ~np.isfinite(out) | ((out < 0) if nonneg else False)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        rule = "must be a non-negative finite number" if nonneg else \
            "must be a finite number" + (" or null (forbidden pair)" if allow_null else "")
        raise InstanceError(f"{where}[{i}][{j}]", rule, float(out[i, j]))
    return out


def _to_list(M: np.ndarray) -> list:
    return [[None if np.isnan(x) else v.to_json_number(x) for x in row] for row in M]


# ------------------------------------------------------------------ assignment
@dataclass
class AssignmentData:
    """An assignment's data: costs (dense, or sparse arcs with a shape) and the sense."""

    costs: np.ndarray  # (m, n), NaN = forbidden
    sense: str = "min"

    @property
    def shape(self):
        return self.costs.shape

    @property
    def size(self) -> int:
        return min(self.costs.shape)

    @functools.cached_property
    def allowed(self) -> np.ndarray:
        """Mask of the allowed pairs, computed once (methods and checks all need it)."""
        return np.isfinite(self.costs)

    @functools.cached_property
    def complete(self) -> bool:
        return bool(self.allowed.all())


@register_problem("assignment", "min", fields=("costs", "arcs", "shape", "sense"))  # per instance: data.sense; see sense_of
class Assignment(Problem):
    """linear assignment: min(m, n) pairs, each row and column at most once; forbidden pairs as null"""
    formulation = "optalloc.families.matching.models:ASSIGNMENT"
    fuzz = "optalloc.families.matching.conformance:random_assignment"

    field_docs = {"costs": "rows x columns numbers; null marks a forbidden pair (dense form)",
                  "arcs": "[[row, column, cost], ...] with shape (sparse form, instead of costs)",
                  "shape": "[rows, columns], with arcs", "sense": "'min' (default) or 'max'"}
    example = {"costs": [[4, 1, 3], [2, 0, 5], [3, 2, 2]]}
    solution_doc = '{"assignment": [the column of each row, or -1]}'

    def parse_fields(self, d: dict, where: str) -> AssignmentData:
        if ("costs" in d) == ("arcs" in d):
            raise InstanceError(where, "must give either costs (dense matrix) or arcs with shape (sparse)")
        if "costs" in d:
            C = _matrix(d["costs"], f"{where}.costs", allow_null=True)
        else:
            shape = d.get("shape")
            if not (isinstance(shape, list) and len(shape) == 2):
                raise InstanceError(f"{where}.shape", "must be [rows, columns] with arcs")
            m = v.nonneg_int(shape[0], f"{where}.shape[0]", positive=True)
            n = v.nonneg_int(shape[1], f"{where}.shape[1]", positive=True)
            if m * n > MAX_CELLS:
                raise InstanceError(f"{where}.shape", f"must have at most {MAX_CELLS:,} cells (rows x columns)", shape)
            arcs = d["arcs"]
            if not isinstance(arcs, list) or not arcs:
                raise InstanceError(f"{where}.arcs", "must be a non-empty list of [row, column, cost]")
            C = np.full((m, n), np.nan)
            for k, arc in enumerate(arcs):
                if not isinstance(arc, list) or len(arc) != 3:
                    raise InstanceError(f"{where}.arcs[{k}]", "must be [row, column, cost]", arc)
                i = v.nonneg_int(arc[0], f"{where}.arcs[{k}][0]")
                j = v.nonneg_int(arc[1], f"{where}.arcs[{k}][1]")
                if i >= m or j >= n:
                    raise InstanceError(f"{where}.arcs[{k}]", f"must index inside the {m} x {n} shape", arc)
                C[i, j] = v.finite_number(arc[2], f"{where}.arcs[{k}][2]")
        v.magnitude_within(C, f"{where}.costs" if "costs" in d else f"{where}.arcs")
        return AssignmentData(C, _sense(d, where))

    def dump(self, t: AssignmentData) -> dict:
        m, n = t.shape
        finite = t.allowed
        if finite.mean() < 0.3 and m * n > 100:
            i, j = np.nonzero(finite)
            return {"shape": [m, n], "arcs": [[int(a), int(b), v.to_json_number(t.costs[a, b])] for a, b in zip(i, j)],
                    "sense": t.sense}
        return {"costs": _to_list(t.costs), "sense": t.sense}

    def sense_of(self, t: AssignmentData) -> str:
        return t.sense

    def evaluate(self, t: AssignmentData, solution) -> Evaluation:
        raw = solution.get("assignment") if isinstance(solution, dict) else None
        m, n = t.shape
        if raw is None or len(raw) != m:
            return Evaluation(math.nan, [f"solution.assignment: must give a column (or -1) for each of {m} rows"])
        a = np.asarray(raw, dtype=np.int64)
        problems = []
        used = a[a >= 0]
        if (a < -1).any() or (a >= n).any():
            return Evaluation(math.nan, [f"solution.assignment: columns must lie in -1..{n - 1}"])
        if len(np.unique(used)) != len(used):
            problems.append("a column is assigned twice")
        if len(used) != t.size:
            problems.append(f"{len(used)} pairs, a full assignment has {t.size}")
        rows = np.flatnonzero(a >= 0)
        vals = t.costs[rows, a[rows]]
        if np.isnan(vals).any():
            i = int(rows[np.flatnonzero(np.isnan(vals))[0]])
            problems.append(f"row {i} takes the forbidden column {int(a[i])}")
        return Evaluation(float(np.nansum(vals)), problems)

    def size(self, t) -> dict:
        return {"rows": t.shape[0], "columns": t.shape[1], "arcs": int(t.allowed.sum()), "sense": t.sense}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        m, n = d.shape
        for cols in itertools.product(range(-1, n), repeat=m):
            used = [c for c in cols if c >= 0]
            if len(used) == len(set(used)):  # each column at most once; evaluate checks the rest
                yield {"assignment": list(cols)}


# ------------------------------------------------------------------ generalized assignment
@dataclass
class GAPData:
    """A GAP's data: costs, weights (agents x jobs), capacities and the sense."""

    costs: np.ndarray  # (m agents, n jobs)
    weights: np.ndarray  # (m, n) resource use
    capacities: np.ndarray  # (m,)
    sense: str = "min"

    @property
    def m(self) -> int:
        return self.costs.shape[0]

    @property
    def n(self) -> int:
        return self.costs.shape[1]


@register_problem("gap", "min", fields=("costs", "weights", "capacities", "sense"))
class GeneralizedAssignment(Problem):
    """generalized assignment: each job to one agent, agent loads within capacities"""
    formulation = "optalloc.families.matching.models:GAP"
    fuzz = "optalloc.families.matching.conformance:random_gap"

    field_docs = {"costs": "agents x jobs: one row per agent, one column per job",
                  "weights": "agents x jobs, >= 0: the capacity a job uses on an agent",
                  "capacities": "one number >= 0 per agent", "sense": "'min' (default) or 'max'"}
    example = {"costs": [[3, 5, 4], [4, 2, 6]], "weights": [[2, 3, 2], [3, 2, 3]], "capacities": [4, 5]}
    solution_doc = '{"agent": [the agent of each job]}'

    def parse_fields(self, d: dict, where: str) -> GAPData:
        C = _matrix(v.field_of(d, "costs", where), f"{where}.costs", allow_null=False)
        A = _matrix(v.field_of(d, "weights", where), f"{where}.weights", allow_null=False, nonneg=True,
                    rows=C.shape[0], cols=C.shape[1])
        caps = v.array_of(v.field_of(d, "capacities", where), f"{where}.capacities", kind="nonneg",
                          length=C.shape[0], per="agent: costs and weights have one row per agent and one column "
                                                 "per job")
        for arr, name in ((C, "costs"), (A, "weights")):
            v.magnitude_within(arr, f"{where}.{name}")
        v.magnitude_within(caps, f"{where}.capacities", EXACT_TOTAL)  # a capacity is a sum of weights
        return GAPData(C, A, caps.astype(np.float64), _sense(d, where))

    def dump(self, t: GAPData) -> dict:
        return {"costs": _to_list(t.costs), "weights": _to_list(t.weights),
                "capacities": v.to_json_list(t.capacities), "sense": t.sense}

    def sense_of(self, t: GAPData) -> str:
        return t.sense

    def evaluate(self, t: GAPData, solution) -> Evaluation:
        raw = solution.get("agent") if isinstance(solution, dict) else None
        if raw is None or len(raw) != t.n:
            return Evaluation(math.nan, [f"solution.agent: must give an agent for each of {t.n} jobs"])
        a = np.asarray(raw, dtype=np.int64)
        if (a < 0).any() or (a >= t.m).any():
            return Evaluation(math.nan, [f"solution.agent: agents must lie in 0..{t.m - 1}"])
        jobs = np.arange(t.n)
        load = np.bincount(a, weights=t.weights[a, jobs], minlength=t.m)
        problems = [f"agent {i}: load {v.to_json_number(load[i])} exceeds capacity {v.to_json_number(t.capacities[i])}"
                    for i in np.flatnonzero(load > t.capacities + 1e-9)]
        return Evaluation(float(t.costs[a, jobs].sum()), problems)

    def size(self, t) -> dict:
        return {"agents": t.m, "jobs": t.n, "sense": t.sense}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        for a in itertools.product(range(d.m), repeat=d.n):
            yield {"agent": list(a)}


# ------------------------------------------------------------------ makespan on unrelated machines
@dataclass
class MakespanData:
    """A makespan instance's data: processing times (machines x jobs)."""

    times: np.ndarray  # (m machines, n jobs), NaN = the job cannot run there

    @property
    def m(self) -> int:
        return self.times.shape[0]

    @property
    def n(self) -> int:
        return self.times.shape[1]


@register_problem("makespan", "min", fields=("times",))
class Makespan(Problem):
    """load balancing on unrelated machines (R||Cmax): each job to one machine, minimise the largest load"""
    formulation = "optalloc.families.matching.models:MAKESPAN"
    fuzz = "optalloc.families.matching.conformance:random_makespan"

    field_docs = {"times": "machines x jobs processing times >= 0; null: the job cannot run there"}
    example = {"times": [[3, 5, 4, 2], [4, 2, 6, 3]]}
    solution_doc = '{"machine": [the machine of each job]}'

    def parse_fields(self, d: dict, where: str) -> MakespanData:
        T = _matrix(v.field_of(d, "times", where), f"{where}.times", allow_null=True)
        neg = np.argwhere(T < 0)
        if len(neg):
            i, j = neg[0]
            raise InstanceError(f"{where}.times[{i}][{j}]", "must be a non-negative processing time or null", T[i, j])
        v.magnitude_within(T, f"{where}.times")
        return MakespanData(T)

    def dump(self, t: MakespanData) -> dict:
        return {"times": _to_list(t.times)}

    def evaluate(self, t: MakespanData, solution) -> Evaluation:
        raw = solution.get("machine") if isinstance(solution, dict) else None
        if raw is None or len(raw) != t.n:
            return Evaluation(math.nan, [f"solution.machine: must give a machine for each of {t.n} jobs"])
        a = np.asarray(raw, dtype=np.int64)
        if (a < 0).any() or (a >= t.m).any():
            return Evaluation(math.nan, [f"solution.machine: machines must lie in 0..{t.m - 1}"])
        p = t.times[a, np.arange(t.n)]
        if np.isnan(p).any():
            j = int(np.flatnonzero(np.isnan(p))[0])
            return Evaluation(math.nan, [f"job {j} cannot run on machine {int(a[j])}"])
        return Evaluation(float(np.bincount(a, weights=p, minlength=t.m).max()), [])

    def size(self, t) -> dict:
        return {"machines": t.m, "jobs": t.n}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        for a in itertools.product(range(d.m), repeat=d.n):
            yield {"machine": list(a)}


# ------------------------------------------------------------------ LLM routing under a budget
@dataclass
class RoutingData:
    """An LLM-routing instance's data: quality and cost per query and model, and the budget."""

    quality: np.ndarray  # (queries, models)
    cost: np.ndarray  # (queries, models), >= 0
    capacity: np.ndarray  # (models,) queries a model can take
    budget: float

    @property
    def q(self) -> int:
        return self.quality.shape[0]

    @property
    def k(self) -> int:
        return self.quality.shape[1]


@register_problem("routing", "max", fields=("quality", "cost", "capacity", "budget"))
class Routing(Problem):
    """LLM routing: each query to one model, model capacities, total cost <= budget, maximise quality"""
    formulation = "optalloc.families.matching.models:ROUTING"
    fuzz = "optalloc.families.matching.conformance:random_routing"

    field_docs = {"quality": "queries x models: the quality of each answer", "cost": "queries x models, >= 0",
                  "capacity": "one integer per model: queries it can take", "budget": "total cost allowed"}
    example = {"quality": [[0.9, 0.6], [0.8, 0.7], [0.95, 0.5]], "cost": [[3, 1], [3, 1], [3, 1]],
               "capacity": [2, 3], "budget": 6}
    solution_doc = '{"model": [the model of each query]}'

    def parse_fields(self, d: dict, where: str) -> RoutingData:
        Q = _matrix(v.field_of(d, "quality", where), f"{where}.quality", allow_null=False)
        C = _matrix(v.field_of(d, "cost", where), f"{where}.cost", allow_null=False, nonneg=True, rows=Q.shape[0],
                    cols=Q.shape[1])
        cap = v.array_of(v.field_of(d, "capacity", where), f"{where}.capacity", kind="int", length=Q.shape[1],
                           per="model: quality and cost have one row per query and one column per model")
        budget = float(v.finite_number(v.field_of(d, "budget", where), f"{where}.budget", nonneg=True))
        for arr, name in ((Q, "quality"), (C, "cost")):
            v.magnitude_within(arr, f"{where}.{name}")
        v.magnitude_within(np.array([budget]), f"{where}.budget", EXACT_TOTAL)
        v.total_within(cap, f"{where}.capacity")
        return RoutingData(Q, C, cap, budget)

    def dump(self, t: RoutingData) -> dict:
        return {"quality": _to_list(t.quality), "cost": _to_list(t.cost), "capacity": v.to_json_list(t.capacity),
                "budget": v.to_json_number(t.budget)}

    def evaluate(self, t: RoutingData, solution) -> Evaluation:
        raw = solution.get("model") if isinstance(solution, dict) else None
        if raw is None or len(raw) != t.q:
            return Evaluation(math.nan, [f"solution.model: must give a model for each of {t.q} queries"])
        a = np.asarray(raw, dtype=np.int64)
        if (a < 0).any() or (a >= t.k).any():
            return Evaluation(math.nan, [f"solution.model: models must lie in 0..{t.k - 1}"])
        rows = np.arange(t.q)
        problems = []
        spent = float(t.cost[rows, a].sum())
        if spent > t.budget * (1 + 1e-12) + 1e-9:
            problems.append(f"cost {spent:.6g} exceeds the budget {t.budget:.6g}")
        use = np.bincount(a, minlength=t.k)
        for i in np.flatnonzero(use > t.capacity):
            problems.append(f"model {int(i)} takes {int(use[i])} queries, capacity {int(t.capacity[i])}")
        return Evaluation(float(t.quality[rows, a].sum()), problems)

    def size(self, t) -> dict:
        return {"queries": t.q, "models": t.k, "budget": t.budget}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        for a in itertools.product(range(d.k), repeat=d.q):
            yield {"model": list(a)}


# ------------------------------------------------------------------ bipartite b-matching
@dataclass
class BMatchingData:
    """A b-matching's data: weighted edges and the capacity of each side's vertices."""

    weights: np.ndarray  # (m, n), NaN = no edge
    row_capacity: np.ndarray  # (m,) edges a row may take
    col_capacity: np.ndarray  # (n,)


@register_problem("bmatching", "max", fields=("weights", "row_capacity", "col_capacity"))
class BMatching(Problem):
    """bipartite b-matching: edges chosen at most once, degrees within capacities, maximise weight"""
    formulation = "optalloc.families.matching.models:BMATCHING"
    fuzz = "optalloc.families.matching.conformance:random_bmatching"

    field_docs = {"weights": "rows x columns edge weights; null: no edge",
                  "row_capacity": "optional, one integer per row: edges it may take (default 1)",
                  "col_capacity": "optional, one integer per column (default 1)"}
    example = {"weights": [[4, 1, None], [2, 3, 5]], "row_capacity": [1, 2], "col_capacity": [1, 1, 1]}
    solution_doc = '{"edges": [[row, column], ...]}'

    def parse_fields(self, d: dict, where: str) -> BMatchingData:
        W = _matrix(v.field_of(d, "weights", where), f"{where}.weights", allow_null=True)
        m, n = W.shape
        rc = v.array_of(d.get("row_capacity", [1] * m), f"{where}.row_capacity", kind="int", length=m,
                            per="row of weights")
        cc = v.array_of(d.get("col_capacity", [1] * n), f"{where}.col_capacity", kind="int", length=n,
                            per="column of weights")
        v.magnitude_within(W, f"{where}.weights")
        v.total_within(rc, f"{where}.row_capacity")
        v.total_within(cc, f"{where}.col_capacity")
        return BMatchingData(W, rc, cc)

    def dump(self, t: BMatchingData) -> dict:
        return {"weights": _to_list(t.weights), "row_capacity": v.to_json_list(t.row_capacity),
                "col_capacity": v.to_json_list(t.col_capacity)}

    def evaluate(self, t: BMatchingData, solution) -> Evaluation:
        raw = solution.get("edges") if isinstance(solution, dict) else None
        if raw is None:
            return Evaluation(math.nan, ["solution.edges: missing (a list of [row, column] pairs)"])
        E = np.asarray(raw, dtype=np.int64).reshape(-1, 2)
        m, n = t.weights.shape
        if len(E) and ((E < 0).any() or (E[:, 0] >= m).any() or (E[:, 1] >= n).any()):
            return Evaluation(math.nan, ["solution.edges: an index is out of range"])
        problems = []
        if len({(int(a), int(b)) for a, b in E}) != len(E):
            problems.append("an edge is chosen twice")
        w = t.weights[E[:, 0], E[:, 1]] if len(E) else np.zeros(0)
        if np.isnan(w).any():
            problems.append("a chosen pair is not an edge")
        for side, idx, cap in (("row", E[:, 0], t.row_capacity), ("column", E[:, 1], t.col_capacity)):
            deg = np.bincount(idx, minlength=len(cap)) if len(E) else np.zeros(len(cap), dtype=np.int64)
            for k in np.flatnonzero(deg > cap):
                problems.append(f"{side} {int(k)} has {int(deg[k])} edges, capacity {int(cap[k])}")
        return Evaluation(float(np.nansum(w)), problems)

    def size(self, t) -> dict:
        return {"rows": t.weights.shape[0], "columns": t.weights.shape[1], "edges": int(np.isfinite(t.weights).sum())}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        edges = [(i, j) for i, j in zip(*np.nonzero(np.isfinite(d.weights)))]
        for mask in itertools.product((0, 1), repeat=len(edges)):
            yield {"edges": [[int(i), int(j)] for (i, j), on in zip(edges, mask) if on]}


# ------------------------------------------------------------------ budgeted allocation (AdWords)
@dataclass
class AdwordsData:
    """A budgeted allocation's data: bids (advertisers x queries) and budgets."""

    bids: np.ndarray  # (advertisers, queries), NaN = no bid; queries arrive in column order
    budgets: np.ndarray  # (advertisers,)


@register_problem("adwords", "max", fields=("bids", "budgets"))
class Adwords(Problem):
    """budgeted allocation (AdWords): each query to at most one advertiser, who pays its bid up to what is left
    of its budget; queries arrive in column order"""
    formulation = "optalloc.families.matching.models:ADWORDS"
    fuzz = "optalloc.families.matching.conformance:random_adwords"

    field_docs = {"bids": "advertisers x queries bids >= 0; null: no bid", "budgets": "one number >= 0 per advertiser"}
    example = {"bids": [[1, 2, None, 1], [2, 1, 1, None]], "budgets": [3, 2]}
    solution_doc = '{"advertiser": [the advertiser of each query, or -1]}'

    def parse_fields(self, d: dict, where: str) -> AdwordsData:
        Bd = _matrix(v.field_of(d, "bids", where), f"{where}.bids", allow_null=True)
        if (np.nan_to_num(Bd) < 0).any():
            i, j = np.argwhere(np.nan_to_num(Bd) < 0)[0]
            raise InstanceError(f"{where}.bids[{i}][{j}]", "must be a non-negative bid or null", Bd[i, j])
        budgets = v.array_of(v.field_of(d, "budgets", where), f"{where}.budgets", kind="nonneg", length=Bd.shape[0],
                             per="advertiser: bids have one row per advertiser and one column per query")
        v.magnitude_within(Bd, f"{where}.bids")
        v.magnitude_within(budgets, f"{where}.budgets", EXACT_TOTAL)
        return AdwordsData(Bd, budgets.astype(np.float64))

    def dump(self, t: AdwordsData) -> dict:
        return {"bids": _to_list(t.bids), "budgets": v.to_json_list(t.budgets)}

    def evaluate(self, t: AdwordsData, solution) -> Evaluation:
        """Revenue: each advertiser pays the sum of its bids on the queries it got, capped by its budget."""
        raw = solution.get("advertiser") if isinstance(solution, dict) else None
        m, n = t.bids.shape
        if raw is None or len(raw) != n:
            return Evaluation(math.nan, [f"solution.advertiser: must give an advertiser or -1 for each of {n} queries"])
        a = np.asarray(raw, dtype=np.int64)
        if (a < -1).any() or (a >= m).any():
            return Evaluation(math.nan, [f"solution.advertiser: values must lie in -1..{m - 1}"])
        q = np.flatnonzero(a >= 0)
        b = t.bids[a[q], q]
        if np.isnan(b).any():
            j = int(q[np.flatnonzero(np.isnan(b))[0]])
            return Evaluation(math.nan, [f"query {j} went to advertiser {int(a[j])}, who did not bid on it"])
        spent = np.bincount(a[q], weights=b, minlength=m)
        return Evaluation(float(np.minimum(spent, t.budgets).sum()), [])

    def size(self, t) -> dict:
        return {"advertisers": t.bids.shape[0], "queries": t.bids.shape[1]}

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        m, n = d.bids.shape
        for a in itertools.product(range(-1, m), repeat=n):
            yield {"advertiser": list(a)}
