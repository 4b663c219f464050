"""Assignment and GAP formulations.

assignment  LP over the allowed pairs: rows of the smaller side == 1, the other side <= 1. Its corners are
            integral (the constraint matrix is totally unimodular); the method checks that the solution is.
gap         MIP: x_i_j binary, assign_j: sum_i x_i_j = 1, capacity_i: sum_j a_ij x_i_j <= b_i.

Columns x_i_j (agent/row i, job/column j); only allowed pairs of an assignment get a column."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from optalloc.instances.format import Instance
from optalloc.models import Formulation, arrays, decode, encode, mip  # noqa: F401  (mip, encode: this module's API)
from optalloc.models.linear import INF, LazyNames, LinearModel, check_build, kept_names, pair_names, range_names


def _grouped_pairs(M):
    """The allowed (finite) pairs of a matrix in row-major order, and those pairs grouped by row and by
    column, for the Pyomo builds' row constraints."""
    i, j = np.nonzero(np.isfinite(M))
    pairs = list(zip(i.tolist(), j.tolist()))
    by_row: dict = {a: [] for a in range(M.shape[0])}
    by_col: dict = {b: [] for b in range(M.shape[1])}
    for p in pairs:
        by_row[p[0]].append(p)
        by_col[p[1]].append(p)
    return pairs, by_row, by_col


def _pairs(d):
    """The allowed pairs of an assignment instance (its mask is computed once per instance)."""
    return np.nonzero(d.allowed)


# ------------------------------------------------------------------ assignment
def assignment_arrays(instance: Instance, deadline=None) -> LinearModel:
    """The assignment LP as arrays. With `deadline`, a build the time left cannot cover is not begun
    (options.LimitReached): it grows as rows x columns of the instance's matrix."""
    d = instance.data
    m, n = d.shape
    check_build(deadline, 2 * m * n)
    i, j = _pairs(d)
    N = len(i)
    rows = sp.csr_matrix((np.ones(N), (i, np.arange(N))), shape=(m, N))
    cols = sp.csr_matrix((np.ones(N), (j, np.arange(N))), shape=(n, N))
    full_rows = m <= n  # the smaller side is matched completely
    A = sp.vstack([rows, cols], format="csr")
    lo = np.concatenate([np.ones(m) if full_rows else np.zeros(m), np.zeros(n) if full_rows else np.ones(n)])
    hi = np.ones(m + n)
    names = pair_names("x", i, j)
    rnames = LazyNames(range_names("row", m), range_names("col", n))
    keep = (np.diff(A.indptr) > 0) | (lo > 0)  # an empty row of the partial side constrains nothing
    return LinearModel(d.sense, d.costs[i, j], A[keep], lo[keep], hi[keep], np.zeros(N), np.ones(N),
                       np.zeros(N, dtype=bool), names, kept_names(rnames, keep))


def assignment_mip(instance: Instance):
    """The assignment LP in Pyomo."""
    import pyomo.environ as pyo

    d = instance.data
    m = pyo.ConcreteModel(name=instance.name)
    sense = pyo.minimize if d.sense == "min" else pyo.maximize
    i, j = _pairs(d)
    pairs = list(zip(i.tolist(), j.tolist()))
    rows_, cols_ = d.shape
    m.P = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.x = pyo.Var(m.P, bounds=(0, 1))
    m.cost = pyo.Objective(expr=sum(float(d.costs[a, b]) * m.x[a, b] for a, b in pairs), sense=sense)
    full_rows = rows_ <= cols_
    by_row = {a: [(a, b) for a2, b in pairs if a2 == a] for a in range(rows_)}
    by_col = {b: [(a, b) for a, b2 in pairs if b2 == b] for b in range(cols_)}
    m.R = pyo.RangeSet(0, rows_ - 1)
    m.C = pyo.RangeSet(0, cols_ - 1)

    def side(lo, pairs_):
        if not pairs_:  # no allowed pair: nothing to say if partial, impossible if complete
            return pyo.Constraint.Skip if lo == 0 else pyo.Constraint.Infeasible
        return pyo.inequality(lo, sum(m.x[p] for p in pairs_), 1)

    m.row = pyo.Constraint(m.R, rule=lambda mm, a: side(1 if full_rows else 0, by_row[a]))
    m.col = pyo.Constraint(m.C, rule=lambda mm, b: side(0 if full_rows else 1, by_col[b]))
    return m


