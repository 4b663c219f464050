"""Seeded instance generators. The same arguments always give the same instance."""
from . import knapsack  # noqa: F401
from .knapsack import GENERATORS

__all__ = ["GENERATORS"]
