"""The exact algorithms against brute force, known optima and time limits."""
import itertools
import time

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

import optalloc
from optalloc.families.knapsack.knapsack01 import cardinality_bound, dantzig_bound, solve_01
from optalloc.engines.mckp import solve_mckp
from optalloc.families.knapsack.generators import pisinger


def brute_01(v, w, c):
    best = 0
    for mask in itertools.product((0, 1), repeat=len(v)):
        x = np.array(mask, dtype=bool)
        if w[x].sum() <= c:
            best = max(best, v[x].sum())
    return best


items = st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 60), min_size=n, max_size=n), st.lists(st.integers(0, 40), min_size=n, max_size=n),
    st.integers(0, 200)))


@settings(max_examples=150, deadline=None)
@given(items)
def test_01_matches_brute_force(case):
    v, w, c = (np.array(case[0]), np.array(case[1]), case[2])
    r = solve_01(v, w, c)
    assert r.optimal and r.value == brute_01(v, w, c)
    assert w[r.x].sum() <= c and v[r.x].sum() == r.value
    assert dantzig_bound(v.astype(float), w, c) >= r.value - 1e-9


correlated = st.integers(2, 12).flatmap(lambda n: st.tuples(
    st.lists(st.integers(1, 60), min_size=n, max_size=n), st.lists(st.integers(-3, 3), min_size=n, max_size=n),
    st.integers(5, 40), st.integers(0, 300), st.integers(1, 200)))


@settings(max_examples=200, deadline=None)
@given(correlated)
def test_both_phases_match_brute_force_on_correlated_items(case):
    """v = w + K + noise (Pisinger's (almost) strongly correlated shape) with a one-operation probe, so the
    cardinality bound, its per-state use and the Lagrangian-order phase all run; with a tiny phase-2 budget
    too, so phase 1 resumes from phase 2's incumbent."""
    w = np.array(case[0])
    v = np.maximum(0, w + case[2] + np.array(case[1]))
    c = case[3]
    opt = brute_01(v, w, c)
    for budget in (6_000_000, 1):  # without the searches that run before phase 2 (and often settle it)
        r = solve_01(v, w, c, probe_ops=1, slice_ops=case[4], phase2_work=budget, beam_width=0, weight_work=0)
        assert r.optimal and r.value == opt and w[r.x].sum() <= c and v[r.x].sum() == r.value


similar = st.integers(3, 12).flatmap(lambda n: st.tuples(
    st.lists(st.integers(1, 60), min_size=n, max_size=n), st.lists(st.integers(0, 6), min_size=n, max_size=n),
    st.integers(1, n - 1), st.integers(0, 12), st.integers(1, 50)))


@settings(max_examples=150, deadline=None)
@given(similar)
@example(([1, 4, 1, 1, 1, 1, 2, 3, 4, 4], [0, 2, 0, 0, 0, 0, 0, 0, 2, 2], 4, 4, 1))  # copies: it proved 12, not 13
def test_fixed_count_instances_match_brute_force(case):
    """Pisinger's class 9 in small: weights 100 plus a little, so every better solution holds the same number of
    items (k_min = k_max) and the core search bounds each state with the cardinality row; a one-operation probe
    and a tiny phase-2 budget put it to work."""
    values, extra, k, spare, ops = case
    v = np.array(values)
    w = 100 + np.array(extra)
    c = 100 * k + spare
    opt = brute_01(v, w, c)
    for budget in (6_000_000, 1):
        r = solve_01(v, w, c, probe_ops=1, slice_ops=ops, phase2_work=budget, beam_width=0, weight_work=0)
        assert r.optimal and r.value == opt and w[r.x].sum() <= c and v[r.x].sum() == r.value


grouped = st.integers(2, 12).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 3), min_size=n, max_size=n), st.lists(st.integers(1, 9), min_size=n, max_size=n),
    st.lists(st.integers(1, 9), min_size=n, max_size=n), st.sampled_from([100, 10**4, 10**9]),
    st.floats(0.3, 1.0), st.integers(1, 50)))