def assignment_decode(instance: Instance, x: np.ndarray) -> dict:
    i, j = _pairs(instance.data)
    out = np.full(instance.data.shape[0], -1, dtype=np.int64)
    on = np.asarray(x) > 0.5
    out[i[on]] = j[on]
    return {"assignment": out.tolist()}


def assignment_encode(instance: Instance, solution: dict) -> np.ndarray:
    i, j = _pairs(instance.data)
    chosen = np.asarray(solution["assignment"], dtype=np.int64)
    return ((chosen[i] == j) & (chosen[i] >= 0)).astype(float)


# ------------------------------------------------------------------ generalized assignment
def gap_arrays(instance: Instance, deadline=None) -> LinearModel:
    """The GAP MIP as arrays (agent-major columns x_i_j). With `deadline`, a build the time left cannot cover is
    not begun (options.LimitReached)."""
    d = instance.data
    m, n = d.m, d.n
    N = m * n
    check_build(deadline, 2 * N)
    ii, jj = np.divmod(np.arange(N), n)  # agent-major columns x_i_j
    assign = sp.csr_matrix((np.ones(N), (jj, np.arange(N))), shape=(n, N))
    cap = sp.csr_matrix((d.weights.ravel(), (ii, np.arange(N))), shape=(m, N))
    A = sp.vstack([assign, cap], format="csr")
    A.eliminate_zeros()
    lo = np.concatenate([np.ones(n), np.full(m, -INF)])
    hi = np.concatenate([np.ones(n), d.capacities])
    names = pair_names("x", ii, jj)
    rnames = LazyNames(range_names("assign", n), range_names("capacity", m))
    return LinearModel(d.sense, d.costs.ravel(), A, lo, hi, np.zeros(N), np.ones(N), np.ones(N, dtype=bool), names,
                       rnames)


def gap_mip(instance: Instance):
    """The GAP MIP in Pyomo."""
    import pyomo.environ as pyo

    d = instance.data
    m = pyo.ConcreteModel(name=instance.name)
    sense = pyo.minimize if d.sense == "min" else pyo.maximize
    m.I = pyo.RangeSet(0, d.m - 1)
    m.J = pyo.RangeSet(0, d.n - 1)
    m.x = pyo.Var(m.I, m.J, domain=pyo.Binary)
    m.cost = pyo.Objective(expr=sum(float(d.costs[a, b]) * m.x[a, b] for a in m.I for b in m.J), sense=sense)
    m.assign = pyo.Constraint(m.J, rule=lambda mm, b: sum(mm.x[a, b] for a in mm.I) == 1)
    m.capacity = pyo.Constraint(m.I, rule=lambda mm, a: sum(float(d.weights[a, b]) * mm.x[a, b] for b in mm.J)
                                <= float(d.capacities[a]))
    return m


def gap_decode(instance: Instance, x: np.ndarray) -> dict:
    d = instance.data
    return {"agent": np.argmax(np.asarray(x).reshape(d.m, d.n), axis=0).astype(np.int64).tolist()}


def gap_encode(instance: Instance, solution: dict) -> np.ndarray:
    d = instance.data
    x = np.zeros((d.m, d.n))
    x[np.asarray(solution["agent"], dtype=np.int64), np.arange(d.n)] = 1.0
    return x.ravel()


