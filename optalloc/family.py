"""Families: one declaration per family of problems, found the same way by every command.

A family is a package whose `FAMILY` is a `Family`: its problem kinds (each declaring its formulation), file
formats, generators, methods, conformance cases and numba kernels, each named by where it lives ("module" or
"module:attribute"), so that reading the declarations imports nothing heavy. They are found in three places,
in this order:

  built-ins        every package under optalloc/families/
  entry points     group "optalloc.families": each entry point loads a Family (or a module with FAMILY)
  OPTALLOC_PLUGINS comma-separated module names, imported in every process that solves (the command line
                   and every bench worker). A module with FAMILY adds a family; any other module is imported
                   for what it registers (extra methods). Trusted code only: it runs on import.

Nothing else in optalloc lists the families."""
from __future__ import annotations

import importlib
import importlib.metadata
import os
import pkgutil
from dataclasses import dataclass, field, replace
from typing import Any

from optalloc.errors import OptallocError
from optalloc.once import Once
from optalloc.parameters import Parameter

ENTRY_POINT_GROUP = "optalloc.families"
PLUGINS_VARIABLE = "OPTALLOC_PLUGINS"


class FamilyError(OptallocError):
    """A family declaration that cannot be used (a clash of names, a reference that does not resolve)."""


@dataclass(frozen=True)
class Generator:
    """A seeded generator: `make(seed=..., **params)` returns an Instance or a list of them. With `seeded`,
    `--seed K --count C` makes the instances of seeds K..K+C-1."""

    name: str
    make: str  # "module:function"
    help: str
    params: tuple[Parameter, ...] = ()
    seeded: bool = True


@dataclass(frozen=True)
class Format:
    """A public file format: `read(path)` gives Instances; `write(instances, path, overwrite=...)` writes the
    problem kinds in `problems` back."""

    name: str
    read: str  # "module:function"
    help: str
    problems: tuple[str, ...]
    write: str | None = None
    # file names that are certainly this format (fnmatch patterns such as "*.mps" or "wt[0-9]*.txt"): such a file
    # is read with it wherever a file is loaded, without --from
    patterns: tuple[str, ...] = ()
    # the reader's keyword options, each a command-line flag of solve, compare, validate, convert and bench
    # (--sense for a GAP file whose name does not say min or max)
    options: tuple[Parameter, ...] = ()


@dataclass(frozen=True)
class Command:
    """A command of the family's own on the command line (`optalloc <name>`): `arguments(parser)` adds its flags,
    `run(args) -> exit code` runs it (both "module:function"; the module is imported whenever the command line
    builds its parser, so it should import little at its top)."""

    name: str
    help: str
    arguments: str
    run: str


@dataclass(frozen=True)
class Family:
    """A family's declaration. References are "module" or "module:attribute"; one that starts with "." is
    relative to `package` (the family's own package), and the usual modules need no mention: problems,
    methods and conformance default to the package's problems.py, methods.py and conformance.py (cases)."""

    name: str
    description: str
    package: str  # the family's package (its __name__)
    problems: str = ".problems"  # module whose import registers the family's problem kinds
    methods: str = ".methods"  # module whose import registers the family's methods
    formats: tuple[Format, ...] = ()
    generators: tuple[Generator, ...] = ()
    conformance: str | None = ".conformance:cases"  # function returning the known-answer cases
    kernels: tuple[str, ...] = ()  # modules holding numba kernels, loaded from cache before a limit starts
    warmup: str | None = None  # function compiling the kernels the conformance cases do not reach
    commands: tuple[Command, ...] = ()  # commands of its own on the command line
    origin: str = field(default="built-in", compare=False)

    def __post_init__(self):
        def absolute(ref):
            return f"{self.package}{ref}" if isinstance(ref, str) and ref.startswith(".") else ref

        for name in ("problems", "methods", "conformance", "warmup"):
            object.__setattr__(self, name, absolute(getattr(self, name)))
        object.__setattr__(self, "kernels", tuple(absolute(k) for k in self.kernels))
        object.__setattr__(self, "formats", tuple(replace(f, read=absolute(f.read), write=absolute(f.write))
                                                  for f in self.formats))
        object.__setattr__(self, "generators", tuple(replace(g, make=absolute(g.make)) for g in self.generators))
        object.__setattr__(self, "commands", tuple(replace(c, arguments=absolute(c.arguments), run=absolute(c.run))
                                                   for c in self.commands))


