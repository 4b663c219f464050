"""Online matching with stochastic rewards (Mehta and Panigrahi, FOCS 2012).

Offline vertices u (advertisers) each succeed at most once. Online vertices v arrive one at a time; the
algorithm offers v to one available neighbour u, and the match succeeds with probability p_uv. On success
u is gone; on failure u stays available and v is lost. Benchmarks for the competitive ratio:

  matching LP        max sum p x, sum_u x_uv <= 1 (v), sum_v p_uv x_uv <= 1 (u), x >= 0
  configuration LP   max sum_u,S f_u(S) y_uS, sum_S y_uS <= 1 (u), sum_{u,S ni v} y_uS <= 1 (v),
                     f_u(S) = 1 - prod_{v in S} (1 - p_uv); never above the matching LP

The matching LP bounds every algorithm: x_uv = P(v is offered to u) is feasible for it. The configuration
LP bounds the non-adaptive offline benchmark (a fixed set of online vertices per offline vertex), the
benchmark the competitive ratios 0.596 / 0.611 are stated against; an adaptive online algorithm can beat
it (after a failure it offers later arrivals elsewhere), so a ratio above 1 against it is not an error.

The configuration LP is solved by column generation: the pricing problem of u, max_S f_u(S) - sum beta_v
- alpha_u, is solved exactly by branch and bound whose bound comes from submodularity of f_u
(f(S + T) - f(S) <= sum of single-element gains). A full enumeration is available to check it on small
instances.

Simulated algorithms: greedy (largest p), Ranking (a random order of u fixed up front), Balance (fewest
failed attempts) and Stochastic Balance (largest p_uv psi(b_u), b_u the probability mass of u's failed
attempts, psi(x) = 1 - e^(x - 1))."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from optalloc.errors import InstanceError, OptallocError


@dataclass
class StochasticInstance:
    """Online matching with stochastic rewards: offline vertices, arrival types with their edge probabilities and
    arrival rates."""

    p: np.ndarray  # (offline u, online v), 0 = no edge
    name: str = "stochastic"

    def __post_init__(self):
        p = np.asarray(self.p, dtype=np.float64)
        if p.ndim != 2 or p.size == 0:
            raise InstanceError("p", "must be a non-empty matrix (offline x online)")
        bad = np.argwhere(~np.isfinite(p) | (p < 0) | (p > 1))
        if len(bad):
            i, j = bad[0]
            raise InstanceError(f"p[{i}][{j}]", "must be a probability in [0, 1]", float(p[i, j]))
        self.p = p


def generate(kind: str = "vanishing", n_off: int = 20, n_on: int = 20, p: float = 0.05, degree: int = 5,
             seed: int = 0) -> StochasticInstance:
    """vanishing: every edge has the same small p (the seed's setting), random degree-`degree` neighbourhoods;
    triangular: online vertex j sees offline vertices j.., the classic hard family; random: p ~ U(0, 1]."""
    rng = np.random.default_rng(seed)
    P = np.zeros((n_off, n_on))
    if kind == "triangular":
        for j in range(n_on):
            P[j * n_off // n_on:, j] = p
    else:
        for j in range(n_on):
            nb = rng.choice(n_off, size=min(degree, n_off), replace=False)
            P[nb, j] = p if kind == "vanishing" else rng.uniform(0.05, 1.0, len(nb))
    return StochasticInstance(P, f"{kind}-{n_off}x{n_on}-s{seed}")


def matching_lp(inst: StochasticInstance) -> float:
    """The matching LP of `inst`, an upper bound on the expected successes of any policy (the online ratio's
    benchmark)."""
    import scipy.sparse as sp

    from optalloc.models.linear import INF, LinearModel
    from optalloc.options import Deadline, SolveOptions
    from optalloc.solvers.highs import solve_linear

    u, v = np.nonzero(inst.p > 0)
    N = len(u)
    if N == 0:
        return 0.0
    m, n = inst.p.shape
    pv = inst.p[u, v]
    A = sp.vstack([sp.csr_matrix((np.ones(N), (v, np.arange(N))), shape=(n, N)),
                   sp.csr_matrix((pv, (u, np.arange(N))), shape=(m, N))], format="csr")
    lm = LinearModel("max", pv, A, np.full(n + m, -INF), np.ones(n + m), np.zeros(N), np.full(N, INF),
                     np.zeros(N, dtype=bool))
    return float(solve_linear(lm, SolveOptions(), Deadline(None)).objective)


def price(p_row: np.ndarray, beta: np.ndarray, cand: np.ndarray) -> tuple[float, list[int]]:
    """max over S within cand of 1 - prod_{v in S}(1 - p_v) - sum_{v in S} beta_v, exactly. With one p for
    all candidates f depends on |S| only, so the best set of each size takes the cheapest beta; otherwise
    branch and bound."""
    pc = p_row[cand]
    if np.all(pc == pc[0]):
        order = cand[np.argsort(beta[cand], kind="stable")]
        costs = np.concatenate([[0.0], np.cumsum(beta[order])])
        k = np.arange(len(order) + 1)
        vals = 1.0 - (1.0 - pc[0]) ** k - costs
        kb = int(np.argmax(vals))
        return float(vals[kb]), [int(w) for w in order[:kb]]
    order = cand[np.argsort(-(p_row[cand] - beta[cand]), kind="stable")]
    best = [0.0, []]

    def dfs(k, qprod, cost, chosen):
        val = 1.0 - qprod - cost
        if val > best[0] + 1e-12:
            best[0], best[1] = val, list(chosen)
        # submodular bound: each remaining v adds at most qprod * p_v - beta_v
        ub = val + sum(max(0.0, qprod * p_row[w] - beta[w]) for w in order[k:])
        if ub <= best[0] + 1e-12 or k == len(order):
            return
        w = order[k]
        if qprod * p_row[w] - beta[w] > 0:
            chosen.append(int(w))
            dfs(k + 1, qprod * (1.0 - p_row[w]), cost + beta[w], chosen)
            chosen.pop()
        dfs(k + 1, qprod, cost, chosen)

    dfs(0, 1.0, 0.0, [])
    return best[0], best[1]


def configuration_lp(inst: StochasticInstance, method: str = "colgen", max_iter: int = 2000) -> dict:
    """Value of the configuration LP. method: colgen (column generation, exact pricing) or enumerate (all
    subsets of every neighbourhood; small instances only). Column generation keeps one HiGHS master and
    adds columns to it, so each re-solve starts from the last basis; it also returns the Lagrangian upper
    bound sum_v beta_v + sum_u max(0, best reduced value of u), which meets the value at convergence."""
    P = inst.p
    m, n = P.shape
    nbrs = [np.flatnonzero(P[u] > 0) for u in range(m)]
    cols: list[tuple[int, tuple[int, ...]]] = []
    if method == "enumerate":
        for u in range(m):
            if len(nbrs[u]) > 16:
                raise InstanceError("p", "enumeration needs neighbourhoods of at most 16 online vertices")
            for r in range(1, len(nbrs[u]) + 1):
                cols += [(u, S) for S in itertools.combinations(nbrs[u].tolist(), r)]
    else:
        cols = [(u, (int(v),)) for u in range(m) for v in nbrs[u]]  # singletons to start
    if not cols:
        return {"value": 0.0, "bound": 0.0, "columns": 0, "iterations": 0}
    master = _Master(P, m, n)
    master.add(cols)
    it = 0
    bound = np.inf
    while True:
        value, alpha, beta = master.solve()
        if method == "enumerate":
            bound = value
            break
        it += 1
        new = []
        lagrangian = float(beta.sum())
        for u in range(m):
            if not len(nbrs[u]):
                continue
            red, S = price(P[u], beta, nbrs[u])
            lagrangian += max(0.0, red)
            if red - alpha[u] > 1e-9 and S:
                new.append((u, tuple(sorted(S))))
        bound = min(bound, lagrangian)
        if not new or it >= max_iter:
            break
        master.add(new)
        cols += new
    return {"value": value, "bound": bound, "columns": len(cols), "iterations": it}


class _Master:
    """The restricted master LP, max sum f_u(S) y_uS with rows u (sum_S y_uS <= 1) and m + v (v in at most
    one chosen set), held in one HiGHS instance that grows by columns."""

    def __init__(self, P, m, n):
        import highspy

        from optalloc.solvers.highs import new_highs

        self.P, self.m = P, m
        self.h = new_highs()
        self.h.setOptionValue("threads", 1)
        self.h.setOptionValue("presolve", "off")  # presolve would discard the basis the next solve starts from
        self.h.setOptionValue("simplex_strategy", 4)  # primal: new columns leave the last basis primal feasible
        self.h.addRows(m + n, np.full(m + n, -highspy.kHighsInf), np.ones(m + n), 0, np.zeros(0, dtype=np.int32),
                       np.zeros(0, dtype=np.int32), np.zeros(0))
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def add(self, cols):
        starts, index = [], []
        val = np.empty(len(cols))
        for k, (u, S) in enumerate(cols):
            starts.append(len(index))
            index.append(u)
            index.extend(self.m + v for v in S)
            val[k] = 1.0 - float(np.prod(1.0 - self.P[u, list(S)]))
        K = len(cols)
        self.h.addCols(K, val, np.zeros(K), np.full(K, np.inf), len(index), np.asarray(starts, dtype=np.int32),
                       np.asarray(index, dtype=np.int32), np.ones(len(index)))

    def solve(self):
        from optalloc.solvers.highs import status_map
        from optalloc.status import Status

        self.h.run()
        status = status_map().get(self.h.getModelStatus(), Status.UNKNOWN)
        if status != Status.OPTIMAL:  # always feasible (y = 0) and bounded (<= m): anything else is a failure
            raise OptallocError(f"configuration LP: the HiGHS master stopped with status {status}")
        sol = self.h.getSolution()
        # duals of the <= rows of a maximisation, as magnitudes (HiGHS signs them as for minimisation)
        d = np.abs(np.asarray(sol.row_dual))
        return float(self.h.getInfo().objective_function_value), d[: self.m], d[self.m:]


def simulate(inst: StochasticInstance, algorithm: str, runs: int = 200, seed: int = 0,
             lp_values: tuple[float, float] | None = None) -> dict:
    """Monte Carlo over random arrival orders and match outcomes. Returns the mean number of successes,
    its 95 % confidence interval, and the ratios to the matching LP and the configuration LP (pass
    lp_values=(matching, configuration) to reuse them across algorithms)."""
    rng = np.random.default_rng(seed)
    P = inst.p
    m, n = P.shape
    out = np.empty(runs)
    for r in range(runs):
        order = rng.permutation(n)
        rank = rng.permutation(m)
        alive = np.ones(m, dtype=bool)
        fails = np.zeros(m)
        mass = np.zeros(m)
        succ = 0
        for v in order:
            ok = alive & (P[:, v] > 0)
            if not ok.any():
                continue
            if algorithm == "greedy":
                score = P[:, v]
            elif algorithm == "ranking":
                score = -rank.astype(float)
            elif algorithm == "balance":
                score = -fails
            elif algorithm == "stochastic_balance":
                score = P[:, v] * (1.0 - np.exp(mass - 1.0))
            else:
                raise InstanceError("algorithm", "must be greedy, ranking, balance or stochastic_balance", algorithm)
            score = np.where(ok, score, -np.inf)
            u = int(np.argmax(score))
            if rng.random() < P[u, v]:
                alive[u] = False
                succ += 1
            else:
                fails[u] += 1
                mass[u] += P[u, v]
        out[r] = succ
    mean = float(out.mean())
    half = 1.96 * float(out.std(ddof=1)) / math.sqrt(runs) if runs > 1 else math.inf
    lp, conf = lp_values if lp_values is not None else (matching_lp(inst), configuration_lp(inst)["value"])
    return {"algorithm": algorithm, "runs": runs, "mean": mean, "ci95": (mean - half, mean + half),
            "matching_lp": lp, "configuration_lp": conf,
            "ratio_matching_lp": mean / lp if lp else math.nan,
            "ratio_configuration_lp": mean / conf if conf else math.nan,
            "ratio_ci95_configuration_lp": ((mean - half) / conf, (mean + half) / conf) if conf else None}
