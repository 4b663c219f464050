"""Heuristics. Each returns a feasible solution and, where one is cheap, a proven bound (LP or
Lagrangian), so the gap it reports is certified."""
