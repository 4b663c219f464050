"""Typed exceptions. Outcomes (infeasible, time limit) are statuses on a Result, never exceptions;
exceptions are for misuse: bad input, unknown methods, and bugs caught by verification."""
from __future__ import annotations


class OptallocError(Exception):
    """Base class. `exit_code` is what the CLI exits with when this reaches it."""

    exit_code = 2


class InstanceError(OptallocError, ValueError):
    """An instance (file or in-memory data) breaks a rule. Names the field path and the rule."""

    def __init__(self, path: str, rule: str, got=None, *, source: str | None = None):
        self.path, self.rule, self.got, self.source = path, rule, got, source
        msg = f"{path}: {rule}"
        if got is not None:
            msg += f", got {_short(got)}"
        if source:
            msg = f"{source}: {msg}"
        super().__init__(msg)


class FormatError(InstanceError):
    """A file cannot be parsed at all (malformed JSON, truncated public-format file)."""


class UnknownMethodError(OptallocError, KeyError):
    """A method name nobody registered; the message lists the close names."""

    def __init__(self, name: str, known: list[str]):
        import difflib

        self.name = name
        # the names a typo most likely meant (edit distance on the method's part within its family, then on the
        # whole name for a misspelt family), else the family's methods
        family, _, part = name.partition(".")
        mine = {k.partition(".")[2]: k for k in known if k.partition(".")[0] == family}
        close = [mine[c] for c in difflib.get_close_matches(part, list(mine), n=3, cutoff=0.6)] or \
            difflib.get_close_matches(name, known, n=3, cutoff=0.85)
        if close:
            hint = f"did you mean {' or '.join(close)}?"
        else:
            family = [k for k in known if k.split(".")[0] == name.split(".")[0]]
            hint = f"{name.split('.')[0]} has {', '.join(family)}" if family else "none is close to it"
        super().__init__(f"unknown method {name!r}; {hint} (run 'optalloc methods' for all {len(known)})")

    def __str__(self):  # KeyError would quote the message
        return self.args[0]


class UnsupportedProblemError(OptallocError):
    """A method was asked to solve a problem kind it does not accept, or data outside its domain."""


class OptionError(OptallocError, ValueError):
    """An option value breaks its rule; raised when the option is set, not at solve time."""


class MethodUnavailableError(OptallocError):
    """The backend a method needs is not installed."""


class VerificationError(OptallocError, AssertionError):
    """A method returned a solution whose recomputed objective or feasibility disagrees with what it
    claimed. This is a bug in the method, never a property of the instance."""

    exit_code = 3


class NoSolutionError(OptallocError):
    """Asked for a solution of a result that has none."""

    exit_code = 1


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
