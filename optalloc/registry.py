"""The method registry. A method is named `family.method`, declares exact or heuristic, the problem kinds
it accepts and the modules it needs; availability is a cheap import-spec check, not an import."""
from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass, field
from typing import Callable

from .errors import MethodUnavailableError, UnknownMethodError, UnsupportedProblemError


@dataclass(frozen=True)
class Method:
    name: str
    problems: tuple[str, ...]
    kind: str  # "exact" | "heuristic"
    backend: str  # what does the work, e.g. "optalloc", "highs", "ortools"
    run: Callable  # run(instance, options, deadline) -> Outcome
    description: str
    requires: tuple[str, ...] = ()  # importable modules
    distribution: str | None = None  # PyPI name whose version is reported as the backend version
    default_time_limit: float | None = None
    extra: dict = field(default_factory=dict)
    # The --option names a method of optalloc's own takes (name -> (type, one line of help)); None for methods
    # whose options are the backend's own (HiGHS, CP-SAT), which the adapter checks as it sets them.
    parameters: dict | None = None

    def check_parameters(self, values: dict) -> None:
        """Unknown or ill-typed --option values are bad input (exit 2), found before the method runs."""
        from .errors import OptionError

        if self.parameters is None:
            return
        for name, value in values.items():
            if name not in self.parameters:
                takes = ", ".join(sorted(self.parameters)) or "none"
                raise OptionError(f"--option {name}: {self.name} has no such option (it takes: {takes})")
            kind = self.parameters[name][0]
            accepted = (int, float) if kind is float else (kind,)  # a float parameter takes an integer too
            if not isinstance(value, accepted) or (isinstance(value, bool) and kind is not bool):
                what = {int: "an integer", float: "a number"}.get(kind, kind.__name__)
                raise OptionError(f"--option {name}={value!r}: {self.name} needs {what}")

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    def available(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.requires)

    def missing(self) -> list[str]:
        return [m for m in self.requires if importlib.util.find_spec(m) is None]

    def backend_version(self) -> str:
        dist = self.distribution or "optalloc"
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            from . import __version__

            return __version__ if dist == "optalloc" else "unknown"

    def accepts(self, problem: str) -> bool:
        return problem in self.problems


_METHODS: dict[str, Method] = {}
_LOADED = False


def register(method: Method) -> Method:
    if method.kind not in ("exact", "heuristic"):
        raise ValueError(f"{method.name}: kind must be 'exact' or 'heuristic'")
    if "." not in method.name:
        raise ValueError(f"{method.name}: method names are family.method")
    if method.parameters is None and method.backend == "optalloc":
        object.__setattr__(method, "parameters", {})  # optalloc's own methods take only what they declare
    _METHODS[method.name] = method
    return method


def unregister(name: str) -> None:
    _METHODS.pop(name, None)


def _load() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        from . import methods  # noqa: F401  (importing registers every family's methods)


def all_methods() -> list[Method]:
    _load()
    return [_METHODS[k] for k in sorted(_METHODS)]


def get_method(name: str) -> Method:
    _load()
    if name not in _METHODS:
        raise UnknownMethodError(name, sorted(_METHODS))
    return _METHODS[name]


def methods_for(problem: str) -> list[Method]:
    return [m for m in all_methods() if m.accepts(problem)]


def default_method(problem: str) -> Method:
    """The first available exact method for a problem kind (dedicated algorithms first)."""
    candidates = [m for m in methods_for(problem) if m.kind == "exact" and m.available()]
    if not candidates:
        raise UnsupportedProblemError(f"no available exact method solves {problem!r}")
    candidates.sort(key=lambda m: (m.backend != "optalloc", m.name))
    return candidates[0]


def check_usable(method: Method, problem: str) -> None:
    if not method.accepts(problem):
        raise UnsupportedProblemError(
            f"method {method.name} does not solve {problem!r} (it solves {', '.join(method.problems)}); "
            f"run 'optalloc methods' for the methods of each problem")
    if not method.available():
        raise MethodUnavailableError(
            f"method {method.name} needs {', '.join(method.missing())}; install it with pip install {' '.join(method.missing())}")
