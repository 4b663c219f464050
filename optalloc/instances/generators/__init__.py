"""Seeded instance generators. The same arguments always give the same instance."""
from . import knapsack, scheduling  # noqa: F401
from .knapsack import GENERATORS as _KNAPSACK

GENERATORS = {**_KNAPSACK, "potts-vw": scheduling.potts_vw}

__all__ = ["GENERATORS"]
