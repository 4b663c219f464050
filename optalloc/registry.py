"""The method registry. A method is named `family.method`, declares exact or heuristic, the problem kinds
it accepts and the modules it needs; availability is a cheap import-spec check, not an import."""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable

from optalloc.errors import MethodUnavailableError, OptionError, UnknownMethodError, UnsupportedProblemError
from optalloc.once import Once
from optalloc.parameters import Parameter  # noqa: F401  (methods declare theirs with it)


@dataclass(frozen=True)
class Method:
    """A method's declaration: name, problem kinds, kind (exact or heuristic), backend, run function, description,
    and its typed capabilities and declared parameters (see the fields)."""

    name: str
    problems: tuple[str, ...]
    kind: str  # "exact" | "heuristic"
    backend: str  # what does the work, e.g. "optalloc", "highs", "ortools"
    # run(instance, options, deadline) -> Outcome ("module:function": imported on first use); or a table with one
    # run function per problem kind it solves, so that no run function branches on the kind's name
    run: Callable | str | Mapping[str, Callable | str]
    description: str
    requires: tuple[str, ...] = ()  # importable modules
    distribution: str | None = None  # PyPI name whose version is reported as the backend version
    default_time_limit: float | None = None
    # capabilities, typed: what else the method offers or needs besides run()
    # (a "module:function" reference is imported on first use: declarations stay cheap to read)
    linear_model: Callable | str | None = None  # linear_model(instance) -> LinearModel: what `optalloc export` writes
    cp_model: Callable | str | None = None  # cp_model(instance) -> a CP-SAT model, exported as its text form
    excludes: tuple[str, ...] = ()  # conformance case tags it does not take (e.g. "levels": the level grid)
    may_return_infeasible: bool = False  # a heuristic whose answer may break a constraint (reported, not hidden)
    preferred: bool = False  # the one to use when none is named (else: optalloc's own exact methods first)
    # The --option names a method of optalloc's own takes; None for methods whose options are the backend's
    # own (HiGHS, CP-SAT), which the adapter checks (optalloc.solve.check_options).
    parameters: tuple[Parameter, ...] | None = None

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters or () if p.name == name), None)

    def check_parameters(self, values: dict) -> None:
        """Unknown or ill-typed --option values are bad input (exit 2), found before the method runs."""
        if self.parameters is None:
            return
        for name, value in values.items():
            p = self.parameter(name)
            if p is None:
                takes = ", ".join(sorted(q.name for q in self.parameters)) or "none"
                raise OptionError(f"--option {name}: {self.name} has no such option (it takes: {takes})")
            why = p.problem(value)
            if why:
                raise OptionError(f"--option {name}={value!r}: {self.name} needs {why}")

    def arguments(self, values: dict) -> dict:
        """The values a run gets: every declared parameter, as given in `values` or at its declared default (a
        default of None, "the method chooses", is left out); a method without declarations gets `values`."""
        if self.parameters is None:
            return dict(values)
        out = {p.name: p.default for p in self.parameters if p.default is not None}
        out.update(values)
        return out

    @property
    def family(self) -> str:
        """The family that declares the problem kinds the method solves (a method is named `prefix.method`, the
        prefix being that family's name or one of its problem kinds: `knapsack.dp`, `gap.mip`)."""
        from optalloc.problems import family_of

        return family_of(self.problems[0]).name

    def available(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.requires)

    def missing(self) -> list[str]:
        return [m for m in self.requires if importlib.util.find_spec(m) is None]

    def backend_version(self) -> str:
        dist = self.distribution or "optalloc"
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            from optalloc.version import __version__

            return __version__ if dist == "optalloc" else "unknown"

    def accepts(self, problem: str) -> bool:
        return problem in self.problems

    def run_for(self, problem: str) -> Callable:
        """The run function for instances of `problem` (the table's entry, or the one run function)."""
        return self.run[problem] if isinstance(self.run, Mapping) else self.run


_METHODS: dict[str, Method] = {}
_LOADED = Once()


def register(method: Method) -> Method:
    """Register `method` under its name (replacing one of that name); a name without its family prefix, or a kind
    other than exact or heuristic, is a ValueError."""
    if method.kind not in ("exact", "heuristic"):
        raise ValueError(f"{method.name}: kind must be 'exact' or 'heuristic'")
    if "." not in method.name:
        raise ValueError(f"{method.name}: method names are family.method")
    for name in ("run", "linear_model", "cp_model"):
        if isinstance(getattr(method, name), str):
            object.__setattr__(method, name, _lazy(getattr(method, name)))
    if isinstance(method.run, Mapping):
        if set(method.run) != set(method.problems):
            raise ValueError(f"{method.name}: its run table covers {sorted(method.run)}, its problems are "
                             f"{sorted(method.problems)}")
        object.__setattr__(method, "run", MappingProxyType(
            {p: _lazy(r) if isinstance(r, str) else r for p, r in method.run.items()}))
    if method.parameters is None and method.backend == "optalloc":
        object.__setattr__(method, "parameters", ())  # optalloc's own methods take only what they declare
    _METHODS[method.name] = method
    return method


def _lazy(ref: str) -> Callable:
    """A function named "module:function", imported on its first call."""
    def call(*args, **kwargs):
        from optalloc.family import resolve

        return resolve(ref)(*args, **kwargs)

    call.__qualname__ = call.__name__ = ref
    return call


def unregister(name: str) -> None:
    """Remove the method `name` (tests and plugins that replace one)."""
    _METHODS.pop(name, None)


def _load() -> None:
    _LOADED.run(_import_declarations)


def _import_declarations() -> None:
    from optalloc.family import families

    # importing a family's method declarations registers them (OPTALLOC_PLUGINS modules without a
    # family were imported, and registered theirs, when the families were found)
    for fam in families().values():
        importlib.import_module(fam.methods)


def all_methods() -> list[Method]:
    """Every registered method (of every family found), sorted by name."""
    _load()
    return [_METHODS[k] for k in sorted(_METHODS)]


def get_method(name: str) -> Method:
    """The method registered as `name` ("family.method"); an UnknownMethodError lists the close names."""
    _load()
    if name not in _METHODS:
        raise UnknownMethodError(name, sorted(_METHODS))
    return _METHODS[name]


def methods_for(problem: str) -> list[Method]:
    """The registered methods that solve the problem kind `problem`."""
    return [m for m in all_methods() if m.accepts(problem)]


def default_method(problem: str) -> Method:
    """The first available exact method for a problem kind (dedicated algorithms first)."""
    candidates = [m for m in methods_for(problem) if m.kind == "exact" and m.available()]
    if not candidates:
        raise UnsupportedProblemError(f"no available exact method solves {problem!r}")
    candidates.sort(key=lambda m: (not m.preferred, m.backend != "optalloc", m.name))
    return candidates[0]


def check_usable(method: Method, problem: str) -> None:
    """Raise UnsupportedProblemError unless `method` solves `problem`, and MethodUnavailableError (saying what to
    install) unless its backend is installed."""
    if not method.accepts(problem):
        raise UnsupportedProblemError(
            f"method {method.name} does not solve {problem!r} (it solves {', '.join(method.problems)}); "
            f"run 'optalloc methods' for the methods of each problem")
    if not method.available():
        raise MethodUnavailableError(
            f"method {method.name} needs {', '.join(method.missing())}; install it with pip install {' '.join(method.missing())}")
