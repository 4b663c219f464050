import numpy as np
import pytest

import optalloc
from optalloc.families.knapsack.knapsack_rl import allocate_rollouts, build, rollout_value


def test_value_is_concave_in_rollouts():
    N = np.arange(2, 129)
    for p in (0.01, 0.1, 1 / 3, 0.5, 0.9):
        inc = np.diff(rollout_value(N, p))
        assert (np.diff(inc) <= 1e-15).all()


def test_allocation_is_exact_and_beats_uniform():
    rng = np.random.default_rng(0)
    p = np.clip(rng.beta(0.5, 0.5, 256), 0.01, 0.99)
    alloc = allocate_rollouts(p, 2048, n_min=2, n_max=128)
    assert alloc.rollouts.sum() <= 2048 and alloc.rollouts.min() >= 2 and alloc.rollouts.max() <= 128
    assert str(alloc.result.status) == "optimal" and alloc.result.gap == 0
    assert alloc.value >= alloc.uniform_value
    greedy = optalloc.solve(build(p, 2048), "knapsack.greedy")
    assert greedy.objective == pytest.approx(alloc.value, rel=1e-12)  # concave: greedy is exact too
    mip = optalloc.solve(build(p[:40], 320, n_max=32), "knapsack.mip")
    dp = allocate_rollouts(p[:40], 320, n_max=32)
    assert mip.objective == pytest.approx(dp.value, rel=1e-9)


def test_bad_inputs():
    with pytest.raises(optalloc.InstanceError, match=r"p\[1\]: must be a probability in \[0, 1\], got 1.5"):
        build([0.2, 1.5], 10)
    with pytest.raises(optalloc.InstanceError, match="budget: must be at least n_min"):
        build([0.2, 0.5], 3)