def gap_cpsat(instance: Instance):
    """GAP as CP-SAT: one Boolean per (agent, job), exactly one agent per job, weighted capacities."""
    from ortools.sat.python import cp_model

    from optalloc.solvers.cpsat import integer_scale

    d = instance.data
    cs = integer_scale(d.costs)
    ws = integer_scale(np.concatenate([d.weights.ravel(), d.capacities]))
    C = np.rint(d.costs * cs).astype(np.int64)
    W = np.rint(d.weights * ws).astype(np.int64)
    B = np.floor(d.capacities * ws + 1e-9).astype(np.int64)
    model = cp_model.CpModel()
    x = [[model.NewBoolVar(f"x_{i}_{j}") for j in range(d.n)] for i in range(d.m)]
    for j in range(d.n):
        model.AddExactlyOne(x[i][j] for i in range(d.m))
    for i in range(d.m):
        model.Add(cp_model.LinearExpr.WeightedSum(x[i], W[i].tolist()) <= int(B[i]))
    flat = [x[i][j] for i in range(d.m) for j in range(d.n)]
    expr = cp_model.LinearExpr.WeightedSum(flat, C.ravel().tolist())
    model.Minimize(expr) if d.sense == "min" else model.Maximize(expr)
    return model, x, cs


def makespan_arrays(instance: Instance, deadline=None) -> LinearModel:
    """min C: assign_j sum_i x_i_j = 1, machine_load_i sum_j p_ij x_i_j - C <= 0; columns x_i_j, C."""
    d = instance.data
    check_build(deadline, 2 * d.times.size)
    i, j = np.nonzero(np.isfinite(d.times))
    N = len(i)
    assign = sp.csr_matrix((np.ones(N), (j, np.arange(N))), shape=(d.n, N + 1))
    load = sp.csr_matrix((np.concatenate([d.times[i, j], -np.ones(d.m)]),
                          (np.concatenate([i, np.arange(d.m)]), np.concatenate([np.arange(N), np.full(d.m, N)]))),
                         shape=(d.m, N + 1))
    A = sp.vstack([assign, load], format="csr")
    c = np.zeros(N + 1)
    c[N] = 1.0
    lo = np.concatenate([np.ones(d.n), np.full(d.m, -INF)])
    hi = np.concatenate([np.ones(d.n), np.zeros(d.m)])
    names = LazyNames(pair_names("x", i, j), ["C"])
    integer = np.ones(N + 1, dtype=bool)
    integer[N] = False
    col_hi = np.ones(N + 1)
    col_hi[N] = INF
    return LinearModel("min", c, A, lo, hi, np.zeros(N + 1), col_hi, integer, names,
                       LazyNames(range_names("assign", d.n), range_names("machine_load", d.m)))


def makespan_mip(instance: Instance):
    """The makespan MIP of `instance` (a Pyomo model)."""
    import pyomo.environ as pyo

    d = instance.data
    i, j = np.nonzero(np.isfinite(d.times))
    pairs = list(zip(i.tolist(), j.tolist()))
    m = pyo.ConcreteModel(name=instance.name)
    m.P = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.x = pyo.Var(m.P, domain=pyo.Binary)
    m.C = pyo.Var(domain=pyo.NonNegativeReals)
    m.makespan = pyo.Objective(expr=m.C, sense=pyo.minimize)
    m.J = pyo.RangeSet(0, d.n - 1)
    m.M = pyo.RangeSet(0, d.m - 1)
    m.assign = pyo.Constraint(m.J, rule=lambda mm, b: sum(mm.x[a, b] for a, b2 in pairs if b2 == b) == 1)
    m.machine_load = pyo.Constraint(m.M, rule=lambda mm, a: sum(float(d.times[a, b]) * mm.x[a, b] for a2, b in pairs if a2 == a)
                            - mm.C <= 0)
    return m


