"""AdWords: the offline MIP of the capped revenue, and the online rules (greedy, MSVV) with their bound."""
from __future__ import annotations

import numpy as np

from optalloc.families.matching.models import adwords_arrays, adwords_capped_arrays, adwords_decode
from optalloc.options import Deadline, LimitReached, SolveOptions
from optalloc.result import Outcome
from optalloc.solvers.highs import lp_bound
from optalloc.status import Status


def _adwords_bound(instance, deadline: Deadline) -> float:
    """An upper bound on the capped revenue of any allocation. Cheap first: no advertiser earns more than its
    budget or than all its bids, and no query pays more than its highest bid. Then, if the time left allows,
    the LP with the budgets (a query whose bid overshoots the budget counts only the remainder, which the
    fractional LP can always match), the tighter of the two."""
    from optalloc.numeric import sum_error_bound
    from optalloc.solvers.highs import solve_linear

    d = instance.data
    bids = np.where(np.isfinite(d.bids), np.maximum(np.nan_to_num(d.bids), 0.0), 0.0)
    per_advertiser = np.minimum(d.budgets, bids.sum(axis=1))
    by_advertiser = float(per_advertiser.sum())
    by_query = float(bids.max(axis=0).sum()) if bids.size else 0.0
    # each total is a float sum: moved up by its proven rounding margin (row sums inside, then the total)
    margin = lambda total, terms: total + sum_error_bound(terms, total)  # noqa: E731
    bound = min(margin(by_advertiser, bids.shape[1] + len(per_advertiser)), margin(by_query, bids.shape[1]))
    try:
        lp = lp_bound(solve_linear(adwords_arrays(instance, relax=True, deadline=deadline), SolveOptions(), deadline),
                      "max")
    except LimitReached:
        lp = None
    return bound if lp is None else min(bound, lp)


def run_adwords_mip(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
    """Offline optimum of the capped revenue: the MIP without budget overshoot, then one extra query per
    advertiser can still add its remaining budget; both are covered by solving with the cap linearised."""
    from optalloc.solvers.highs import solve_linear

    lo = solve_linear(adwords_capped_arrays(instance, deadline), options, deadline)
    if lo.x is None:
        return Outcome.from_backend(lo, None, None, lo.bound)
    return Outcome.from_backend(lo, adwords_decode(instance, lo.x), lo.objective, lo.bound)


def online_run(rule):
    """The run function of the online budgeted-allocation `rule` (greedy or MSVV), with the LP bound."""
    def run(instance, options: SolveOptions, deadline: Deadline) -> Outcome:
        """Queries in arrival (column) order. greedy: the highest bid among advertisers with budget left;
        msvv: the highest bid scaled by psi(f) = 1 - e^(f - 1), f the spent fraction of the budget
        (Mehta, Saberi, Vazirani and Vazirani, ratio 1 - 1/e as bids become small)."""
        d = instance.data
        m, n = d.bids.shape
        spent = np.zeros(m)
        adv = np.full(n, -1, dtype=np.int64)
        for j in range(n):
            b = d.bids[:, j]
            ok = np.isfinite(b) & (spent < d.budgets - 1e-12) & (np.nan_to_num(b) > 0)
            if not ok.any():
                continue
            score = np.where(ok, np.nan_to_num(b), -np.inf)
            if rule == "msvv":
                f = spent / np.maximum(d.budgets, 1e-300)
                score = np.where(ok, np.nan_to_num(b) * (1 - np.exp(f - 1)), -np.inf)
            i = int(np.argmax(score))
            adv[j] = i
            spent[i] += b[i]
        bound = _adwords_bound(instance, deadline)
        return Outcome(Status.COMPLETED, {"advertiser": adv.tolist()}, None, bound, "completed")

    return run
