"""The modelling bridge. Each problem kind declares its formulation (Problem.formulation), built two ways: as a
Pyomo model to print, change and solve, and as arrays (`LinearModel`, in optalloc.models.linear) straight into
highspy for speed. The functions here take any instance and use its kind's formulation: no code outside the
declarations says which kind is which."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from optalloc.errors import UnsupportedProblemError
from optalloc.family import resolve
from optalloc.models.linear import builds_from
from optalloc.problems import get_problem


@dataclass(frozen=True)
class Formulation:
    """One problem kind's model. `arrays(instance, deadline=None)` -> LinearModel (a build the time left cannot
    cover is not begun); `mip(instance)` -> the same model in Pyomo; `decode(instance, x)` -> a solution from a
    column vector of either; `encode(instance, solution)` -> decode's inverse (a MIP start), or None where the
    model has columns a solution does not fix; `cpsat(instance)` -> (CP-SAT model, its variables, objective
    scale) when the kind has one."""

    arrays: Callable
    mip: Callable
    decode: Callable
    encode: Callable | None = None
    cpsat: Callable | None = None


def formulation_of(problem: str) -> Formulation:
    """The Formulation the problem kind `problem` declares (UnsupportedProblemError when it has none)."""
    ref = get_problem(problem).formulation
    if ref is None:
        raise UnsupportedProblemError(f"no MIP formulation for {problem!r}")
    return resolve(ref)


def arrays(instance, deadline=None):
    """The instance's model as arrays (its kind's formulation)."""
    return formulation_of(instance.problem).arrays(instance, deadline=deadline)


def decode(instance, x) -> dict:
    """A column vector of the instance's model, in problem terms."""
    return formulation_of(instance.problem).decode(instance, x)


def encode(instance, solution: dict) -> Any:
    """A solution in problem terms as a column vector of the instance's model, or None where the model has columns
    a solution does not fix."""
    f = formulation_of(instance.problem).encode
    return None if f is None else f(instance, solution)


@builds_from("arrays", "decode", "encode")
def mip(instance):
    """The instance's model in Pyomo, remembering the instance and its array twin (optalloc.solve_model)."""
    return formulation_of(instance.problem).mip(instance)


def cpsat(instance):
    """(CP-SAT model, its variables, objective scale) of the instance's kind."""
    f = formulation_of(instance.problem).cpsat
    if f is None:
        raise UnsupportedProblemError(f"no CP-SAT model for {instance.problem!r}")
    return f(instance)
