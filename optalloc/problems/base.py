"""The Problem protocol and the registry of problem kinds."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import InstanceError


@dataclass
class Evaluation:
    """Objective and feasibility of a solution, recomputed from the instance data."""

    objective: float
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations


class Problem:
    """One problem kind. Subclasses set `name`, `family`, `sense` and implement the four methods."""

    name: ClassVar[str]
    family: ClassVar[str]
    sense: ClassVar[str]  # "max" or "min"
    description: ClassVar[str] = ""

    def parse(self, data: Any, where: str = "data") -> Any:
        """Validate a JSON-like mapping and return the typed data; raise InstanceError naming the field."""
        raise NotImplementedError

    def dump(self, typed: Any) -> dict:
        """Typed data back to the JSON-like mapping (inverse of parse)."""
        raise NotImplementedError

    def evaluate(self, typed: Any, solution: dict) -> Evaluation:
        """Recompute objective and constraint violations of a solution in problem terms."""
        raise NotImplementedError

    def size(self, typed: Any) -> dict:
        """A few numbers that describe the instance size, for tables."""
        raise NotImplementedError

    def sense_of(self, typed: Any) -> str:
        """The optimisation sense of one instance (kinds whose data says min or max override this)."""
        return self.sense


_PROBLEMS: dict[str, Problem] = {}


def register_problem(cls: type[Problem]) -> type[Problem]:
    _PROBLEMS[cls.name] = cls()
    return cls


def get_problem(name: str, where: str = "problem") -> Problem:
    if not isinstance(name, str) or name not in _PROBLEMS:
        raise InstanceError(where, f"must be one of {', '.join(sorted(_PROBLEMS))}", name)
    return _PROBLEMS[name]


def problem_names() -> list[str]:
    return sorted(_PROBLEMS)
