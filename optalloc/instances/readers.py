"""Readers (and writers, so files round-trip) for the public formats the families declare
(Family.formats): `read(fmt, path)` gives a list of optalloc Instances, `write(fmt, instances, path)` writes
them back."""
from __future__ import annotations
from optalloc.errors import FormatError


def format_names() -> list[str]:
    """The names of every declared file format, sorted."""
    from optalloc.family import formats

    return sorted(formats())


def format_help() -> dict[str, str]:
    """Each declared file format's one-line help, by name."""
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
    from optalloc.family import formats

    known = {n: f for n, f in formats().items() if f.write or not writing}
    if fmt not in known:
        raise FormatError(flag, f"must be one of {', '.join(sorted(known))}", fmt)
    return known[fmt]


def reader_options() -> dict[str, list]:
    """Every reader option some format declares: flag name -> [(format name, Parameter), ...]. One name means one
    thing: two formats declaring it with another type or other choices is a FamilyError."""
    from optalloc.family import FamilyError, formats

    out: dict[str, list] = {}
    for f in sorted(formats().values(), key=lambda f: f.name):
        for p in f.options:
            seen = out.setdefault(p.name, [])
            if seen and (seen[0][1].type, seen[0][1].choices, seen[0][1].flag) != (p.type, p.choices, p.flag):
                raise FamilyError(f"reader option --{p.name}: {seen[0][0]} and {f.name} declare it differently")
            seen.append((f.name, p))
    return out


def check_reader_options(fmt: str | None, options: dict, source: str | None = None) -> dict:
    """`options` (flag name -> value, None when not given) as the keyword arguments of `fmt`'s reader; a
    FormatError names the first option the format does not take."""
    given = {k: v for k, v in options.items() if v is not None and v is not False}
    if not given:
        return {}
    if fmt is None:
        name = next(iter(given))
        raise FormatError(f"--{name}", "is a reader option; this file is read as optalloc JSON (pass --from READER)",
                          source=source)
    declared = {p.name: p for p in _format(fmt, "--from").options}
    for name in given:
        if name not in declared:
            takes = ", ".join(f"--{p}" for p in declared) or "no options"
            raise FormatError(f"--{name}", f"the {fmt} reader does not take it (it takes {takes})", source=source)
    return {(declared[n].keyword or n.replace("-", "_")): v for n, v in given.items()}


def read(fmt: str, path, **options) -> list:
    """Read `path` in the public format `fmt`; `options` go to the reader as keyword arguments (the sense of
    a GAP file, the optimum of a Jooken file: the format's declared options)."""
    from optalloc.family import resolve

    return resolve(_format(fmt, "--from").read)(path, **options)


def write(fmt: str, instances, path, *, overwrite: bool = False):
    """Write `instances` to `path` in the public format `fmt` (one that has a writer); an existing file is an error
    unless `overwrite`."""
    from optalloc.family import resolve

    f = _format(fmt, "--to", writing=True)
    wrong = [i for i in instances if i.problem not in f.problems]
    if wrong:
        raise FormatError("--to", f"{fmt} holds {' or '.join(f.problems)} instances; {wrong[0].name} is a "
                                  f"{wrong[0].problem} instance", fmt)
    return resolve(f.write)(instances, path, overwrite=overwrite)
