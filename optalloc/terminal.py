"""What the command line and the families' own commands share (Family.commands): the exit codes, the argparse
types of numbers, regular expressions and method names (each error one line naming the flag, exit 2), and the
plain-text table."""
from __future__ import annotations

import argparse
import re

from optalloc.family import number

# 0 solved, 1 no solution, 2 bad input, 3 internal error, 130 Ctrl-C
EXIT_OK, EXIT_NO_SOLUTION, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def argument_type(check):
    """A parameter type (ValueError on a bad value) as an argparse type, whose errors name the flag."""
    def parse(text: str):
        try:
            return check(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return parse


def bounded(kind, lo=None, hi=None, lo_open=False, what=""):
    """An argparse type: a number of `kind` within [lo, hi] (lo excluded when lo_open)."""
    return argument_type(number(kind, lo, hi, lo_open, what))


SECONDS = bounded(float, 0, 1e9, what="a number of seconds from 0 to 1e9")
NON_NEGATIVE = bounded(float, 0, 1e9, what="a non-negative number")
POSITIVE = bounded(int, 1, 10**9, what="a whole number from 1 to 10^9")
SHARE = bounded(float, 0, 1, lo_open=True, what="a share in (0, 1]")


def method_name(text: str) -> str:
    """An argparse type: a method's name (checked against the registry when it is used)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a method (family.method); run 'optalloc methods' for the list")
    return text.strip()


def regex(text: str) -> str:
    """An argparse type: a regular expression that compiles."""
    try:
        re.compile(text)
    except re.error as e:
        raise argparse.ArgumentTypeError(f"is not a valid regular expression ({e})") from None
    return text


def render(head, rows) -> str:
    """A plain-text table: the first three columns left-aligned, the others (numbers) right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.rjust(w) if i >= 3 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in rows])


def number_text(x, digits: int = 6) -> str:
    """`x` with `digits` significant digits, or "-" for None."""
    return "-" if x is None else f"{float(x):.{digits}g}"


def percent_text(g) -> str:
    """A gap as a percentage with four decimals, or "-" for None."""
    return "-" if g is None else f"{100 * g:.4f}%"