def number(kind, lo=None, hi=None, lo_open=False, what=""):
    """A parameter type: a number of `kind` within [lo, hi] (lo excluded when lo_open); a bad value raises
    ValueError saying what was expected (the command line names the flag and exits 2)."""
    def check(text):
        try:
            x = kind(text)
        except (TypeError, ValueError):
            raise ValueError(f"must be {what or ('an integer' if kind is int else 'a number')}, got {text!r}") from None
        if x != x or (lo is not None and (x < lo or (lo_open and x == lo))) or (hi is not None and x > hi):
            raise ValueError(f"must be {what}, got {text!r}")
        return x

    return check


POSITIVE = number(int, 1, 10**9, what="a whole number from 1 to 10^9")
SHARE = number(float, 0, 1, lo_open=True, what="a share in (0, 1]")


def resolve(ref: str) -> Any:
    """'module:attribute' (or 'module') to the object it names."""
    module, _, attr = ref.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


_FAMILIES: dict[str, Family] = {}
_FOUND = Once()


def families() -> dict[str, Family]:
    """Every declared family by name (built-ins, entry points, OPTALLOC_PLUGINS); found once per process."""
    _FOUND.run(_find)
    return _FAMILIES


def _find() -> None:
    found: dict[str, Family] = {}
    for fam in _discover():
        if fam.name in found:
            raise FamilyError(f"two families are named {fam.name!r} ({found[fam.name].origin} and {fam.origin})")
        found[fam.name] = fam
    _FAMILIES.clear()
    _FAMILIES.update(found)  # filled whole, then marked found: another thread never sees a part


def _discover():
    builtin = importlib.import_module("optalloc.families")  # the layer above: found, not imported by name

    for info in sorted(pkgutil.iter_modules(builtin.__path__), key=lambda i: i.name):
        if info.ispkg:
            yield _declared(importlib.import_module(f"{builtin.__name__}.{info.name}"), "built-in")
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        yield _declared(ep.load(), f"entry point {ep.name}")
    for name in plugin_modules():
        try:
            module = importlib.import_module(name)
        except ImportError as e:
            raise FamilyError(f"{PLUGINS_VARIABLE}: cannot import {name!r} ({type(e).__name__}: {e}); name "
                              f"modules on the Python path, comma-separated") from None
        if hasattr(module, "FAMILY"):
            yield _declared(module, f"{PLUGINS_VARIABLE} {name}")


def plugin_modules() -> list[str]:
    """The module names in $OPTALLOC_PLUGINS, in order."""
    return [x.strip() for x in os.environ.get(PLUGINS_VARIABLE, "").split(",") if x.strip()]


def _declared(obj, origin: str) -> Family:
    fam = getattr(obj, "FAMILY", obj)
    if not isinstance(fam, Family):
        raise FamilyError(f"{origin}: {getattr(obj, '__name__', obj)!r} declares no Family (FAMILY)")
    return replace(fam, origin=origin)


def reset() -> None:
    """Forget what was found (tests that change OPTALLOC_PLUGINS)."""
    _FOUND.reset()


def formats() -> dict[str, Format]:
    """Every file format the families declare, by name."""
    return {f.name: f for fam in families().values() for f in fam.formats}


def generators() -> dict[str, Generator]:
    """Every generator the families declare, by name."""
    return {g.name: g for fam in families().values() for g in fam.generators}