@settings(max_examples=150, deadline=None)
@given(grouped)
def test_incumbent_and_heaviest_first_searches_match_brute_force(case):
    """Jooken's shape (groups of nearly equal weights near c/2, c/4, ..., values close to the weights; c up to
    10^9) with a one-operation probe, so the incumbent search and the heaviest-first search run: to the end,
    and stopped after a few operations so that the core search resumes from their incumbent and bound."""
    group, noise_w, noise_v, top, frac, ops = case
    w = np.array([top >> (k + 1) for k in group], dtype=np.int64) + np.array(noise_w)
    v = w - np.array(noise_w) + np.array(noise_v)
    c = int(top * frac)
    opt = brute_01(v, w, c)
    for work in (10**9, 3):
        for width in (4096, 1):
            r = solve_01(v, w, c, probe_ops=1, slice_ops=ops, weight_work=work, beam_width=width, others_after=0.0)
            assert r.optimal and r.value == opt and w[r.x].sum() <= c and v[r.x].sum() == r.value


copies = st.integers(1, 4).flatmap(lambda kinds: st.tuples(
    st.lists(st.integers(1, 30), min_size=kinds, max_size=kinds), st.lists(st.integers(1, 20), min_size=kinds,
                                                                           max_size=kinds),
    st.lists(st.integers(1, 7), min_size=kinds, max_size=kinds), st.sampled_from([1, 3, 10**6]),
    st.sampled_from([1, 2, 7]), st.floats(0.1, 0.9), st.booleans(), st.sampled_from([None, 5, 40, 0, -3])))


@settings(max_examples=200, deadline=None)
@given(copies)
def test_identical_items_and_common_divisors_match_brute_force(case):
    """Up to 4 kinds of item with up to 7 copies each (binary pieces), values sharing a divisor of 1, 3 or 10^6
    and weights one of 1, 2 or 7 (divided out), or values the weights plus K (subset sum, strongly and inversely
    correlated: the cardinality bound and the Lagrangian phase count a piece's copies, and the exact fill runs);
    integer and float values, with and without the searches beside the core search: the answer is a set of
    original items with the brute-force optimum."""
    kv, kw, count, vg, wg, frac, as_float, K = case
    w = np.repeat(np.array(kw, dtype=np.int64) * wg, count)
    v = np.repeat(np.array(kv, dtype=np.int64) * vg, count) if K is None else np.maximum(w + K, 0)
    c = int(w.sum() * frac)
    # brute force over how many copies of each kind (copies are interchangeable): up to 8^4 sets, not 2^28
    kind_w, kind_v = w[np.cumsum(count) - 1], v[np.cumsum(count) - 1]
    opt = max(int(np.dot(t, kind_v)) for t in itertools.product(*[range(k + 1) for k in count])
              if np.dot(t, kind_w) <= c)
    for others in ({}, {"beam_width": 0, "weight_work": 0}):
        r = solve_01(v.astype(float) if as_float else v, w, c, probe_ops=1, others_after=0.0, **others)
        assert r.optimal and r.value == opt and r.bound == opt
        assert w[r.x].sum() <= c and v[r.x].sum() == r.value


pieces = st.integers(1, 8).flatmap(lambda n: st.tuples(
    st.lists(st.integers(1, 40), min_size=n, max_size=n), st.lists(st.integers(1, 30), min_size=n, max_size=n),
    st.lists(st.integers(1, 5), min_size=n, max_size=n), st.integers(0, 200), st.integers(0, 300)))


@settings(max_examples=150, deadline=None)
@given(pieces)
def test_cardinality_bound_with_copies_covers_every_better_solution(case):
    """Pieces standing for q copies each: the bound is at least the best solution better than z (brute force
    over the pieces), and k_min <= copies <= k_max holds for every solution better than z."""
    v, w, q = (np.array(case[0], dtype=np.int64), np.array(case[1], dtype=np.int64), np.array(case[2]))
    c, z = case[3], case[4]
    ub, info = cardinality_bound(v.astype(float), w, c, float(z), True, q)
    for mask in itertools.product((0, 1), repeat=len(v)):
        x = np.array(mask, dtype=bool)
        if w[x].sum() <= c and v[x].sum() > z:
            assert ub >= v[x].sum()
            assert info["kmin"] <= q[x].sum() <= info["kmax"]


fills = st.integers(2, 14).flatmap(lambda n: st.tuples(
    st.lists(st.integers(1, 10**7), min_size=n, max_size=n), st.lists(st.booleans(), min_size=n, max_size=n),
    st.integers(0, 2**31)))


@settings(max_examples=200, deadline=None)
@given(fills)
def test_exact_fill_returns_k_items_of_the_target_weight(case):
    """The fill search is a heuristic: whatever it returns must be k items weighing exactly the target (here the
    weight of a random k-subset, so one exists)."""
    from optalloc.families.knapsack.exact_fill import fill

    w = np.array(case[0], dtype=np.int64)
    pick = np.array(case[1], dtype=bool)
    k, target = int(pick.sum()), int(w[pick].sum())
    got_k, x = fill(w, [k], target, seed=case[2] % 1000 + 1)
    if got_k is not None:
        assert got_k == k and x.sum() == k and w[x].sum() == target


