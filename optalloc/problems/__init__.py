"""Problem kinds: what the data of each kind must look like, and how a solution is scored and checked.

Every problem kind is a `Problem` registered here under its name (the `problem` field of an instance)."""
from __future__ import annotations

from .base import Evaluation, Problem, get_problem, problem_names, register_problem

# Importing a family module registers its problem kinds.
from . import bitalloc as _bitalloc  # noqa: F401,E402
from . import knapsack as _knapsack  # noqa: F401,E402
from . import matching as _matching  # noqa: F401,E402
from . import scheduling as _scheduling  # noqa: F401,E402

__all__ = ["Evaluation", "Problem", "get_problem", "problem_names", "register_problem"]
