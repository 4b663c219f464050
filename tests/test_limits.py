"""Time limits (issue 16): a step the time left cannot cover is not begun, heuristics keep a certified
bound when their LP has no time, and solving never builds names it does not need."""
import numpy as np
import pytest

from optalloc import solve
from optalloc.families.matching import generators as gm


def test_a_build_the_limit_cannot_cover_is_not_begun():
    inst = gm.assignment(1500, seed=1)  # 4.5 M nonzeros: about 0.7 s to build here
    r = solve(inst, "assignment.lp", time_limit=0.05)
    assert str(r.status) == "time_limit" and r.objective is None and r.bound is None
    assert "would take about" in r.message and "nonzeros" in r.message
    assert r.time < 0.5


@pytest.mark.parametrize("kind,greedy,exact", [("adwords", "adwords.greedy", "adwords.mip"),
                                              ("adwords", "adwords.msvv", "adwords.mip"),
                                              ("bmatching", "bmatching.greedy", "bmatching.lp")])
def test_heuristic_bounds_without_time_for_their_lp_are_still_valid(kind, greedy, exact):
    for seed in range(6):
        inst = gm.adwords(6, 30, seed=seed) if kind == "adwords" else gm.bmatching(12, 15, density=0.5, seed=seed)
        quick = solve(inst, greedy, time_limit=0)  # no time for the LP: the closed-form bound
        lp = solve(inst, greedy)  # with the LP
        opt = solve(inst, exact)
        assert str(opt.status) == "optimal"
        assert quick.objective <= opt.objective <= quick.bound + 1e-9
        assert opt.objective <= lp.bound + 1e-9 and lp.bound <= quick.bound + 1e-9  # the LP only tightens it


def test_solving_never_makes_the_model_names():
    from optalloc.families.matching.models import arrays
    from optalloc.options import Deadline, SolveOptions
    from optalloc.solvers.highs import solve_linear

    inst = gm.gap(5, 40, "D", seed=2)
    lm = arrays(inst)
    lo = solve_linear(lm, SolveOptions(), Deadline(None))
    assert str(lo.status) == "optimal"
    assert lm.col_names._names is None and lm.row_names._names is None  # never read
    assert lm.col_names[3] == "x_0_3" and len(lm.row_names) == 45  # made on first read


def test_large_models_solve_in_a_child_process_with_the_same_answer():
    from optalloc.solvers import highs

    inst = gm.bmatching(200, 200, density=0.6, seed=3)  # 24,000 edges: past ISOLATE_NONZEROS
    lm_nnz = 2 * int(np.isfinite(inst.data.weights).sum())
    assert lm_nnz >= highs.ISOLATE_NONZEROS
    isolated = solve(inst, "bmatching.lp")
    old = highs.ISOLATE_NONZEROS
    highs.ISOLATE_NONZEROS = 10**12
    try:
        in_process = solve(inst, "bmatching.lp")
    finally:
        highs.ISOLATE_NONZEROS = old
    assert str(isolated.status) == str(in_process.status) == "optimal"
    assert isolated.objective == in_process.objective
