"""GAP price-and-dive: column generation over the set-partitioning (Dantzig–Wolfe) master, then dives.

The master has one column per packing (agent i, a set S of jobs that fits b_i), costing sum_{j in S} c_ij:

    min sum_p c_p lam_p   s.t.  each job covered once,  each agent at most one packing,  lam >= 0.

Its LP value equals the Lagrangian bound (the assignment rows relaxed), which is why its fractional
solutions point at good assignments: a dive fixes the packings the LP is surest of (lam >= 0.9, which are
mutually compatible, or else the largest), re-prices the jobs and agents left, and repeats until few remain,
whose sub-GAP HiGHS then solves exactly. On Yagiura's type D, where the LNS stalls 0.2-0.6 % above the
best known, one dive from the root lands within about 0.1 %.

Pricing is one 0-1 knapsack per agent at the job duals (the dynamic program of exact.gap_bound). Duals are
smoothed towards the best Lagrangian point so far (Wentges), which cuts the tailing-off iterations; every
priced point's L(u) is a valid lower bound, so the master also certifies. Costs are minimised; weights and
capacities are integers."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from optalloc.numeric import sum_error_bound

from optalloc.families.matching.gap_bound import _knapsack
from optalloc.options import Deadline


@njit(cache=True)
def _price(f, a, b, u, free_job, free_agent, take, best):
    """For each free agent, the best packing of free jobs at duals u (rows of `take`) and its value
    sum (u_j - c_ij) (into `best`). Returns sum over free jobs of u_j minus those values: L(u) of what is
    left."""
    m, n = f.shape
    profit = np.empty(n)
    row = np.zeros(n, dtype=np.bool_)
    total = 0.0
    for j in range(n):
        if free_job[j]:
            total += u[j]
    for i in range(m):
        best[i] = 0.0
        if not free_agent[i]:
            continue
        for j in range(n):
            profit[j] = u[j] - f[i, j] if free_job[j] else -1.0
        best[i] = _knapsack(profit, a[i], b[i], row)
        total -= best[i]
        for j in range(n):
            take[i, j] = row[j]
    return total


class Master:
    """The restricted master LP in one HiGHS model that lives through every dive: fixing a packing sets its
    column's lower bound to 1 (and shuts the columns it excludes), so each re-solve starts from the last
    basis instead of from scratch."""

    def __init__(self, f, a, b):
        import highspy as hs

        self.hs = hs
        self.f, self.a, self.b = f, a, b
        m, n = f.shape
        self.m, self.n = m, n
        h = hs.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("presolve", "off")  # re-solves after adding a few columns: presolve only costs
        none = np.array([], dtype=np.int32)
        h.addRows(n, np.ones(n), np.ones(n), 0, none, none, np.array([]))
        h.addRows(m, np.full(m, -hs.kHighsInf), np.ones(m), 0, none, none, np.array([]))
        # one artificial column per job keeps every restricted master feasible; its cost exceeds what
        # any assignment can save, so a positive artificial means "no assignment of what is left"
        big = 2.0 * n * (float(np.abs(f).max()) + 1.0)
        for j in range(n):
            h.addCol(big, 0.0, hs.kHighsInf, 1, np.array([j], dtype=np.int32), np.array([1.0]))
        self.h = h
        self.agent: list[int] = []
        self.jobs: list[np.ndarray] = []
        self.cost: list[float] = []
        self.index: dict[bytes, int] = {}
        self.fixed: list[int] = []
        self.shut: list[int] = []

    def add(self, i: int, take: np.ndarray) -> bool:
        """Add agent i's packing `take` (bool per job) unless the master has it already."""
        key = self._key(i, take)
        if key in self.index:
            return False
        self.index[key] = len(self.agent)
        jobs = np.flatnonzero(take)
        rows = np.concatenate([jobs, [self.n + i]]).astype(np.int32)
        c = float(self.f[i, jobs].sum())
        self.h.addCol(c, 0.0, self.hs.kHighsInf, len(rows), rows, np.ones(len(rows)))
        self.agent.append(int(i))
        self.jobs.append(jobs)
        self.cost.append(c)
        return True

    def _key(self, i: int, take: np.ndarray) -> bytes:
        return int(i).to_bytes(4, "little") + np.packbits(take).tobytes()

    def agent_col(self, i: int, take: np.ndarray) -> int:
        """The column index of agent i's packing `take` (which the master must hold)."""
        return self.index[self._key(i, take)]

    def add_assignment(self, agent: np.ndarray) -> None:
        for i in range(self.m):
            self.add(i, agent == i)

    def _solve(self, primal: bool):
        self.h.setOptionValue("simplex_strategy", 4 if primal else 1)
        self.h.run()
        sol = self.h.getSolution()
        y = np.asarray(sol.row_dual)
        x = np.asarray(sol.col_value)
        feasible = x[:self.n].max(initial=0.0) < 1e-7
        return self.h.getInfo().objective_function_value, y[:self.n], y[self.n:], x[self.n:], feasible

    def generate(self, uc, free_job, free_agent, deadline: Deadline, *, alpha: float = 0.9, tol: float = 1e-5):
        """Column generation on what is free, smoothed towards the centre uc. Returns (LP value, lower
        bound, lam per column, new centre, LP feasible, converged). Both values include the fixed packings;
        the bound (their cost plus the best L(u) of the free part) holds whether or not it converged."""
        f, a, b = self.f, self.a, self.b
        take = np.zeros((self.m, self.n), dtype=np.bool_)
        best = np.zeros(self.m)
        uc = np.where(free_job, uc, 0.0)
        Lc = _price(f, a, b, uc, free_job, free_agent, take, best)
        for i in np.flatnonzero(free_agent):
            if best[i] > 1e-9:
                self.add(i, take[i])
        fixed_cost = sum(self.cost[c] for c in self.fixed)
        primal = False  # the first solve after bounds changed is a dual simplex one
        while True:
            lp, u, v, lam, feasible = self._solve(primal)
            primal = True
            # artificials in use: the columns so far cannot cover the jobs; pricing at their (large) duals
            # finds the packings that can, and only a converged master with artificials is infeasible
            if feasible and lp - (fixed_cost + Lc) <= tol * max(1.0, abs(lp)):
                return lp, fixed_cost + Lc, lam, uc, True, True
            if deadline.expired():
                return lp, fixed_cost + Lc, lam, uc, feasible, False
            step = alpha
            while True:
                us = step * uc + (1.0 - step) * np.where(free_job, u, 0.0)
                Ls = _price(f, a, b, us, free_job, free_agent, take, best)
                if Ls > Lc:
                    uc, Lc = us, Ls
                added = 0
                for i in np.flatnonzero(free_agent):
                    row = take[i]
                    reduced = float(f[i, row].sum() - u[row].sum() - v[i])
                    if reduced < -1e-9 and self.add(i, row):
                        added += 1
                if added or step == 0.0:
                    break
                step = 0.0 if step < 0.1 else 0.5 * step  # mispriced: move the point towards the LP duals
            if not added:  # the LP duals price out: the master is optimal
                return lp, max(fixed_cost + Lc, lp), lam, uc, feasible, True

    def fix(self, cols) -> None:
        """Fix the packings `cols` (mutually compatible) and shut every column that overlaps them."""
        for c in cols:
            self.fixed.append(c)
        agents = {self.agent[c] for c in self.fixed}
        covered = np.zeros(self.n, dtype=bool)
        for c in self.fixed:
            covered[self.jobs[c]] = True
        fixed = set(self.fixed)
        shut = [c for c in range(len(self.agent)) if c not in fixed and
                (self.agent[c] in agents or covered[self.jobs[c]].any())]
        h, off = self.h, self.n
        for c in cols:
            h.changeColBounds(off + c, 1.0, 1.0)
        new = sorted(set(shut) - set(self.shut))
        if new:
            idx = np.asarray(new, dtype=np.int32) + off
            h.changeColsBounds(len(idx), idx, np.zeros(len(idx)), np.zeros(len(idx)))
        self.shut = sorted(set(self.shut) | set(new))

    def reset(self) -> None:
        """Undo every fix: back to the root master."""
        cols = np.asarray(self.fixed + self.shut, dtype=np.int32) + self.n
        if len(cols):
            self.h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), np.full(len(cols), self.hs.kHighsInf))
        self.fixed, self.shut = [], []


