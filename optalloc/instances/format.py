"""The optalloc instance format: one JSON document per instance, JSON Lines for a suite.

    {"format": "optalloc-instance", "version": 1, "problem": "knapsack", "name": "demo",
     "data": {...family fields...},
     "reference": {"value": 42, "kind": "optimal", "source": "..."},    # optional
     "meta": {...}}                                                      # optional, free-form provenance

Everything is validated on load; a bad field raises InstanceError naming its path and the rule."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from optalloc.errors import FormatError, InstanceError
from optalloc.files import atomic_write_text
from optalloc.problems import get_problem
from optalloc.problems import validate as v

FORMAT_NAME = "optalloc-instance"
FORMAT_VERSION = 1
REFERENCE_KINDS = ("optimal", "best_known", "bound")
_TOP_FIELDS = {"format", "version", "problem", "name", "data", "reference", "meta"}


@dataclass
class Reference:
    """A value to compare against. kind: optimal (proven), best_known (attained, not proven) or bound."""

    value: float
    kind: str
    source: str = ""
    solution: dict | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"value": v.to_json_number(self.value), "kind": self.kind}
        if self.source:
            out["source"] = self.source
        if self.solution is not None:
            out["solution"] = self.solution
        return out


@dataclass
class Instance:
    """One validated instance: its `problem` kind, its `name`, its typed `data` (the kind's own class, built
    from the fields the kind states), an optional `reference` (a published optimum, best known value or
    bound, compared with every result) and free `meta`. Made by load, make_instance or a reader."""

    problem: str
    name: str
    data: Any  # typed data of the problem kind
    reference: Reference | None = None
    meta: dict = field(default_factory=dict)

    @property
    def spec(self):
        return get_problem(self.problem)

    @property
    def sense(self) -> str:
        return self.spec.sense_of(self.data)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "problem": self.problem,
                               "name": self.name, "data": self.spec.dump(self.data)}
        if self.reference is not None:
            out["reference"] = self.reference.to_dict()
        if self.meta:
            out["meta"] = self.meta
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)


def instance_from_dict(doc: Any, where: str = "") -> Instance:
    """An Instance from its JSON document `doc`, validated; errors name the field under the prefix `where`."""
    p = (lambda f: f"{where}{f}") if where else (lambda f: f)
    if not isinstance(doc, dict):
        raise InstanceError(where.rstrip(".") or "instance", "must be a JSON object", type(doc).__name__)
    extra = sorted(set(doc) - _TOP_FIELDS)
    if extra:
        raise InstanceError(p(extra[0]), f"is not an instance field (fields: {', '.join(sorted(_TOP_FIELDS))})")
    fmt = doc.get("format", FORMAT_NAME)
    if fmt != FORMAT_NAME:
        raise InstanceError(p("format"), f"must be {FORMAT_NAME!r}", fmt)
    version = doc.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise InstanceError(p("version"), f"must be {FORMAT_VERSION} (this optalloc reads format version 1)", version)
    problem = v.field_of(doc, "problem", where.rstrip(".") or "instance") if "problem" not in doc else doc["problem"]
    spec = get_problem(problem, p("problem"))
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise InstanceError(p("name"), "is required and must be a non-empty string", name)
    if "data" not in doc:
        raise InstanceError(p("data"), "is required")
    data = spec.parse(doc["data"], p("data"))
    ref = _reference(doc.get("reference"), p("reference"))
    meta = doc.get("meta", {})
    if not isinstance(meta, dict):
        raise InstanceError(p("meta"), "must be an object")
    return Instance(problem, name, data, ref, meta)


def _reference(raw: Any, where: str) -> Reference | None:
    if raw is None:
        return None
    r = v.mapping(raw, where)
    allowed = {"value", "kind", "source", "solution"}
    v.no_extra(r, allowed, where)
    value = v.finite_number(v.field_of(r, "value", where), f"{where}.value")
    kind = v.field_of(r, "kind", where)
    if kind not in REFERENCE_KINDS:
        raise InstanceError(f"{where}.kind", f"must be one of {', '.join(REFERENCE_KINDS)}", kind)
    source = r.get("source", "")
    if not isinstance(source, str):
        raise InstanceError(f"{where}.source", "must be a string", source)
    solution = r.get("solution")
    if solution is not None and not isinstance(solution, dict):
        raise InstanceError(f"{where}.solution", "must be an object in problem terms")
    return Reference(value, kind, source, solution)


def _parse_json(text: str, source: str, where: str = "") -> Any:
    """json.loads with every way it can fail as a one-line FormatError: malformed text (with a hint when the
    file is not JSON at all), NaN/Infinity, duplicate keys, nesting too deep, integers too long to convert."""
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as e:
        at = f"line {e.lineno} column {e.colno}" if not where else f"{where} column {e.colno}"
        hint = ""
        if e.pos == 0 or (e.lineno == 1 and e.colno <= 8 and not text.lstrip().startswith(("{", "["))):
            hint = "; is it a public format? pass --from READER (optalloc convert --help lists them)"
        raise FormatError("json", f"malformed JSON at {at} ({e.msg}){hint}", source=source) from None
    except RecursionError:
        raise FormatError("json", f"nested too deeply{' at ' + where if where else ''} (an instance needs a few "
                                  "levels)", source=source) from None
    except FormatError as e:
        raise FormatError(e.path, e.rule, e.got, source=source) from None
    except ValueError:  # Python refuses integers over 4300 digits (a denial-of-service guard)
        raise FormatError("json", f"a number has more than 4300 digits{' at ' + where if where else ''}",
                          source=source) from None


def _unique_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise FormatError("json", f"key {dup!r} appears twice in one object (which one is meant?)")
    return dict(pairs)


def _reject_constant(name: str):
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise.
    raise FormatError("json", f"{name} is not a valid JSON number")


def loads(text: str, source: str = "<string>") -> list[Instance]:
    """Parse a JSON document or JSON Lines text into instances."""
    stripped = text.strip()
    if not stripped:
        raise FormatError("file", "is empty (expected a JSON instance or JSON Lines)", source=source)
    lines = text.splitlines()
    first = next(line for line in lines if line.strip())
    try:
        json.loads(first)
        first_line_is_json = True
    except (ValueError, RecursionError):
        first_line_is_json = False
    if first_line_is_json and len([line for line in lines if line.strip()]) > 1:
        # JSON Lines: one instance per non-blank line; errors name the line.
        docs, multi = [], True
        for lineno, line in enumerate(lines, 1):
            if line.strip():
                docs.append(_parse_json(line, source, f"line {lineno}"))
    else:
        docs, multi = [_parse_json(stripped, source)], False
    if not multi and isinstance(docs[0], list):
        docs, multi = docs[0], True
    out = []
    for i, doc in enumerate(docs):
        try:
            out.append(instance_from_dict(doc, f"[{i}]." if multi else ""))
        except InstanceError as e:
            if e.source is None:
                raise type(e)(e.path, e.rule, e.got, source=source) from None
            raise
    if not out:
        raise FormatError("file", "holds no instances", source=source)
    return out


def load(path: str | os.PathLike, fmt: str | None = None, reader_options: dict | None = None) -> list[Instance]:
    """Read every instance of the file at `path`: in the public format `fmt` when given (a reader a family declares), else
    in that format when the file's name makes it certain (Format.patterns: wt40.txt, knapPI_1_50_1000.csv,
    model.mps, ...), else as optalloc JSON or JSON Lines. "-" is standard input. `reader_options` (flag name
    -> value, as on the command line: {"sense": "min"}) go to the reader; a format that does not declare one
    is a FormatError."""
    import sys

    from optalloc.instances.readers import check_reader_options
    from optalloc.instances.text import read_text

    reader_options = reader_options or {}
    if fmt is None and str(path) != "-":
        from optalloc.instances.readers import format_by_name, read

        named = format_by_name(path)
        if named is not None:
            kw = check_reader_options(named, reader_options, str(path))
            try:
                return read(named, path, **kw)
            except FormatError as e:  # say why this format was chosen, and how to choose another
                raise FormatError(e.path, f"{e.rule} (read as {named} because of the file name; --from READER "
                                          f"reads another format)", e.got, source=e.source) from None
    kw = check_reader_options(fmt, reader_options, str(path))
    if fmt is not None:
        from optalloc.instances.readers import read

        if str(path) != "-":
            return read(fmt, path, **kw)
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:  # readers read files: standard input lands in one first
            spill = os.path.join(tmp, "stdin")
            with open(spill, "w") as f:
                f.write(sys.stdin.read())
            return read(fmt, spill, **kw)
    if str(path) == "-":
        return loads(sys.stdin.read(), "<stdin>")
    text, src = read_text(path)
    return loads(text, src)


def dumps(instances: Iterable[Instance]) -> str:
    """JSON Lines text, one instance per line."""
    return "".join(inst.to_json() + "\n" for inst in instances)


def save(instances: Iterable[Instance] | Instance, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write `instances` (one or several) to `path` atomically. A .json path holding one instance is
    pretty-printed; otherwise JSON Lines. An existing file is an error unless `overwrite`."""
    items = [instances] if isinstance(instances, Instance) else list(instances)
    path = Path(path)
    if path.suffix == ".json" and len(items) == 1:
        text = json.dumps(items[0].to_dict(), indent=1, allow_nan=False) + "\n"
    else:
        text = dumps(items)
    return atomic_write_text(path, text, overwrite=overwrite)


def make_instance(problem: str, name: str, data: dict, reference: dict | None = None,
                  meta: dict | None = None) -> Instance:
    """Build a validated instance from plain Python data (the API twin of loading a file).

    `problem` is a registered problem kind ("knapsack", "tardiness", ...; `optalloc methods` lists them),
    `name` the instance's name, `data` its fields as the kind states them (see the instance format). Optional
    `reference` is {"value", "kind": optimal | best_known | bound, "source"}: results are compared with it.
    Optional `meta` is kept as given. Invalid data is an InstanceError naming the field."""
    doc: dict[str, Any] = {"problem": problem, "name": name, "data": data}
    if reference is not None:
        doc["reference"] = reference
    if meta:
        doc["meta"] = meta
    return instance_from_dict(doc)
