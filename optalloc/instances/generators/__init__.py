"""Seeded instance generators. The same arguments always give the same instance."""
from . import knapsack, matching, scheduling  # noqa: F401
from .knapsack import GENERATORS as _KNAPSACK
from .matching import GENERATORS as _MATCHING

GENERATORS = {**_KNAPSACK, **_MATCHING, "potts-vw": scheduling.potts_vw}

__all__ = ["GENERATORS"]