def dive(master: Master, uc, deadline: Deadline, rng, *, stop_agents: int = 3, stop_jobs: int = 30,
         sub_limit: float = 2.0, cutoff: float = math.inf, keep=()):
    """One dive from the root, or from the packings `keep` (column indices) fixed first. `rng` None: always
    fix the largest lam; else a coin picks between the two largest when no packing reaches 0.9. Returns
    (agent per job or None, stats)."""
    from optalloc.families.matching.gap_lns import solve_sub

    f, a, b = master.f, master.a, master.b
    m, n = f.shape
    free_job = np.ones(n, dtype=bool)
    free_agent = np.ones(m, dtype=bool)
    agent = np.full(n, -1, dtype=np.int64)
    stats = {"fixes": 0, "lp": None, "outcome": "residual"}
    if len(keep):
        master.fix(list(keep))
        for c in keep:
            free_agent[master.agent[c]] = False
            free_job[master.jobs[c]] = False
            agent[master.jobs[c]] = master.agent[c]
    try:
        while free_agent.sum() > stop_agents and free_job.sum() > stop_jobs:
            lp, bound, lam, uc, feasible, _ = master.generate(uc, free_job, free_agent, deadline)
            if not feasible:
                stats["outcome"] = "infeasible"
                return None, stats
            stats["lp"] = lp
            if bound >= cutoff - 1e-9:
                stats["outcome"] = "cutoff"  # this branch cannot beat the incumbent
                return None, stats
            if deadline.expired():
                stats["outcome"] = "time_limit"
                return None, stats
            fixed = set(master.fixed)
            free = [c for c in np.argsort(-lam) if lam[c] > 1e-6 and c not in fixed]
            pick = [c for c in free if lam[c] >= 0.9]
            if not pick:
                pick = [free[1] if rng is not None and len(free) > 1 and rng.random() < 0.5 else free[0]]
            master.fix(pick)
            stats["fixes"] += 1
            for c in pick:
                i, jobs = master.agent[c], master.jobs[c]
                free_agent[i] = False
                free_job[jobs] = False
                agent[jobs] = i
        J = np.flatnonzero(free_job)
        if len(J):
            K = np.flatnonzero(free_agent)
            limit = min(sub_limit, max(deadline.remaining(), 1e-3))
            sub, _ = solve_sub(f, a, K, J, b[K].astype(np.float64), None, limit)
            if sub is None:
                stats["outcome"] = "residual failed"
                return None, stats
            agent[J] = sub
        return agent, stats
    finally:
        master.reset()