def test_exact_fill_proves_dense_subset_sum_and_strongly_correlated_instances():
    """Pisinger's subset-sum and strongly correlated classes at R = 10^7: the fill meets the bound (c, c + K k_max)
    without the core search (before it, 3_10000_10^7_50 stopped at its limit with a 2e-4 gap)."""
    for t, z in ((6, 24_552_508_933), (3, 31_604_508_933)):
        inst = pisinger(t, 10_000, 10**7, 50)
        r = solve_01(inst.data.values, inst.data.weights, inst.data.capacity)
        assert r.optimal and r.value == z and r.stats["exact_fill"] is not None
        assert inst.data.weights[r.x].sum() <= inst.data.capacity and inst.data.values[r.x].sum() == z


def test_identical_items_become_binary_pieces():
    """13 copies are pieces of 1, 2, 4 and 6; 7 copies 1, 2, 4; every count maps back to that many items."""
    from optalloc.families.knapsack.reductions import IdenticalItems
    v = np.array([5] * 13 + [9] * 7 + [4])
    w = np.array([3] * 13 + [2] * 7 + [3])
    k = IdenticalItems(v, w)
    assert sorted(zip(k.weights.tolist(), k.values.tolist())) == sorted(
        [(3, 5), (6, 10), (12, 20), (18, 30), (2, 9), (4, 18), (8, 36), (3, 4)])
    for mask in itertools.product((0, 1), repeat=len(k.values)):
        chosen = np.array(mask, dtype=bool)
        got = k.items(chosen)
        assert len(set(got.tolist())) == len(got)
        assert v[got].sum() == k.values[chosen].sum() and w[got].sum() == k.weights[chosen].sum()
    rng = np.random.default_rng(0)
    for _ in range(3000):  # and back: sets of items (every count of each kind comes up) as pieces
        items = rng.random(len(v)) < rng.random()
        pieces = k.pieces_for(items)
        assert k.values[pieces].sum() == v[items].sum() and k.weights[pieces].sum() == w[items].sum()


def test_spanner_instance_reduces_to_pieces():
    """Pisinger's class 13 at n = 10,000 draws its items from 20 kinds: the search sees 186 pieces, the values'
    and weights' common divisor 2 is divided out, and the answer is combo's optimum (3,524,056 in the shared
    index, where combo took 1.05 s)."""
    inst = pisinger(13, 10_000, 1000, 50)
    r = solve_01(inst.data.values, inst.data.weights, inst.data.capacity)
    assert r.optimal and r.value == 3_524_056 and r.bound == 3_524_056
    assert (r.stats["item_kinds"], r.stats["pieces"], r.stats["value_divisor"], r.stats["weight_divisor"]) == (
        20, 186, 2, 2)
    assert inst.data.weights[r.x].sum() <= inst.data.capacity and inst.data.values[r.x].sum() == 3_524_056


@settings(max_examples=80, deadline=None)
@given(items)
def test_cardinality_bound_never_cuts_the_optimum(case):
    v, w, c = (np.array(case[0], dtype=float), np.array(case[1]), case[2])
    opt = brute_01(v, w, c)
    ub, _ = cardinality_bound(v[w > 0], w[w > 0], c, 0.0, True)
    opt_pos = brute_01(v[w > 0], w[w > 0], c)
    assert ub >= opt_pos - 1e-9
    assert opt >= opt_pos


def brute_mckp(vals, wts, c):
    best = None
    for ch in itertools.product(*[range(len(x)) for x in vals]):
        if sum(wts[i][j] for i, j in enumerate(ch)) <= c:
            p = sum(vals[i][j] for i, j in enumerate(ch))
            best = p if best is None else max(best, p)
    return best


classes = st.lists(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 25)), min_size=1, max_size=4),
                   min_size=1, max_size=5)


