"""Bookkeeping shared by the subgradient ascents (tardiness time-indexed bounds, GAP knapsack bound)."""
from numba import njit


@njit(cache=True)
def track_best(value, best, since, alpha, patience):
    """Record a new L(λ): (improved, best, iterations since the best, step factor). The step halves after
    `patience` iterations without a better bound."""
    if value > best + 1e-9:
        return True, value, 0, alpha
    since += 1
    if since >= patience:
        return False, best, 0, alpha * 0.5
    return False, best, since, alpha
