"""Knapsack RL (Li et al., 2025): split a rollout budget across prompts.

Prompt i with estimated success rate p_i gets N_i rollouts, n_min <= N_i <= n_max, sum N_i <= budget, and
value(N, p) = (1 - p^N - (1 - p)^N) * p (1 - p)^2: the chance that a GRPO group has a nonzero gradient,
times the information gain of the prompt. One class per prompt, one option per N: a multiple-choice
knapsack. The value is concave in N, so greedy along the hull is already exact; the exact MCKP solver
proves it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optalloc.errors import InstanceError
from optalloc.instances.format import Instance, make_instance


def rollout_value(N, p):
    """The expected learning signal of `N` rollouts on a prompt of success rate `p`: (1 - p^N - (1 - p)^N) p (1 -
    p)^2."""
    N = np.asarray(N, dtype=float)
    p = np.asarray(p, dtype=float)
    return (1.0 - p**N - (1.0 - p) ** N) * p * (1.0 - p) ** 2


def build(p, budget: int, n_min: int = 2, n_max: int = 128, name: str = "knapsack_rl") -> Instance:
    """The MCKP instance for success rates p (one per prompt)."""
    p = np.asarray(p, dtype=float)
    if p.ndim != 1 or len(p) == 0:
        raise InstanceError("p", "must be a non-empty list of success rates")
    bad = np.flatnonzero(~np.isfinite(p) | (p < 0) | (p > 1))
    if len(bad):
        raise InstanceError(f"p[{int(bad[0])}]", "must be a probability in [0, 1]", float(p[bad[0]]))
    if not (isinstance(n_min, (int, np.integer)) and isinstance(n_max, (int, np.integer)) and 1 <= n_min <= n_max):
        raise InstanceError("n_min, n_max", "must be integers with 1 <= n_min <= n_max", (n_min, n_max))
    if budget < n_min * len(p):
        raise InstanceError("budget", f"must be at least n_min * prompts = {n_min * len(p)}", budget)
    N = np.arange(n_min, n_max + 1)
    values = rollout_value(N[None, :], p[:, None])
    weights = np.tile(N, (len(p), 1))
    return make_instance("mckp", name, {"values": values.tolist(), "weights": weights.tolist(),
                                        "capacity": int(budget)},
                         meta={"application": "knapsack_rl", "n_min": int(n_min), "n_max": int(n_max)})


@dataclass
class RolloutAllocation:
    """Rollouts per prompt from allocate_rollouts, with the total value, the uniform split's value and the
    certified Result."""

    rollouts: np.ndarray  # N_i per prompt
    result: object  # the certified optalloc Result
    uniform_value: float | None  # value of the uniform split budget // prompts, when that is feasible

    @property
    def value(self) -> float:
        return float(self.result.objective)


def allocate_rollouts(p, budget: int, n_min: int = 2, n_max: int = 128, method: str = "knapsack.dp",
                      **options) -> RolloutAllocation:
    """Solve the allocation and return rollouts per prompt, with the certified result and, for scale,
    the value of giving every prompt the same number of rollouts."""
    from optalloc.solve import solve

    inst = build(p, budget, n_min, n_max)
    res = solve(inst, method, **options)
    choice = np.asarray(res.require_solution()["choice"], dtype=np.int64)
    uniform = budget // len(inst.data.starts[:-1])
    uv = float(rollout_value(uniform, p).sum()) if n_min <= uniform <= n_max else None
    return RolloutAllocation(choice + n_min, res, uv)
