"""One declaration for every parameter a user can set: a method's --option, a generator's or a reader's flag.

A Parameter states its name, type, default, help and the values it accepts (a range, or choices); the command
line builds its flags from it, `optalloc methods --describe` and `--help` show it, values are checked against
it before anything runs, and the default a run gets is the declared one (optalloc.solve hands every declared
parameter of a method to its run, so the algorithm's own keyword defaults are never the ones used)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Parameter:
    """A parameter: `name` (the flag is --name), `type` (int, float, str or bool, or a function that parses a
    command-line string and raises ValueError saying what it expected), `default` (None: the method or reader
    chooses, as the help says), one line of `help`, the accepted range [`lo`, `hi`] or `choices`, `flag` (a
    switch that takes no value) and `keyword` (the function's argument, when it is not `name`)."""

    name: str
    type: Callable = str
    default: Any = None
    help: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    flag: bool = False
    keyword: str | None = None

    def accepted(self) -> str:
        """The accepted values in words ("from 0 to 1", "at least 1", "one of a, b"), or ""."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.lo is not None and self.hi is not None:
            return f"from {self.lo:g} to {self.hi:g}"
        if self.lo is not None:
            return f"at least {self.lo:g}"
        if self.hi is not None:
            return f"at most {self.hi:g}"
        return ""

    def problem(self, value) -> str | None:
        """Why the typed `value` is not accepted, or None."""
        if value is None:
            return None
        if self.type in (int, float, bool) and not self._typed(value):
            return {int: "an integer", float: "a number", bool: "true or false"}[self.type]
        if self.choices and value not in self.choices:
            return self.accepted()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and math.isnan(value):
                return "a number, not NaN"
            if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
                return self.accepted()
        return None

    def _typed(self, value) -> bool:
        if self.type is bool:
            return isinstance(value, bool)
        if isinstance(value, bool):
            return False
        return isinstance(value, (int, float)) if self.type is float else isinstance(value, int)

    def parse(self, text: str):
        """A command-line string as the parameter's value; ValueError says what was expected."""
        if self.type in (int, float):
            try:
                value = self.type(text)
            except (TypeError, ValueError):
                raise ValueError(f"must be {'an integer' if self.type is int else 'a number'}, got {text!r}") from None
        else:
            value = self.type(text)  # str, or a parsing function that raises ValueError itself
        why = self.problem(value)
        if why:
            raise ValueError(f"must be {why}, got {text!r}")
        return value