@settings(max_examples=150, deadline=None)
@given(classes, st.integers(0, 80))
def test_mckp_matches_brute_force(cls, c):
    vals = [[v for v, _ in k] for k in cls]
    wts = [[w for _, w in k] for k in cls]
    starts = np.concatenate([[0], np.cumsum([len(k) for k in cls])])
    r = solve_mckp(np.concatenate(vals).astype(np.int64), np.concatenate(wts).astype(np.int64), starts, c)
    b = brute_mckp(vals, wts, c)
    if b is None:
        assert r.stopped == "infeasible" and r.choice is None
    else:
        assert r.optimal and r.value == b and r.lp_value >= b - 1e-9


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 15), st.integers(0, 3)), min_size=1, max_size=5),
       st.integers(0, 60))
def test_bounded_through_every_method_matches_brute_force(items_, c):
    v, w, b = zip(*items_)
    inst = optalloc.make_instance("bounded_knapsack", "b", {"values": list(v), "weights": list(w),
                                                            "bounds": list(b), "capacity": c})
    best = 0
    for counts in itertools.product(*[range(x + 1) for x in b]):
        if sum(ci * wi for ci, wi in zip(counts, w)) <= c:
            best = max(best, sum(ci * vi for ci, vi in zip(counts, v)))
    r = optalloc.solve(inst, "knapsack.dp")
    assert str(r.status) == "optimal" and r.objective == best
    for h in ("knapsack.greedy", "knapsack.lp_round"):
        rh = optalloc.solve(inst, h)
        assert rh.objective <= best and rh.bound >= best - 1e-9  # a heuristic never beats the optimum


def test_known_optima_of_official_instances(shared_data):
    from optalloc.families.knapsack.readers import read_pisinger

    insts = read_pisinger(shared_data / "knapsack/pisinger/official/hardinstances_pisinger/knapPI_13_200_1000.csv")
    for inst in insts[::10]:
        r = optalloc.solve(inst, "knapsack.dp")
        assert r.reference["verdict"] == "reproduced", r.summary()


def test_time_limit_is_honoured_with_incumbent_and_bound():
    # Pisinger's circle class at R = 10^6 (his sets stop at R = 10^3 for it): strongly correlated R = 10^7, this
    # test's instance until the exact fill proved it in 0.8 s, no longer reaches the limit
    inst = pisinger(16, 10000, 10**6, 50)
    t = time.perf_counter()
    r = optalloc.solve(inst, "knapsack.dp", time_limit=1.0)
    took = time.perf_counter() - t
    assert took < 2.0, took
    assert str(r.status) == "time_limit" and r.solution is not None
    assert r.bound >= r.objective and r.gap < 1e-3
    assert str(r.solution_status) in ("feasible", "optimal")


def test_mckp_large_solves_exactly():
    from optalloc.families.knapsack.generators import mckp

    inst = mckp(2000, 32, kind="uncorrelated", seed=3)
    r = optalloc.solve(inst, "knapsack.dp")
    g = optalloc.solve(inst, "knapsack.greedy")
    assert str(r.status) == "optimal" and r.objective >= g.objective and g.bound >= r.objective - 1e-6


def test_time_limit_holds_where_the_state_log_is_gigabytes(shared_data):
    """Jooken's n = 400, c = 10^10, 13-group instance grows tens of millions of logged states: freeing them after
    the stop once took half a second past the limit, so the last slice now ends early enough to free them."""
    from optalloc.families.knapsack.readers import read_jooken

    name = "n_400_c_10000000000_g_14_f_0.2_eps_1e-05_s_100"
    inst = read_jooken(shared_data / "knapsack/jooken2022/problemInstances" / name / "test.in")[0]
    optimum = 10000005767  # combo's, in the set's optima file
    t = time.perf_counter()
    # alone the proof takes about 3.1 s, and less in a warm process: a limit of 2 s stops it in every run
    r = optalloc.solve(inst, "knapsack.dp", time_limit=2.0)
    took = time.perf_counter() - t
    # the documented guarantee is the limit + 1 s; 0.5 s covers a busy machine
    assert took <= 2.5, (took, r.extra.get("seconds"))
    assert str(r.status) == "time_limit" and r.objective <= optimum <= r.bound


def test_a_cardinality_bound_below_the_incumbent_is_not_the_bound():
    """The cardinality bound covers only solutions better than the incumbent. On this instance it lies 6.2
    million below the greedy value, which is optimal; taken as the bound it put a trace point below the answer
    (caught by the certification as a VerificationError)."""
    r = optalloc.solve(pisinger(9, 10000, 10**7, 21), "knapsack.dp")
    assert str(r.status) == "optimal" and r.objective == r.bound == 18599886012
    assert r.extra["cardinality_bound"] < r.objective
    assert all(b is None or b >= r.objective for _, _, b in r.trace)