def price_and_dive(f, a, b, u0, deadline: Deadline, *, seed: int = 0, start=None, target: float = -math.inf,
                   dives: int = 1000, root_share: float = 0.4):
    """Root column generation from multipliers u0, then dives (the first one deterministic, the rest
    randomised) until the deadline, `dives` or a dive that meets `target`. A root that has not converged
    within `root_share` of the time ends the phase there (no dives: an unconverged master misguides
    them, and the time is better left to the caller). `start` (an assignment) seeds the
    master, and is the incumbent dives must beat. Returns (best agent or None, its cost, a lower bound from
    the root, stats)."""
    f = np.ascontiguousarray(f, dtype=np.float64)
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    m, n = f.shape
    master = Master(f, a, b)
    if start is not None:
        master.add_assignment(np.asarray(start))
    everything_j, everything_i = np.ones(n, dtype=bool), np.ones(m, dtype=bool)
    root = Deadline(None if deadline.limit is None else root_share * deadline.remaining())
    lp, L, _, uc, feasible, converged = master.generate(np.asarray(u0, dtype=np.float64), everything_j,
                                                        everything_i, root)
    stats = {"columns": 0, "dives": 0, "improving": 0, "root_lp": lp if feasible else None,
             "root_converged": bool(converged)}  # L(u) bounds even when the root stopped early
    best, best_cost = None, math.inf
    if start is not None:
        best, best_cost = np.asarray(start, dtype=np.int64), float(f[start, np.arange(n)].sum())
    if not converged:
        dives = 0
    integer = np.allclose(f, np.rint(f))
    rng = None
    stats["partial"] = 0
    free = max(2, (3 * m) // 4)  # agents a partial dive re-opens: with half, most are cut off at once
    while stats["dives"] < dives and not deadline.expired() and best_cost > target + 1e-9:
        # integer costs: a branch whose bound is above best - 1 cannot hold a better assignment
        cutoff = best_cost - 1.0 + 1e-6 if integer else best_cost
        keep = ()
        if stats["improving"] and stats["dives"] % 4 != 0 and m > 2:
            # a partial dive: the incumbent's packings of all but `free` agents stay fixed, so the
            # dive re-decides only the rest (intensification around the incumbent)
            master.add_assignment(best)
            cols = {master.agent_col(i, best == i): i for i in range(m)}
            opened = set(rng.choice(m, size=min(free, m), replace=False).tolist())
            keep = [c for c, i in cols.items() if i not in opened]
            stats["partial"] += 1
        agent, ds = dive(master, uc, deadline, rng, cutoff=cutoff, keep=keep)
        stats["dives"] += 1
        rng = np.random.default_rng([seed, stats["dives"]])
        if agent is not None:
            cost = float(f[agent, np.arange(n)].sum())
            if cost < best_cost - 1e-9:
                best, best_cost = agent, cost
                stats["improving"] += 1
    stats["columns"] = len(master.agent)
    # L is a float sum of n duals and m knapsack values: lower it by the rounding that can carry
    scale = np.abs(f).sum() + np.abs(uc).sum() * (m + 1)
    return best, best_cost, L - sum_error_bound(m * n + n, scale), stats