def makespan_decode(instance: Instance, x: np.ndarray) -> dict:
    """The solution of a column vector `x` of the makespan model of `instance`."""
    d = instance.data
    i, j = np.nonzero(np.isfinite(d.times))
    out = np.full(d.n, -1, dtype=np.int64)
    on = np.asarray(x)[: len(i)] > 0.5
    out[j[on]] = i[on]
    return {"machine": out.tolist()}


def routing_arrays(instance: Instance, lam: float | None = None, deadline=None) -> LinearModel:
    """max sum q x: route_i sum_k x_i_k = 1, capacity_k sum_i x_i_k <= cap_k, budget sum c x <= B.
    With `lam`, the budget row is moved into the objective (q - lam c): the Lagrangian subproblem, a
    transportation problem whose LP vertices are integral."""
    d = instance.data
    Q, K = d.q, d.k
    N = Q * K
    check_build(deadline, 3 * N)
    ii, kk = np.divmod(np.arange(N), K)
    route = sp.csr_matrix((np.ones(N), (ii, np.arange(N))), shape=(Q, N))
    cap = sp.csr_matrix((np.ones(N), (kk, np.arange(N))), shape=(K, N))
    blocks = [route, cap]
    lo = [np.ones(Q), np.full(K, -INF)]
    hi = [np.ones(Q), d.capacity.astype(float)]
    rnames = [range_names("route", Q), range_names("capacity", K)]
    obj = d.quality.ravel().astype(float)
    if lam is None:
        blocks.append(sp.csr_matrix(d.cost.ravel().reshape(1, -1)))
        lo.append(np.array([-INF]))
        hi.append(np.array([d.budget]))
        rnames.append(["budget"])
    else:
        obj = obj - lam * d.cost.ravel()
    A = sp.vstack(blocks, format="csr")
    A.eliminate_zeros()
    return LinearModel("max", obj, A, np.concatenate(lo), np.concatenate(hi), np.zeros(N), np.ones(N),
                       np.full(N, lam is None), pair_names("x", ii, kk), LazyNames(*rnames))


def routing_decode(instance: Instance, x: np.ndarray) -> dict:
    return {"model": np.argmax(np.asarray(x).reshape(instance.data.q, instance.data.k), axis=1).tolist()}


def routing_mip(instance: Instance):
    """The LLM-routing MIP of `instance` (a Pyomo model)."""
    import pyomo.environ as pyo

    d = instance.data
    m = pyo.ConcreteModel(name=instance.name)
    m.Q = pyo.RangeSet(0, d.q - 1)
    m.K = pyo.RangeSet(0, d.k - 1)
    m.x = pyo.Var(m.Q, m.K, domain=pyo.Binary)
    m.quality = pyo.Objective(expr=sum(float(d.quality[i, k]) * m.x[i, k] for i in m.Q for k in m.K), sense=pyo.maximize)
    m.route = pyo.Constraint(m.Q, rule=lambda mm, i: sum(mm.x[i, k] for k in mm.K) == 1)
    m.capacity = pyo.Constraint(m.K, rule=lambda mm, k: sum(mm.x[i, k] for i in mm.Q) <= int(d.capacity[k]))
    m.budget = pyo.Constraint(expr=sum(float(d.cost[i, k]) * m.x[i, k] for i in m.Q for k in m.K) <= d.budget)
    return m


def bmatching_arrays(instance: Instance, deadline=None) -> LinearModel:
    """max sum w x over edges, row_i: sum_j x_i_j <= b_i, col_j: sum_i x_i_j <= d_j, 0 <= x <= 1 (an LP:
    the bipartite incidence matrix is totally unimodular, so its vertices are integral)."""
    d = instance.data
    check_build(deadline, 2 * d.weights.size)
    i, j = np.nonzero(np.isfinite(d.weights))
    N = len(i)
    m, n = d.weights.shape
    A = sp.vstack([sp.csr_matrix((np.ones(N), (i, np.arange(N))), shape=(m, N)),
                   sp.csr_matrix((np.ones(N), (j, np.arange(N))), shape=(n, N))], format="csr")
    keep = np.diff(A.indptr) > 0  # a row or column without edges constrains nothing
    names = LazyNames(range_names("row", m), range_names("col", n))
    return LinearModel("max", d.weights[i, j], A[keep], np.full(int(keep.sum()), -INF),
                       np.concatenate([d.row_capacity, d.col_capacity]).astype(float)[keep], np.zeros(N), np.ones(N),
                       np.zeros(N, dtype=bool), pair_names("x", i, j),
                       kept_names(names, keep))


