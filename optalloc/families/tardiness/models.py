"""MIP and CP models of single-machine total (weighted) tardiness.

Three MIPs, each as a vectorised LinearModel (fed straight to HiGHS) and as a Pyomo model with the same
names (tested equal), plus a CP-SAT model:

positional    (Keha, Khowala & Fowler 2009; the seed paper's model) u_j_k = 1 if job j is in position k;
              c_k completion time of position k; C_j >= c_k - M (1 - u_j_k); T_j >= C_j - d_j; with Keha et
              al.'s valid inequality C_j >= p_j + Σ_{k>=2} π_jk u_j_k, π_jk = the k-1 shortest other jobs.
time_indexed  x_j_s = 1 if job j starts at s. The machine has no idle time, so the chosen jobs form a path
              0 -> P in time (P = Σp): flow conservation at every time node (3 nonzeros per column instead of
              the p_j of the capacity-row form, and an LP at least as strong). Objective Σ w_j T_j(s + p_j).
ordering      linear ordering (Potts 1980): y_i_j = 1 if i precedes j (i < j; the reverse is 1 - y_i_j),
              C_j = p_j + Σ p_i [i before j], transitivity on every triple, T_j >= C_j - d_j.
cpsat         interval variables on one NoOverlap resource; tardiness T_j = max(0, end_j - d_j).

The time-indexed model has about n·P columns: it is the strongest LP but grows with the processing times."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from optalloc.instances.format import Instance
from optalloc.models import Formulation
from optalloc.models.linear import INF, LazyNames, LinearModel, builds_from, pair_names, range_names

FORMULATIONS = ("positional", "time_indexed", "ordering")


def _data(instance: Instance):
    d = instance.data
    return d.p.astype(np.int64), d.d.astype(np.int64), np.asarray(d.w, dtype=np.float64), d.n


def _pi(p):
    """π[j, k]: least processing time before j when j sits in position k (k = 0..n-1): the k shortest others."""
    n = len(p)
    out = np.zeros((n, n))
    order = np.sort(p)
    for j in range(n):
        others = np.delete(order, np.searchsorted(order, p[j]))
        out[j, 1:] = np.cumsum(others)[: n - 1]
    return out


# ------------------------------------------------------------------ positional
def positional_arrays(instance: Instance, valid_inequalities: bool = True) -> LinearModel:
    """The positional-assignment MIP of `instance` as a LinearModel (with Keha et al.'s `valid_inequalities` when
    set)."""
    p, d, w, n = _data(instance)
    M = float(p.sum())
    nu = n * n
    iu, ic, iC, iT = 0, nu, nu + n, nu + 2 * n
    ncol = nu + 3 * n
    J, K = np.divmod(np.arange(nu), n)  # column u_j_k at j*n + k
    rows, cols, vals, lo, hi, names = [], [], [], [], [], []
    r = 0

    def add(rr, cc, vv, l, h, nm):
        nonlocal r
        rows.append(np.asarray(rr) + r)
        cols.append(np.asarray(cc))
        vals.append(np.asarray(vv, dtype=float))
        lo.extend(l)
        hi.extend(h)
        names.append(nm)  # a list, or a recipe (LazyNames) for the large blocks
        r += len(l)

    add(J, iu + np.arange(nu), np.ones(nu), [1.0] * n, [1.0] * n, [f"one_position_{j}" for j in range(n)])
    add(K, iu + np.arange(nu), np.ones(nu), [1.0] * n, [1.0] * n, [f"one_job_{k}" for k in range(n)])
    # c_k - c_{k-1} - Σ_j p_j u_j_k >= 0   (c_{-1} = 0)
    rr = np.concatenate([np.arange(n), np.arange(1, n), K])
    cc = np.concatenate([ic + np.arange(n), ic + np.arange(n - 1), iu + np.arange(nu)])
    vv = np.concatenate([np.ones(n), -np.ones(n - 1), -p[J].astype(float)])
    add(rr, cc, vv, [0.0] * n, [INF] * n, [f"position_time_{k}" for k in range(n)])
    # C_j - c_k - M u_j_k >= -M
    q = np.arange(nu)
    add(np.concatenate([q, q, q]), np.concatenate([iC + J, ic + K, iu + q]),
        np.concatenate([np.ones(nu), -np.ones(nu), -M * np.ones(nu)]), [-M] * nu, [INF] * nu,
        pair_names("link", J, K))
    # T_j - C_j >= -d_j
    add(np.concatenate([np.arange(n)] * 2), np.concatenate([iT + np.arange(n), iC + np.arange(n)]),
        np.concatenate([np.ones(n), -np.ones(n)]), (-d).astype(float).tolist(), [INF] * n,
        [f"tardiness_{j}" for j in range(n)])
    if valid_inequalities:
        pi = _pi(p)
        sel = K >= 1
        add(np.concatenate([np.arange(n), J[sel]]), np.concatenate([iC + np.arange(n), iu + q[sel]]),
            np.concatenate([np.ones(n), -pi[J[sel], K[sel]]]), p.astype(float).tolist(), [INF] * n,
            [f"earliest_completion_{j}" for j in range(n)])
    col_names = LazyNames(pair_names("u", J, K), range_names("c", n), range_names("C", n), range_names("T", n))
    return _binaries_then_tardiness(rows, cols, vals, r, ncol, nu, iT, w, lo, hi, names, col_names)


def _binaries_then_tardiness(rows, cols, vals, r, ncol, nbin, iT, w, lo, hi, names, col_names) -> LinearModel:
    """The common tail of the positional and ordering models: the first `nbin` columns are binaries, the
    objective is Σ w_j T_j over the columns from iT on, every other column is continuous and >= 0."""
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, ncol))
    c = np.zeros(ncol)
    c[iT:] = w
    integer = np.zeros(ncol, dtype=bool)
    integer[:nbin] = True
    col_hi = np.full(ncol, INF)
    col_hi[:nbin] = 1.0
    return LinearModel("min", c, A, np.asarray(lo), np.asarray(hi), np.zeros(ncol), col_hi, integer, col_names,
                       LazyNames(*names))


@builds_from("positional_arrays", "positional_decode", "positional_encode")
def positional_mip(instance: Instance, valid_inequalities: bool = True):
    """The positional-assignment MIP of `instance` as a Pyomo model (the seed study's model; `valid_inequalities`
    adds Keha et al.'s)."""
    import pyomo.environ as pyo

    p, d, w, n = _data(instance)
    M = float(p.sum())
    m = pyo.ConcreteModel(name=instance.name)
    m.J = pyo.RangeSet(0, n - 1)
    m.K = pyo.RangeSet(0, n - 1)
    m.u = pyo.Var(m.J, m.K, domain=pyo.Binary)
    m.c = pyo.Var(m.K, domain=pyo.NonNegativeReals)
    m.C = pyo.Var(m.J, domain=pyo.NonNegativeReals)
    m.T = pyo.Var(m.J, domain=pyo.NonNegativeReals)
    m.total_weighted_tardiness = pyo.Objective(expr=sum(float(w[j]) * m.T[j] for j in m.J), sense=pyo.minimize)
    m.one_position = pyo.Constraint(m.J, rule=lambda mm, j: sum(mm.u[j, k] for k in mm.K) == 1)
    m.one_job = pyo.Constraint(m.K, rule=lambda mm, k: sum(mm.u[j, k] for j in mm.J) == 1)
    m.position_time = pyo.Constraint(m.K, rule=lambda mm, k: mm.c[k] - (mm.c[k - 1] if k > 0 else 0)
                                     - sum(int(p[j]) * mm.u[j, k] for j in mm.J) >= 0)
    m.link = pyo.Constraint(m.J, m.K, rule=lambda mm, j, k: mm.C[j] - mm.c[k] - M * mm.u[j, k] >= -M)
    m.tardiness = pyo.Constraint(m.J, rule=lambda mm, j: mm.T[j] - mm.C[j] >= -int(d[j]))
    if valid_inequalities:
        pi = _pi(p)
        m.earliest_completion = pyo.Constraint(
            m.J, rule=lambda mm, j: mm.C[j] - sum(float(pi[j, k]) * mm.u[j, k] for k in mm.K if k >= 1) >= int(p[j]))
    return m


def positional_encode(instance: Instance, solution: dict) -> np.ndarray:
    """positional_decode's inverse: a sequence as the positional model's columns (u, c, C, T): a MIP start."""
    p, d, w, n = _data(instance)
    seq = np.asarray(solution["sequence"], dtype=np.int64)
    u = np.zeros((n, n))
    u[seq, np.arange(n)] = 1.0
    c = np.cumsum(p[seq]).astype(float)  # completion of the job at each position
    C = np.empty(n)
    C[seq] = c
    return np.concatenate([u.ravel(), c, C, np.maximum(C - d, 0.0)])


def positional_decode(instance: Instance, x) -> dict:
    """The sequence of a column vector `x` of the positional MIP of `instance`."""
    n = instance.data.n
    U = np.asarray(x)[: n * n].reshape(n, n)
    return {"sequence": np.argmax(U, axis=0).astype(np.int64).tolist()}


# ------------------------------------------------------------------ time-indexed (path in time)
def _ti_columns(p, n):
    P = int(p.sum())
    J = np.concatenate([np.full(P - p[j] + 1, j) for j in range(n)])
    S = np.concatenate([np.arange(P - p[j] + 1) for j in range(n)])
    return P, J, S


def time_indexed_arrays(instance: Instance) -> LinearModel:
    """The time-indexed MIP of `instance` as a LinearModel."""
    p, d, w, n = _data(instance)
    P, J, S = _ti_columns(p, n)
    N = len(J)
    E = S + p[J]
    q = np.arange(N)
    # rows 0..n-1: each job once; rows n..n+P: flow at time node t (out - in = 1 at 0, -1 at P, 0 between)
    rows = np.concatenate([J, n + S, n + E])
    vals = np.concatenate([np.ones(N), np.ones(N), -np.ones(N)])
    A = sp.csr_matrix((vals, (rows, np.concatenate([q, q, q]))), shape=(n + P + 1, N))
    flow = np.zeros(P + 1)
    flow[0], flow[P] = 1.0, -1.0
    lo = np.concatenate([np.ones(n), flow])
    c = w[J] * np.maximum(E - d[J], 0)
    return LinearModel("min", c, A, lo, lo.copy(), np.zeros(N), np.ones(N), np.ones(N, dtype=bool),
                       pair_names("x", J, S), LazyNames(range_names("once", n), range_names("flow", P + 1)))


@builds_from("time_indexed_arrays", "time_indexed_decode")
def time_indexed_mip(instance: Instance):
    """The time-indexed MIP of `instance` as a Pyomo model."""
    import pyomo.environ as pyo

    p, d, w, n = _data(instance)
    P, J, S = _ti_columns(p, n)
    idx = list(zip(J.tolist(), S.tolist()))
    starts_at = {t: [] for t in range(P + 1)}
    ends_at = {t: [] for t in range(P + 1)}
    for j, s in idx:
        starts_at[s].append((j, s))
        ends_at[s + int(p[j])].append((j, s))
    m = pyo.ConcreteModel(name=instance.name)
    m.X = pyo.Set(initialize=idx, dimen=2, ordered=True)
    m.x = pyo.Var(m.X, domain=pyo.Binary)
    m.total_weighted_tardiness = pyo.Objective(
        expr=sum(float(w[j] * max(s + p[j] - d[j], 0)) * m.x[j, s] for j, s in idx), sense=pyo.minimize)
    m.J = pyo.RangeSet(0, n - 1)
    m.once = pyo.Constraint(m.J, rule=lambda mm, j: sum(mm.x[j, s] for s in range(P - int(p[j]) + 1)) == 1)
    m.Tn = pyo.RangeSet(0, P)
    m.flow = pyo.Constraint(m.Tn, rule=lambda mm, t: sum(mm.x[a] for a in starts_at[t]) - sum(mm.x[a] for a in ends_at[t])
                            == (1 if t == 0 else -1 if t == P else 0))
    return m


def time_indexed_decode(instance: Instance, x) -> dict:
    """The sequence of a column vector `x` of the time-indexed MIP of `instance`."""
    p, _, _, n = _data(instance)
    _, J, S = _ti_columns(p, n)
    on = np.asarray(x) > 0.5
    start = np.zeros(n)
    start[J[on]] = S[on]
    return {"sequence": np.argsort(start, kind="stable").astype(np.int64).tolist()}


# ------------------------------------------------------------------ linear ordering
def _pairs(n):
    I, Jc = np.triu_indices(n, 1)
    return I, Jc


def ordering_arrays(instance: Instance) -> LinearModel:
    """The linear-ordering MIP of `instance` as a LinearModel."""
    p, d, w, n = _data(instance)
    I, Jc = _pairs(n)
    npair = len(I)
    pid = -np.ones((n, n), dtype=np.int64)
    pid[I, Jc] = np.arange(npair)
    iT = npair
    ncol = npair + n
    rows, cols, vals, lo, hi, names = [], [], [], [], [], []
    # tardiness_j: T_j - Σ_{i<j} p_i y_i_j + Σ_{i>j} p_i y_j_i >= p_j - d_j + Σ_{i>j} p_i
    tail = np.array([p[j + 1:].sum() for j in range(n)], dtype=float)
    rows += [np.arange(n), Jc, I]
    cols += [iT + np.arange(n), np.arange(npair), np.arange(npair)]
    vals += [np.ones(n), -p[I].astype(float), p[Jc].astype(float)]
    lo += (p - d + tail).astype(float).tolist()
    hi += [INF] * n
    names.append(range_names("tardiness", n))
    r = n
    if n >= 3:
        a, b, c3 = [x.ravel() for x in np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij")]
        keep = (a < b) & (b < c3)
        a, b, c3 = a[keep], b[keep], c3[keep]
        nt = len(a)
        t_ = np.arange(nt)
        yab, ybc, yac = pid[a, b], pid[b, c3], pid[a, c3]
        # a<b, b<c => a<c:  y_ab + y_bc - y_ac <= 1 ;  reverse cycle:  -y_ab - y_bc + y_ac <= 0
        rows += [r + t_] * 3 + [r + nt + t_] * 3
        cols += [yab, ybc, yac, yab, ybc, yac]
        vals += [np.ones(nt), np.ones(nt), -np.ones(nt), -np.ones(nt), -np.ones(nt), np.ones(nt)]
        lo += [-INF] * (2 * nt)
        hi += [1.0] * nt + [0.0] * nt
        triples = lambda prefix, a=a, b=b, c3=c3: [f"{prefix}_{x}_{y}_{z}" for x, y, z in  # noqa: E731
                                                   zip(a.tolist(), b.tolist(), c3.tolist())]
        names += [lambda: triples("transitive"), lambda: triples("transitive_rev")]
        r += 2 * nt
    col_names = LazyNames(pair_names("y", I, Jc), range_names("T", n))
    return _binaries_then_tardiness(rows, cols, vals, r, ncol, npair, iT, w, lo, hi, names, col_names)


@builds_from("ordering_arrays", "ordering_decode")
def ordering_mip(instance: Instance):
    """The linear-ordering MIP of `instance` as a Pyomo model."""
    import pyomo.environ as pyo

    p, d, w, n = _data(instance)
    I, Jc = _pairs(n)
    pairs = list(zip(I.tolist(), Jc.tolist()))
    triples = [(a, b, c) for a in range(n) for b in range(a + 1, n) for c in range(b + 1, n)]
    m = pyo.ConcreteModel(name=instance.name)
    m.PAIRS = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.y = pyo.Var(m.PAIRS, domain=pyo.Binary)
    m.J = pyo.RangeSet(0, n - 1)
    m.T = pyo.Var(m.J, domain=pyo.NonNegativeReals)
    m.total_weighted_tardiness = pyo.Objective(expr=sum(float(w[j]) * m.T[j] for j in m.J), sense=pyo.minimize)
    m.tardiness = pyo.Constraint(m.J, rule=lambda mm, j: mm.T[j] - sum(int(p[i]) * mm.y[i, j] for i in range(j))
                                 + sum(int(p[i]) * mm.y[j, i] for i in range(j + 1, n))
                                 >= int(p[j] - d[j] + p[j + 1:].sum()))
    m.TRIPLES = pyo.Set(initialize=triples, dimen=3, ordered=True)
    m.transitive = pyo.Constraint(m.TRIPLES, rule=lambda mm, a, b, c: mm.y[a, b] + mm.y[b, c] - mm.y[a, c] <= 1)
    m.transitive_rev = pyo.Constraint(m.TRIPLES, rule=lambda mm, a, b, c: -mm.y[a, b] - mm.y[b, c] + mm.y[a, c] <= 0)
    return m


def ordering_decode(instance: Instance, x) -> dict:
    """The sequence of a column vector `x` of the linear-ordering MIP of `instance`."""
    n = instance.data.n
    I, Jc = _pairs(n)
    y = np.asarray(x)[: len(I)] > 0.5
    before = np.zeros(n, dtype=np.int64)  # how many jobs precede each job
    np.add.at(before, Jc[y], 1)
    np.add.at(before, I[~y], 1)
    return {"sequence": np.argsort(before, kind="stable").astype(np.int64).tolist()}


BUILDERS = {"positional": (positional_arrays, positional_mip, positional_decode),
            "time_indexed": (time_indexed_arrays, time_indexed_mip, time_indexed_decode),
            "ordering": (ordering_arrays, ordering_mip, ordering_decode)}


# ------------------------------------------------------------------ CP-SAT
def cpsat(instance: Instance):
    """Intervals on one NoOverlap machine; T_j >= start_j + p_j - d_j; minimise Σ w_j T_j (weights scaled to
    integers). Every job ends by P = Σp (no idle time is needed for a regular objective)."""
    from ortools.sat.python import cp_model

    from optalloc.solvers.cpsat import integer_scale

    p, d, w, n = _data(instance)
    P = int(p.sum())
    ws = integer_scale(w)
    W = np.rint(w * ws).astype(np.int64)
    model = cp_model.CpModel()
    start = [model.NewIntVar(0, P - int(p[j]), f"start_{j}") for j in range(n)]
    iv = [model.NewFixedSizeIntervalVar(start[j], int(p[j]), f"job_{j}") for j in range(n)]
    model.AddNoOverlap(iv)
    T = []
    for j in range(n):
        # T_j = max(0, end_j - d_j) exactly (not just >=), so every solution's objective is its true cost
        late = model.NewIntVar(-int(d[j]), P - int(d[j]), f"lateness_{j}")
        model.Add(late == start[j] + int(p[j]) - int(d[j]))
        t = model.NewIntVar(0, max(0, P - int(d[j])), f"T_{j}")
        model.AddMaxEquality(t, [late, 0])
        T.append(t)
    model.Minimize(cp_model.LinearExpr.WeightedSum(T, W.tolist()))
    return model, start, ws


def _positional(instance: Instance, deadline=None) -> LinearModel:
    return positional_arrays(instance)


# the tardiness kind's formulation (Problem.formulation): the positional MIP, the default of the three
POSITIONAL = Formulation(_positional, positional_mip, positional_decode, positional_encode, cpsat)
