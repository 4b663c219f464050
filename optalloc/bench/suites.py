"""Benchmark suites: named sets of instance files with their reader, reference kind and provenance.

Suites are declared in a manifest (`instances/MANIFEST.json`, format "optalloc-manifest"). A bundled suite
lists `files` relative to the manifest's folder; a shared suite gives a `path` relative to the repository
(usually into ../shared/data), optionally with a `glob` when the path is a folder. Suites whose files are
absent (no ../shared beside the repository) are listed as unavailable rather than failing."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from optalloc.errors import OptallocError


class SuiteError(OptallocError):
    """A suite that cannot be found or read (unknown name, missing files, a bad manifest): exit 2."""

    pass


@dataclass(frozen=True)
class Suite:
    """A named set of instance files with their reader, reader options, reference kind and provenance."""

    name: str
    files: tuple[Path, ...]
    reader: str  # "optalloc" for the native JSON / JSONL format, else a public format a family declares
    reference_kind: str
    provenance: str
    problems: tuple[str, ...] = ()
    declared: int | None = None  # instance count the manifest states
    origin: str = "bundled"  # bundled | shared
    options: dict = field(default_factory=dict)  # reader keyword arguments, e.g. {"sense": "max"}
    unsupported: str = ""  # why the runner cannot read it (a reader only a script knows), else ""

    @property
    def available(self) -> bool:
        return not self.unsupported and bool(self.files) and all(f.is_file() for f in self.files)

    def load(self) -> list:
        """Every instance of the suite, in file order."""
        return [inst for f in self.files for inst in load_file(f, self.reader, self.options)]


def load_file(path: Path, reader: str, options: dict | None = None) -> list:
    """The instances of the file `path`, read as optalloc JSON (`reader` "optalloc") or with the public format
    `reader` and its `options`."""
    if reader == "optalloc":
        from optalloc.instances import load

        return load(path)
    from optalloc.instances.readers import read

    return read(reader, path, **(options or {}))


def find_manifest(explicit: str | os.PathLike | None = None) -> Path:
    """--manifest, then $OPTALLOC_MANIFEST, then ./instances/MANIFEST.json, then the one beside the package
    (an editable install or a source checkout), then the one shipped inside it (optalloc.bundled, a wheel)."""
    package = Path(__file__).resolve().parents[1]
    candidates = [explicit, os.environ.get("OPTALLOC_MANIFEST"), Path.cwd() / "instances" / "MANIFEST.json",
                  package.parent / "instances" / "MANIFEST.json", package / "bundled" / "MANIFEST.json"]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c).resolve()
    if explicit:
        raise SuiteError(f"{explicit}: manifest not found")
    raise SuiteError("no suite manifest found: run from the repository, or pass --manifest FILE "
                     "(or set OPTALLOC_MANIFEST)")


def load_manifest(path: str | os.PathLike | None = None) -> dict[str, Suite]:
    """Every suite of the manifest at `path` (default: find_manifest's search), by name."""
    mpath = find_manifest(path)
    try:
        doc = json.loads(mpath.read_text())
    except json.JSONDecodeError as e:
        raise SuiteError(f"{mpath}: not valid JSON ({e.msg} at line {e.lineno})") from None
    if doc.get("format") != "optalloc-manifest":
        raise SuiteError(f"{mpath}: format: must be 'optalloc-manifest', got {doc.get('format')!r}")
    here, repo = mpath.parent, mpath.parent.parent
    suites: dict[str, Suite] = {}
    for origin, key in (("bundled", "suites"), ("shared", "shared_suites")):
        for name, raw in doc.get(key, {}).items():
            suites[name] = _suite(name, raw, here, repo, origin, mpath)
    return suites


def _suite(name: str, raw: dict, here: Path, repo: Path, origin: str, mpath: Path) -> Suite:
    where = f"{mpath}: {name}"
    reader = raw.get("reader")
    if not reader:
        raise SuiteError(f"{where}: reader: is required")
    unsupported = ""
    if reader != "optalloc":
        from optalloc.instances.readers import format_names

        if reader not in format_names():
            # listed (a benchmark script reads it), but not runnable here
            unsupported = f"reader {reader!r} is a benchmark script's own"
    if "files" in raw:
        files = tuple(here / f for f in raw["files"])
    elif "path" in raw:
        base = (repo / raw["path"]).resolve()
        if "glob" in raw:
            files = tuple(sorted(base.glob(raw["glob"]), key=_natural)) if base.is_dir() else ()
        else:
            files = (base,)
    else:
        raise SuiteError(f"{where}: needs 'files' or 'path'")
    return Suite(name, files, reader, raw.get("reference_kind", "optimal"), raw.get("provenance", ""),
                 tuple(raw.get("problems", ())), raw.get("instances"), origin, dict(raw.get("reader_options", {})),
                 unsupported)


def _natural(p: Path):
    """gap2 before gap10."""
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


def file_suite(path: str, reader: str | None = None, reader_options: dict | None = None) -> Suite:
    """An instance file as a suite of its own (named after the file): optalloc JSON, the format `reader`, or
    the format its name makes certain; `reader_options` as on the command line ({"sense": "min"})."""
    from optalloc.instances.readers import check_reader_options, format_by_name

    p = Path(path)
    if reader is None:
        reader = format_by_name(p) or "optalloc"
    kw = check_reader_options(None if reader == "optalloc" else reader, reader_options or {}, str(path))
    return Suite(p.stem, (p.resolve(),), reader, "none", f"the file {path}", origin="file", options=kw)


def resolve(names: list[str], manifest: str | os.PathLike | None = None, reader: str | None = None,
            reader_options: dict | None = None) -> list[Suite]:
    """The suites of `names`, by name from the `manifest` (default: find_manifest's search); a name that is
    an existing file is a suite of its own (file_suite), read with `reader` (a public format) when given,
    else as its name makes certain or as optalloc JSON. `reader_options` (flag name -> value, as on the
    command line) apply to such files only: a manifest suite states its own."""
    suites = None
    out = []
    given = {k: v for k, v in (reader_options or {}).items() if v is not None and v is not False}
    for n in names:
        if Path(n).is_file():
            out.append(file_suite(n, reader, reader_options))
            continue
        if given:
            raise SuiteError(f"--{next(iter(given))}: reader options apply to files given as suites; suite {n!r} "
                             f"takes its reader's options from the manifest")
        if suites is None:
            suites = load_manifest(manifest)
        if n not in suites:
            raise SuiteError(f"suite {n!r}: unknown; run 'optalloc suites' for the list "
                             f"({', '.join(sorted(suites))})")
        s = suites[n]
        if s.unsupported:
            raise SuiteError(f"suite {n!r}: cannot be run by optalloc bench: {s.unsupported}")
        if not s.available:
            missing = [str(f) for f in s.files if not f.is_file()] or ["(no file matches)"]
            raise SuiteError(f"suite {n!r}: files not found ({missing[0]}); shared suites need ../shared/data "
                             f"beside the repository")
        out.append(s)
    return out
