"""GAP large-neighbourhood search with exact sub-MIPs (a matheuristic).

First the whole problem restricted to cores of promising pairs (the 2, then 4, agents per job with the
smallest Lagrangian penalty) is solved by HiGHS, each from the best assignment so far: the narrow core
converges fast, the wider one repairs what it left out. Then each step frees part of the incumbent and
re-solves that part exactly with HiGHS, the rest fixed:
  agents   all jobs of k agents, re-packed among those k agents (capacities in full);
  jobs     q jobs chosen at random, re-assigned over every agent's residual capacity.
The incumbent is always feasible for the sub-MIP, and is passed to HiGHS as its start, so a step never
makes things worse. Sizes adapt: a sub-MIP proven quickly grows the next one of its kind, a sub-MIP
stopped by its limit shrinks it.

Given each job's ranking of agents (by Lagrangian penalty), the sub-MIPs only see the pairs ranked
within `width` (and the incumbent's own): they solve faster, so they can be larger. The k agents are then
one agent and others drawn by how many such pairs link them to it. After `patience` steps without an
improvement the width grows by one, since the narrow neighbourhoods around this incumbent are exhausted.
Costs are minimised (a max instance passes negated profits)."""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from optalloc.options import Deadline


def solve_sub(f, a, K, J, r, start, limit, allowed=None):
    """The sub-GAP on agents K and jobs J with residual capacities r, only the pairs in `allowed`
    (|K| x |J|, optional), started from the assignment `start` (which must use agents in K; None: no
    start). Built as a LinearModel straight into highspy: a Pyomo build would cost more than the solve.
    Returns (agent per job of J or None, proven optimal)."""
    import highspy as hs

    from optalloc.models.linear import INF, LinearModel
    from optalloc.solvers.highs import to_highs

    k, q = len(K), len(J)
    ok = a[np.ix_(K, J)] <= r[:, None] + 1e-9
    if allowed is not None:
        ok &= allowed
    kpos = np.full(f.shape[0], -1, dtype=np.int64)
    kpos[K] = np.arange(k)
    if start is not None:
        ok[kpos[start[J]], np.arange(q)] = True  # the start's pairs, so the start stays feasible
    ki, qj = np.nonzero(ok)  # column c is x[K[ki[c]], J[qj[c]]]
    N = len(ki)
    cols = np.arange(N)
    A = sp.vstack([sp.csr_matrix((np.ones(N), (qj, cols)), shape=(q, N)),
                   sp.csr_matrix((a[K[ki], J[qj]], (ki, cols)), shape=(k, N))], format="csr")
    model = LinearModel("min", f[K[ki], J[qj]].astype(float), A, np.concatenate([np.ones(q), np.full(k, -INF)]),
                        np.concatenate([np.ones(q), r.astype(float)]), np.zeros(N), np.ones(N),
                        np.ones(N, dtype=bool))
    h = to_highs(model)
    h.setOptionValue("time_limit", float(max(limit, 1e-3)))
    h.setOptionValue("threads", 1)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-6)
    col = np.full((k, q), -1, dtype=np.int64)
    col[ki, qj] = cols
    if start is not None:
        x0 = np.zeros(N)
        x0[col[kpos[start[J]], np.arange(q)]] = 1.0
        sol = hs.HighsSolution()
        sol.col_value = x0.tolist()
        h.setSolution(sol)
    h.run()
    proven = h.getModelStatus() == hs.HighsModelStatus.kOptimal
    if h.getInfo().primal_solution_status != 2:
        return None, proven
    pick = np.asarray(h.getSolution().col_value) > 0.5
    out = np.empty(q, dtype=np.int64)
    out[qj[pick]] = K[ki[pick]]
    return out, proven


def rank_agents(penalty):
    """Each job's agents ranked by `penalty` (m x n, lower is better): entry (i, j) is agent i's place
    among job j's agents, 0 for the best."""
    return np.argsort(np.argsort(penalty, axis=0, kind="stable"), axis=0, kind="stable")


