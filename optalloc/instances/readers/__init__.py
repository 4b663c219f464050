"""Readers (and writers, so files round-trip) for the public formats each family reads.

`READERS[name]` reads a file into a list of optalloc Instances; `WRITERS[name]` writes them back."""
from __future__ import annotations

from typing import Callable

from . import knapsack as _knapsack
from . import matching as _matching
from . import scheduling as _scheduling

READERS: dict[str, Callable] = {**_knapsack.READERS, **_matching.READERS, **_scheduling.READERS}
WRITERS: dict[str, Callable] = {**_knapsack.WRITERS, **_matching.WRITERS, **_scheduling.WRITERS}
FORMAT_HELP: dict[str, str] = {**_knapsack.FORMAT_HELP, **_matching.FORMAT_HELP, **_scheduling.FORMAT_HELP}


def read(fmt: str, path) -> list:
    from ...errors import FormatError

    if fmt not in READERS:
        raise FormatError("--from", f"must be one of {', '.join(sorted(READERS))}", fmt)
    return READERS[fmt](path)


def write(fmt: str, instances, path, *, overwrite: bool = False):
    from ...errors import FormatError

    if fmt not in WRITERS:
        raise FormatError("--to", f"must be one of {', '.join(sorted(WRITERS))}", fmt)
    kinds = WRITES.get(fmt)
    wrong = [i for i in instances if kinds and i.problem not in kinds]
    if wrong:
        raise FormatError("--to", f"{fmt} holds {' or '.join(kinds)} instances; {wrong[0].name} is a "
                                  f"{wrong[0].problem} instance", fmt)
    return WRITERS[fmt](instances, path, overwrite=overwrite)


# the problem kinds each writer can express
WRITES = {"pisinger": ("knapsack",), "pisinger-large": ("knapsack",), "jooken": ("knapsack",), "mknap": ("mkp",),
          "orlib-assign": ("assignment",), "orlib-gap": ("gap",), "yagiura-gap": ("gap",),
          "orlib-wt": ("tardiness",), "smtt": ("tardiness",)}
