"""Readers (and writers, so files round-trip) for the public formats the families declare
(Family.formats): `read(fmt, path)` gives a list of optalloc Instances, `write(fmt, instances, path)` writes
them back."""
from __future__ import annotations


def format_names() -> list[str]:
    from optalloc.family import formats

    return sorted(formats())


def format_help() -> dict[str, str]:
    from optalloc.family import formats

    return {name: f.help for name, f in sorted(formats().items())}


def format_by_name(path) -> str | None:
    """The one format whose declared file-name patterns (Format.patterns) match `path`'s name, or None."""
    import fnmatch
    import os

    from optalloc.family import formats

    name = os.path.basename(str(path))
    claimed = [f.name for f in formats().values() if any(fnmatch.fnmatchcase(name, p) for p in f.patterns)]
    return claimed[0] if len(claimed) == 1 else None


def check_format(fmt: str, flag: str = "--from") -> str:
    """`fmt` when some family declares a reader of that name; else a FormatError naming `flag`."""
    return _format(fmt, flag).name


def _format(fmt: str, flag: str, writing: bool = False):
    from optalloc.errors import FormatError
    from optalloc.family import formats

    known = {n: f for n, f in formats().items() if f.write or not writing}
    if fmt not in known:
        raise FormatError(flag, f"must be one of {', '.join(sorted(known))}", fmt)
    return known[fmt]


def read(fmt: str, path, **options) -> list:
    """Read `path` in the public format `fmt`; `options` go to the reader (e.g. the optimum of a Jooken file)."""
    from optalloc.family import resolve

    return resolve(_format(fmt, "--from").read)(path, **options)


def write(fmt: str, instances, path, *, overwrite: bool = False):
    from optalloc.errors import FormatError
    from optalloc.family import resolve

    f = _format(fmt, "--to", writing=True)
    wrong = [i for i in instances if i.problem not in f.problems]
    if wrong:
        raise FormatError("--to", f"{fmt} holds {' or '.join(f.problems)} instances; {wrong[0].name} is a "
                                  f"{wrong[0].problem} instance", fmt)
    return resolve(f.write)(instances, path, overwrite=overwrite)