def _linked_agents(guide, agent, k, rng):
    """k agents: one at random, and others drawn by how many guide pairs link them to it (its jobs could go
    to them, or theirs could come to it)."""
    m = guide.shape[0]
    p = rng.integers(m)
    link = guide[:, agent == p].sum(axis=1) + np.bincount(agent[guide[p]], minlength=m) + 0.1
    link[p] = 0.0
    others = rng.choice(m, size=k - 1, replace=False, p=link / link.sum())
    return np.sort(np.concatenate([[p], others]))


def gap_lns(f, a, b, start, deadline: Deadline, *, seed: int = 0, cores=(), target: float = -np.inf,
            sub_limit: float = 1.0, steps: int = 200, pair_rank=None, width: int = 4,
            patience: int = 15):
    """Improve the feasible assignment `start` (agent per job) until the deadline (or `steps` sub-MIPs
    without one) or until its cost reaches `target` (a proven lower bound). `cores` are (m x n mask of
    promising pairs, share of the remaining time) phases, each solving the whole problem restricted to its
    mask before the neighbourhood search. `pair_rank` (m x n, 0 = job j's best agent) guides the sub-MIPs,
    see the module docstring. Returns (agent, cost, stats)."""
    m, n = f.shape
    rng = np.random.default_rng(seed)
    agent = np.asarray(start, dtype=np.int64).copy()
    jobs = np.arange(n)
    cost = float(f[agent, jobs].sum())
    stats = {"steps": 0, "improving": 0, "proven": 0}
    stats["cores"] = []
    for core, share in cores:
        if cost <= target + 1e-9:
            break
        limit = sub_limit * 5 if deadline.limit is None else share * deadline.remaining()
        new, proven = solve_sub(f, a, np.arange(m), jobs, b.astype(float), agent, limit, core)
        val = np.inf if new is None else float(f[new, jobs].sum())
        if val <= cost:
            agent, cost = new, val
        stats["cores"].append({"pairs": int(core.sum()), "proven": bool(proven), "cost": cost})
    size = {"agents": min(m, 3 if m <= 10 else 4), "jobs": min(n, max(10, 3 * n // max(m, 1)))}
    kinds = ["agents", "jobs"]
    guide = None if pair_rank is None else pair_rank < width
    stale = 0
    while cost > target + 1e-9 and (deadline.limit is None or deadline.remaining() > 0.02):
        if deadline.limit is None and stats["steps"] >= steps:
            break
        kind = kinds[stats["steps"] % len(kinds)]
        if kind == "agents":
            if guide is not None and m > 1:
                K = _linked_agents(guide, agent, size["agents"], rng)
            else:
                K = np.sort(rng.choice(m, size=size["agents"], replace=False))
            J = jobs[np.isin(agent, K)]
            r = b[K].astype(float)
        else:
            J = np.sort(rng.choice(n, size=size["jobs"], replace=False))
            K = np.arange(m)
            load = np.bincount(agent, weights=a[agent, jobs], minlength=m)
            r = b - load + np.bincount(agent[J], weights=a[agent[J], J], minlength=m)
        if len(J) == 0:
            stats["steps"] += 1
            continue
        limit = sub_limit if deadline.limit is None else min(sub_limit, deadline.remaining())
        started = time.perf_counter()
        new, proven = solve_sub(f, a, K, J, r, agent, limit, None if guide is None else guide[np.ix_(K, J)])
        took = time.perf_counter() - started
        stats["steps"] += 1
        if new is not None:
            trial = agent.copy()
            trial[J] = new
            val = float(f[trial, jobs].sum())
            if val < cost - 1e-9:
                stats["improving"] += 1
                stale = 0
            else:
                stale += 1
            if val <= cost + 1e-9:
                agent, cost = trial, val
        if guide is not None and stale >= patience and width < m:
            width += 1  # the narrow guide is exhausted around this incumbent: let sub-MIPs see more pairs
            guide = pair_rank < width
            stale = 0
        cap = m if kind == "agents" else n
        if proven:
            stats["proven"] += 1
            if took < 0.3 * sub_limit:
                size[kind] = min(cap, size[kind] + 1)
        else:
            size[kind] = max(2, size[kind] - 1)
    stats["sizes"] = dict(size)
    stats["width"] = width
    stats["stopped"] = ("target" if cost <= target + 1e-9 else
                        "steps" if deadline.limit is None else "time_limit")
    return agent, cost, stats
