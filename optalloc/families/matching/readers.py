"""Public assignment and GAP formats.

orlib-assign  OR-Library assignN (n, then n x n costs) and assignpN (n, then lines 'i j cost', 1-based)
orlib-gap     OR-Library gapK / gapX: P instances of 'm n', costs (m x n), weights (m x n), capacities (m)
yagiura-gap   one instance per file, the OR-Library block without P

Senses follow the sources: gap1-12 are maximisation in OR-Library, gapa-d and Yagiura's sets minimisation,
assignment minimisation. References come from the CSV indexes in ../shared (assign_values.csv,
gap_values.csv) when the file sits in that tree."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from optalloc.errors import FormatError, InstanceError
from optalloc.files import atomic_write_text
from optalloc.instances.text import ints, read_text
from optalloc.instances.format import Instance, make_instance


def _tokens(path) -> tuple[list[str], str]:
    text, src = read_text(path)
    return text.split(), src




def _index(path: Path, name: str) -> list[dict]:
    for parent in list(path.resolve().parents)[:3]:
        f = parent / name
        if f.exists():
            with f.open() as fh:
                return list(csv.DictReader(fh))
    return []


def read_assign(path) -> list[Instance]:
    """The assignment of the OR-Library assignN (dense) or assignpN (sparse arcs) file `path`."""
    toks, src = _tokens(path)
    if not toks:
        raise FormatError("file", "is empty", source=src)
    v = ints(toks, src, "file")
    n = int(v[0])
    if not 0 < n <= 10**5:
        raise FormatError("n", "must be a positive number of rows (at most 10^5)", n, source=src)
    rest = v[1:]
    stem = Path(src).stem
    if len(rest) == n * n:
        data = {"costs": rest.reshape(n, n).tolist(), "sense": "min"}
        fmt = "dense"
    elif len(rest) % 3 == 0 and len(rest) > 0 and len(rest) != n * n:
        e = rest.reshape(-1, 3)
        if e[:, :2].min() < 1 or e[:, :2].max() > n:
            raise FormatError("arcs", f"row and column indices must lie in 1..{n}", source=src)
        data = {"shape": [n, n], "arcs": np.column_stack([e[:, 0] - 1, e[:, 1] - 1, e[:, 2]]).tolist(), "sense": "min"}
        fmt = "sparse"
    else:
        raise FormatError("file", f"truncated: {len(rest)} numbers after n = {n}, expected {n * n} (dense) or "
                                  "triples 'i j cost' (sparse)", source=src)
    ref = None
    for row in _index(Path(src), "assign_values.csv"):
        if Path(row["file"]).name == Path(src).name:
            ref = {"value": int(row["optimum"]), "kind": "optimal", "source": row["source"]}
    try:
        return [make_instance("assignment", stem, data, ref, {"format": f"orlib-assign-{fmt}"})]
    except InstanceError as e:
        raise FormatError(e.path, e.rule, e.got, source=src) from None


def write_assign(instances, path, *, overwrite=False):
    """Write the assignment `instances` to `path` in OR-Library's format; an existing file is an error unless
    `overwrite`."""
    (inst,) = instances
    C = inst.data.costs
    n = C.shape[0]
    if np.isfinite(C).all():
        lines = [f" {n}"] + [" " + " ".join(str(int(x)) for x in row) for row in C]
    else:
        i, j = np.nonzero(np.isfinite(C))
        lines = [f" {n} "] + [f" {a + 1} {b + 1} {int(C[a, b])} " for a, b in zip(i, j)]
    return atomic_write_text(path, "\n".join(lines) + "\n", overwrite=overwrite)


def _gap_blocks(v, pos, count, src):
    out = []
    for q in range(count):
        if pos + 2 > len(v):
            raise FormatError(f"instance {q + 1}", "truncated before 'm n'", source=src)
        m, n = int(v[pos]), int(v[pos + 1])
        pos += 2
        need = 2 * m * n + m
        if m <= 0 or n <= 0 or pos + need > len(v):
            raise FormatError(f"instance {q + 1}", f"truncated: m = {m}, n = {n} need {need} numbers, "
                                                   f"{len(v) - pos} left", source=src)
        c = v[pos:pos + m * n].reshape(m, n)
        a = v[pos + m * n:pos + 2 * m * n].reshape(m, n)
        b = v[pos + 2 * m * n:pos + need]
        pos += need
        out.append((m, n, c, a, b))
    return out, pos


def _gap_instances(blocks, src, names, sense, fmt):
    rows = _index(Path(src), "gap_values.csv")
    out = []
    for q, ((m, n, c, a, b), name) in enumerate(zip(blocks, names)):
        ref = None
        for row in rows:
            if Path(row["file"]).name == Path(src).name and int(row["instance"] or 1) == q + 1 and row["sense"] == sense:
                kind = "optimal" if row["status"] == "optimal" else "best_known"
                ref = {"value": float(row["value"]), "kind": kind, "source": row["source"]}
        out.append(make_instance("gap", name, {"costs": c.tolist(), "weights": a.tolist(), "capacities": b.tolist(),
                                               "sense": sense}, ref, {"format": fmt}))
    return out


def read_orlib_gap(path, sense: str | None = None) -> list[Instance]:
    """The GAPs of the OR-Library file `path` (several per file), with their published optima; `sense` min or max
    (default: by the file name, min for gapa..gapd, max otherwise)."""
    toks, src = _tokens(path)
    v = ints(toks, src, "file")
    if not len(v):
        raise FormatError("file", "is empty", source=src)
    blocks, pos = _gap_blocks(v, 1, int(v[0]), src)
    if pos != len(v):
        raise FormatError("file", f"{len(v) - pos} numbers left after {int(v[0])} instances", source=src)
    stem = Path(src).stem
    sense = sense or ("min" if stem in ("gapa", "gapb", "gapc", "gapd") else "max")
    names = [f"{stem}-{q + 1}" for q in range(len(blocks))]
    return _gap_instances(blocks, src, names, sense, "orlib-gap")


def read_yagiura_gap(path, sense: str = "min") -> list[Instance]:
    """The GAP of Yagiura's single-instance file `path`, minimised unless `sense` says max."""
    toks, src = _tokens(path)
    v = ints(toks, src, "file")
    blocks, pos = _gap_blocks(v, 0, 1, src)
    if pos != len(v):
        raise FormatError("file", f"{len(v) - pos} numbers left after the instance", source=src)
    return _gap_instances(blocks, src, [Path(src).name], sense, "yagiura-gap")


def _gap_text(insts) -> list[str]:
    lines = []
    for inst in insts:
        d = inst.data
        lines.append(f" {d.m} {d.n}")
        lines += [" " + " ".join(str(int(x)) for x in row) for row in d.costs]
        lines += [" " + " ".join(str(int(x)) for x in row) for row in d.weights]
        lines.append(" " + " ".join(str(int(x)) for x in d.capacities))
    return lines


def write_orlib_gap(instances, path, *, overwrite=False):
    """Write the GAP `instances` to `path` in OR-Library's format; an existing file is an error unless `overwrite`."""
    insts = list(instances)
    return atomic_write_text(path, "\n".join([f" {len(insts)}"] + _gap_text(insts)) + "\n", overwrite=overwrite)


def write_yagiura_gap(instances, path, *, overwrite=False):
    """Write the one GAP of `instances` to `path` in Yagiura's format; an existing file is an error unless
    `overwrite`."""
    return atomic_write_text(path, "\n".join(_gap_text(list(instances))) + "\n", overwrite=overwrite)
