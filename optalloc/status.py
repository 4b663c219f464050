"""Two status axes, kept apart as in MathOptInterface: why a method stopped, and what it returned."""
from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """Why the method stopped."""

    OPTIMAL = "optimal"  # proven optimal within the gap tolerance (default 0)
    GAP_LIMIT = "gap_limit"  # stopped because a nonzero user gap tolerance was reached
    COMPLETED = "completed"  # a heuristic ran to its end; optimality is not proven
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    TIME_LIMIT = "time_limit"
    ITERATION_LIMIT = "iteration_limit"
    NODE_LIMIT = "node_limit"
    SOLUTION_LIMIT = "solution_limit"
    MEMORY_LIMIT = "memory_limit"
    INTERRUPTED = "interrupted"
    NUMERICAL_ERROR = "numerical_error"
    INVALID_MODEL = "invalid_model"
    ERROR = "error"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


class SolutionStatus(str, Enum):
    """What the method returned."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE_POINT = "infeasible_point"  # a point that breaks a constraint, from a method that may return one
    NONE = "none"

    def __str__(self) -> str:
        return self.value


LIMIT_STATUSES = frozenset(
    {Status.TIME_LIMIT, Status.ITERATION_LIMIT, Status.NODE_LIMIT, Status.SOLUTION_LIMIT, Status.MEMORY_LIMIT,
     Status.INTERRUPTED}
)


def status_of_stop(reason: str) -> Status:
    """A dedicated algorithm's stop reason as a Status: the reasons are Status values by name ("optimal",
    "time_limit", "memory_limit", "gap_limit"); anything else is unknown, never a guess."""
    try:
        return Status(reason)
    except ValueError:
        return Status.UNKNOWN