def bmatching_decode(instance: Instance, x: np.ndarray) -> dict:
    """The matched edges [row, column] of a column vector of bmatching_arrays (one column per allowed pair)."""
    i, j = np.nonzero(np.isfinite(instance.data.weights))
    on = np.asarray(x)[: len(i)] > 0.5
    return {"edges": [[int(a), int(b)] for a, b in zip(i[on], j[on])]}


def bmatching_mip(instance: Instance):
    """The b-matching MIP of `instance` (a Pyomo model)."""
    import pyomo.environ as pyo

    d = instance.data
    pairs, by_row, by_col = _grouped_pairs(d.weights)
    m_, n_ = d.weights.shape
    m = pyo.ConcreteModel(name=instance.name)
    m.E = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.x = pyo.Var(m.E, bounds=(0, 1))
    m.weight = pyo.Objective(expr=sum(float(d.weights[a, b]) * m.x[a, b] for a, b in pairs), sense=pyo.maximize)
    m.R = pyo.RangeSet(0, m_ - 1)
    m.C = pyo.RangeSet(0, n_ - 1)
    m.row = pyo.Constraint(m.R, rule=lambda mm, a: sum(mm.x[p] for p in by_row[a]) <= int(d.row_capacity[a])
                           if by_row[a] else pyo.Constraint.Skip)
    m.col = pyo.Constraint(m.C, rule=lambda mm, b: sum(mm.x[p] for p in by_col[b]) <= int(d.col_capacity[b])
                           if by_col[b] else pyo.Constraint.Skip)
    return m


def adwords_arrays(instance: Instance, relax: bool = False, deadline=None) -> LinearModel:
    """max sum b x: query_j sum_i x_i_j <= 1, budget_i sum_j b_ij x_i_j <= B_i. Without the budget cap in
    the objective the integer optimum equals the capped revenue optimum (never worth exceeding a budget)."""
    d = instance.data
    check_build(deadline, 2 * d.bids.size)
    i, j = np.nonzero(np.isfinite(d.bids))
    N = len(i)
    m, n = d.bids.shape
    b = d.bids[i, j]
    A = sp.vstack([sp.csr_matrix((np.ones(N), (j, np.arange(N))), shape=(n, N)),
                   sp.csr_matrix((b, (i, np.arange(N))), shape=(m, N))], format="csr")
    return LinearModel("max", b, A, np.full(n + m, -INF), np.concatenate([np.ones(n), d.budgets]), np.zeros(N),
                       np.ones(N), np.full(N, not relax), pair_names("x", i, j),
                       LazyNames(range_names("query", n), range_names("budget", m)))


