"""The Problem protocol and the registry of problem kinds."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from optalloc.errors import InstanceError
from optalloc.gap import VALUE_ATOL
from optalloc.once import Once


@dataclass
class Evaluation:
    """Objective and feasibility of a solution, recomputed from the instance data."""

    objective: float
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations


class Problem:
    """One problem kind. Subclasses set `name`, `sense`, `fields` and implement parse_fields, dump, evaluate
    and size. `family` is set when the family's declaration loads the kind (optalloc.family)."""

    name: ClassVar[str]
    family: str = ""
    sense: ClassVar[str]  # "max" or "min"
    description: ClassVar[str] = ""
    fields: ClassVar[set[str]] = set()  # the data fields the kind accepts; any other is an error
    # What a user reads (the instance-format page, the README's table): each field's shape, units and meaning,
    # a minimal valid `data` example (tests validate it), and the shape of a solution
    field_docs: ClassVar[dict[str, str]] = {}
    example: ClassVar[dict | None] = None
    solution_doc: ClassVar[str] = ""
    # "module:attribute" of the kind's optalloc.models.Formulation (its model as arrays, in Pyomo, and the map
    # between the model's columns and a solution), or None for a kind without a linear model
    formulation: ClassVar[str | None] = None
    # "module:function" making a small random instance of this kind for differential testing,
    # f(rng, scale, name) -> Instance small enough for brute force over `candidates` (optalloc.conformance.differential)
    fuzz: ClassVar[str | None] = None

    def candidates(self, typed: Any):
        """Every candidate solution of the typed data, for brute force on tiny instances (evaluate decides which
        are feasible); kinds that declare `fuzz` implement it."""
        raise NotImplementedError(f"{self.name}: no brute-force enumeration")

    def parse(self, data: Any, where: str = "data") -> Any:
        """Validate a JSON-like mapping and return the typed data; raise InstanceError naming the field."""
        from optalloc.problems import validate as v

        d = v.mapping(data, where)
        v.no_extra(d, self.fields, where)
        return self.parse_fields(d, where)

    def parse_fields(self, d: dict, where: str) -> Any:
        """The typed data of a mapping holding only `fields` (`where` names it in errors)."""
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

    def witness(self, typed: Any) -> dict | None:
        """A feasible solution found in about linear time (a greedy fill, a dispatching order), or None when the
        kind has none that cheap. Certification holds every reported bound against it: a bound below a
        feasible point's value (for max) is false even when the method returned no solution to compare with."""
        return None

    def value_atol(self, typed: Any) -> float:
        """The absolute float noise of this instance's objective values (gap.values_equal): below it, two values
        are equal. The default, gap.VALUE_ATOL, is for objectives whose terms may cancel; a kind whose objective
        is a sum of nonnegative terms answers 0, so that a gap on a tiny objective is still a gap."""
        return VALUE_ATOL

    def sense_of(self, typed: Any) -> str:
        """The optimisation sense of one instance (kinds whose data says min or max override this)."""
        return self.sense


_PROBLEMS: dict[str, Problem] = {}
_LOADED = Once()


def register_problem(name, sense: str | None = None, *, fields=()):
    """Register a problem kind: `@register_problem("knapsack", "max", fields=("values", ...))` on a Problem
    subclass whose docstring describes it (or bare `@register_problem` on a class that sets name, sense,
    fields and description itself)."""
    def register(cls: type[Problem]) -> type[Problem]:
        if sense is not None:
            cls.name, cls.sense, cls.fields = name, sense, set(fields)
            cls.description = " ".join((cls.__doc__ or "").split())
        _PROBLEMS[cls.name] = cls()
        return cls

    if isinstance(name, type):  # bare decorator: `name` is the class
        return register(name)
    return register


def _load() -> None:
    """Import every family's problem kinds (once): a kind is looked up by name, whichever family holds it."""
    _LOADED.run(_import_kinds)


def _import_kinds() -> None:
    import importlib

    from optalloc.family import families

    for fam in families().values():
        importlib.import_module(fam.problems)
        for problem in list(_PROBLEMS.values()):  # the kinds its module registers (now, or before it was loaded)
            if type(problem).__module__ == fam.problems:
                problem.family = fam.name


def get_problem(name: str, where: str = "problem") -> Problem:
    """The registered problem kind `name`; an unknown one is an InstanceError naming `where`."""
    _load()
    if not isinstance(name, str) or name not in _PROBLEMS:
        raise InstanceError(where, f"must be one of {', '.join(sorted(_PROBLEMS))}", name)
    return _PROBLEMS[name]


def problem_names() -> list[str]:
    """Every registered problem kind's name, sorted."""
    _load()
    return sorted(_PROBLEMS)


def family_of(problem: str):
    """The Family (optalloc.family) that declares the problem kind `problem`."""
    from optalloc.family import families

    return families()[get_problem(problem).family]
