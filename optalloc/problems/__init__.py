"""Problem kinds: what the data of each kind must look like, and how a solution is scored and checked.

Every problem kind is a `Problem` registered under its name (the `problem` field of an instance) by the
module its family declares (Family.problems), imported the first time a kind is looked up."""
from __future__ import annotations

from optalloc.problems.base import Evaluation, Problem, family_of, get_problem, problem_names, register_problem

__all__ = ["Evaluation", "Problem", "family_of", "get_problem", "problem_names", "register_problem"]