def adwords_capped_arrays(instance: Instance, deadline=None) -> LinearModel:
    """The exact offline revenue: max sum_i r_i, query_j: sum_i x_i_j <= 1, revenue_i: r_i <= sum_j b_ij
    x_i_j, 0 <= r_i <= B_i, x binary. Columns x (allowed pairs) then r; a query nobody bids on is no row."""
    d = instance.data
    check_build(deadline, 2 * d.bids.size)
    i, j = np.nonzero(np.isfinite(d.bids))
    N = len(i)
    m, n = d.bids.shape
    b = d.bids[i, j]
    A = sp.vstack([sp.hstack([sp.csr_matrix((np.ones(N), (j, np.arange(N))), shape=(n, N)), sp.csr_matrix((n, m))]),
                   sp.hstack([sp.csr_matrix((-b, (i, np.arange(N))), shape=(m, N)), sp.identity(m)])], format="csr")
    keep = np.concatenate([np.bincount(j, minlength=n) > 0, np.ones(m, dtype=bool)])
    c = np.concatenate([np.zeros(N), np.ones(m)])
    rnames = LazyNames(range_names("query", n), range_names("revenue", m))
    return LinearModel("max", c, A[keep], np.full(int(keep.sum()), -INF),
                       np.concatenate([np.ones(n), np.zeros(m)])[keep], np.zeros(N + m),
                       np.concatenate([np.ones(N), d.budgets]),
                       np.concatenate([np.ones(N, dtype=bool), np.zeros(m, dtype=bool)]),
                       LazyNames(pair_names("x", i, j), range_names("r", m)),
                       kept_names(rnames, keep))


def adwords_decode(instance: Instance, x: np.ndarray) -> dict:
    """Each query's advertiser (-1: none) from a column vector of adwords_capped_arrays (the pair columns first)."""
    d = instance.data
    i, j = np.nonzero(np.isfinite(d.bids))
    on = np.asarray(x)[: len(i)] > 0.5
    adv = np.full(d.bids.shape[1], -1, dtype=np.int64)
    adv[j[on]] = i[on]
    return {"advertiser": adv.tolist()}


def adwords_mip(instance: Instance):
    """The same model as `adwords_capped_arrays`, in Pyomo."""
    import pyomo.environ as pyo

    d = instance.data
    pairs, by_adv, by_query = _grouped_pairs(d.bids)
    m_, n_ = d.bids.shape
    m = pyo.ConcreteModel(name=instance.name)
    m.P = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.A = pyo.RangeSet(0, m_ - 1)
    m.Q = pyo.RangeSet(0, n_ - 1)
    m.x = pyo.Var(m.P, domain=pyo.Binary)
    m.r = pyo.Var(m.A, bounds=lambda mm, a: (0, float(d.budgets[a])))
    m.revenue_total = pyo.Objective(expr=sum(m.r[a] for a in m.A), sense=pyo.maximize)
    m.query = pyo.Constraint(m.Q, rule=lambda mm, q: sum(mm.x[p] for p in by_query[q]) <= 1
                             if by_query[q] else pyo.Constraint.Skip)
    m.revenue = pyo.Constraint(m.A, rule=lambda mm, a: mm.r[a] - sum(float(d.bids[p]) * mm.x[p] for p in by_adv[a])
                               <= 0)
    return m


def solve_mip(instance, options, deadline, precheck):
    """Pre-check (proven infeasibility without a solver), then the family's MIP on HiGHS, decoded: an
    Outcome."""
    from optalloc.result import Outcome
    from optalloc.status import Status
    from optalloc.solvers.highs import solve_linear

    early = precheck(instance.data)
    if early:
        return early
    lo = solve_linear(arrays(instance, deadline), options, deadline)
    sol = decode(instance, lo.x) if lo.x is not None and lo.status != Status.INFEASIBLE else None
    return Outcome.from_backend(lo, sol, lo.objective, lo.bound, extra=lo.extra)


# each problem kind's model (the kind declares which: Problem.formulation in problems.py)
ASSIGNMENT = Formulation(assignment_arrays, assignment_mip, assignment_decode, assignment_encode)
GAP = Formulation(gap_arrays, gap_mip, gap_decode, gap_encode, gap_cpsat)
MAKESPAN = Formulation(makespan_arrays, makespan_mip, makespan_decode)
ROUTING = Formulation(routing_arrays, routing_mip, routing_decode)
BMATCHING = Formulation(bmatching_arrays, bmatching_mip, bmatching_decode)
ADWORDS = Formulation(adwords_capped_arrays, adwords_mip, adwords_decode)
