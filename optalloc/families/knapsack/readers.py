"""Public knapsack formats: Pisinger's CSV blocks, Pisinger's large_scale files, Jooken et al.'s test.in and
OR-Library mknap (mknap1 / mknapcb). Each reader validates as it goes and names the file and line on error;
each writer produces the same text back, so files round-trip exactly."""
from __future__ import annotations

import re
from pathlib import Path

from optalloc.errors import FormatError, InstanceError
from optalloc.files import atomic_write_text
from optalloc.instances.text import read_text
from optalloc.instances.format import Instance, make_instance





def _int(tok: str, where: str, src: str) -> int:
    try:
        return int(tok)
    except ValueError:
        raise FormatError(where, "must be an integer", tok, source=src) from None


def _num(tok: str, where: str, src: str):
    try:
        f = float(tok)
    except ValueError:
        raise FormatError(where, "must be a number", tok, source=src) from None
    return int(f) if re.fullmatch(r"[+-]?\d+", tok) else f


def _make(name, data, ref, meta, src) -> Instance:
    """make_instance, with a rule the data breaks reported against the file."""
    try:
        return make_instance("knapsack", name, data, ref, meta)
    except InstanceError as e:
        raise FormatError(e.path, e.rule, e.got, source=src) from None


# ------------------------------------------------------------------ Pisinger CSV
def read_pisinger(path) -> list[Instance]:
    """The instances of the Pisinger CSV file `path` (blocks: name, n, c, z, time, then j,p,w,x lines), z as the
    reference optimum when known."""
    text, src = read_text(path)
    lines = text.splitlines()
    out, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        start = i
        name = lines[i].strip()
        header = {}
        for key in ("n", "c", "z", "time"):
            i += 1
            if i >= len(lines):
                raise FormatError(f"line {i + 1}", f"truncated block {name!r}: expected '{key} <value>'", source=src)
            parts = lines[i].split()
            if len(parts) != 2 or parts[0] != key:
                raise FormatError(f"line {i + 1}", f"expected '{key} <value>' in block {name!r}", lines[i], source=src)
            header[key] = parts[1]
        n = _int(header["n"], f"line {start + 2}", src)
        values, weights, x = [], [], []
        for j in range(n):
            i += 1
            if i >= len(lines) or lines[i].startswith("-----"):
                raise FormatError(f"line {i + 1}", f"truncated block {name!r}: expected {n} item lines, got {j}",
                                  source=src)
            parts = lines[i].split(",")
            if len(parts) != 4:
                raise FormatError(f"line {i + 1}", "an item line must be 'j,p,w,x'", lines[i], source=src)
            values.append(_int(parts[1], f"line {i + 1}", src))
            weights.append(_int(parts[2], f"line {i + 1}", src))
            x.append(_int(parts[3], f"line {i + 1}", src))
        i += 1
        if i >= len(lines) or not lines[i].startswith("-----"):
            raise FormatError(f"line {i + 1}", f"block {name!r} must end with '-----'", source=src)
        i += 1
        items = [j for j, xj in enumerate(x) if xj]
        z = _int(header["z"], f"line {start + 4}", src)
        # z < 0: no optimum known (what write_pisinger writes for an instance without a reference; an optimum
        # is never negative): no reference, rather than a made-up one
        ref = None if z < 0 else {"value": z, "kind": "optimal", "source": f"Pisinger ({Path(src).name})",
                                  "solution": {"items": items}}
        try:
            out.append(make_instance("knapsack", name,
                                     {"values": values, "weights": weights,
                                      "capacity": _int(header["c"], f"line {start + 3}", src)},
                                     ref, {"format": "pisinger", "time": header["time"]}))
        except InstanceError as e:
            raise FormatError(f"block {name!r}: {e.path}", e.rule, e.got, source=src) from None
    if not out:
        raise FormatError("file", "holds no Pisinger instance blocks", source=src)
    return out


def write_pisinger(instances, path, *, overwrite=False):
    """Write the knapsack `instances` to `path` as Pisinger CSV blocks (z -1 when no optimum is known); an existing
    file is an error unless `overwrite`."""
    chunks = []
    for inst in instances:
        d = inst.data
        ref = inst.reference
        chosen = set((ref.solution or {}).get("items", [])) if ref else set()
        # z -1 when no optimum is known: "0" would read back as a claimed optimum of 0
        chunks.append(f"{inst.name}\nn {d.n}\nc {d.capacity}\nz {_fmt(ref.value) if ref else -1}\n"
                      f"time {inst.meta.get('time', '0.00')}\n")
        chunks.append("".join(f"{j + 1},{_fmt(d.values[j])},{int(d.weights[j])},{1 if j in chosen else 0}\n"
                              for j in range(d.n)))
        chunks.append("-----\n\n")
    return atomic_write_text(path, "".join(chunks), overwrite=overwrite)


def _fmt(x) -> str:
    f = float(x)
    return str(int(f)) if f.is_integer() else repr(f)


# ------------------------------------------------------------------ Pisinger large_scale
def read_pisinger_large(path, optimum_path=None) -> list[Instance]:
    """The instance of Pisinger's large_scale file `path` ('n c', n lines 'p w', a 0/1 solution line);
    `optimum_path`: a file whose first number is the optimum."""
    text, src = read_text(path)
    toks = text.split()
    if len(toks) < 2:
        raise FormatError("line 1", "must be 'n c'", source=src)
    n, c = _int(toks[0], "line 1", src), _int(toks[1], "line 1", src)
    if n < 1:
        raise FormatError("line 1", "must be 'n c' with n >= 1 items", n, source=src)
    if len(toks) < 2 + 2 * n:
        raise FormatError("file", f"truncated: expected {n} item lines 'p w'", source=src)
    if len(toks) not in (2 + 2 * n, 2 + 3 * n) or not all(t in ("0", "1") for t in toks[2 + 2 * n:]):
        raise FormatError("file", f"has {len(toks) - 2 - 2 * n} tokens after the {n} items; expected none or a "
                                  f"0/1 solution line of {n}", source=src)
    values = [_int(t, f"item {k // 2}", src) for k, t in enumerate(toks[2:2 + 2 * n:2])]
    weights = [_int(t, f"item {k}", src) for k, t in enumerate(toks[3:3 + 2 * n:2])]
    rest = toks[2 + 2 * n:]
    ref = None
    solution = None
    if len(rest) >= n:
        solution = {"items": [j for j, t in enumerate(rest[:n]) if t == "1"]}
    opt = Path(optimum_path) if optimum_path else Path(src).parent.parent / "large_scale-optimum" / Path(src).name
    if opt.exists():
        ref = {"value": _int(opt.read_text().split()[0], "optimum", str(opt)), "kind": "optimal",
               "source": "Pisinger large_scale-optimum"}
        if solution:
            ref["solution"] = solution
    return [_make(Path(src).name, {"values": values, "weights": weights, "capacity": c}, ref,
                  {"format": "pisinger-large"}, src)]


def write_pisinger_large(instances, path, *, overwrite=False):
    """Write the one knapsack of `instances` to `path` in the large_scale format; an existing file is an error
    unless `overwrite`."""
    (inst,) = instances
    d = inst.data
    lines = [f"{d.n} {d.capacity}"] + [f"{_fmt(d.values[j])} {int(d.weights[j])}" for j in range(d.n)]
    ref = inst.reference
    if ref and ref.solution:
        chosen = set(ref.solution["items"])
        lines.append(" ".join("1" if j in chosen else "0" for j in range(d.n)))
    return atomic_write_text(path, "\n".join(lines) + "\n", overwrite=overwrite)


# ------------------------------------------------------------------ Jooken 2022
def read_jooken(path, optimum: int | None = None) -> list[Instance]:
    """The instance of Jooken et al.'s test.in at `path`; `optimum`, when given, is its reference optimum (the
    files do not hold it)."""
    text, src = read_text(path)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise FormatError("file", "is empty", source=src)
    n = _int(lines[0].strip(), "line 1", src)
    if len(lines) < n + 2:
        raise FormatError("file", f"truncated: expected {n} item lines and a capacity line", source=src)
    values, weights = [], []
    for j in range(n):
        parts = lines[1 + j].split()
        if len(parts) != 3:
            raise FormatError(f"line {j + 2}", "an item line must be 'id profit weight'", lines[1 + j], source=src)
        values.append(_int(parts[1], f"line {j + 2}", src))
        weights.append(_int(parts[2], f"line {j + 2}", src))
    if n < 1:
        raise FormatError("line 1", "must be the number of items (at least 1)", n, source=src)
    c = _int(lines[n + 1].strip(), f"line {n + 2}", src)
    if len(lines) > n + 2:
        raise FormatError(f"line {n + 3}", "follows the capacity line; the file must end there",
                          lines[n + 2][:40], source=src)
    # test.in sits in a folder named after the instance; resolve() so that "test.in" read in place has one
    name = Path(src).resolve().parent.name if Path(src).name == "test.in" else Path(src).stem
    ref = {"value": optimum, "kind": "optimal", "source": "Jooken et al. 2022, optima.csv"} if optimum else None
    return [_make(name, {"values": values, "weights": weights, "capacity": c}, ref, {"format": "jooken"}, src)]


def write_jooken(instances, path, *, overwrite=False):
    """Write the one knapsack of `instances` to `path` as a Jooken test.in; an existing file is an error unless
    `overwrite`."""
    (inst,) = instances
    d = inst.data
    lines = [str(d.n)] + [f"{j} {_fmt(d.values[j])} {int(d.weights[j])}" for j in range(d.n)] + [str(d.capacity)]
    return atomic_write_text(path, "\n".join(lines) + "\n", overwrite=overwrite)


# ------------------------------------------------------------------ OR-Library mknap1 / mknapcb
def read_mknap(path) -> list[Instance]:
    """The multidimensional knapsacks of the OR-Library mknap1/mknapcb file `path`, with their published optima."""
    text, src = read_text(path)
    toks = text.split()
    pos = 0

    def take(count, what):
        nonlocal pos
        if pos + count > len(toks):
            raise FormatError("file", f"truncated while reading {what}", source=src)
        chunk = toks[pos:pos + count]
        pos += count
        return chunk

    k = _int(take(1, "the problem count")[0], "problem count", src)
    stem = Path(src).stem
    out = []
    for q in range(k):
        n, m, opt = take(3, f"problem {q + 1} header")
        n, m = _int(n, f"problem {q + 1} n", src), _int(m, f"problem {q + 1} m", src)
        opt_v = _num(opt, f"problem {q + 1} opt", src)
        profits = [_num(t, f"problem {q + 1} profit", src) for t in take(n, f"problem {q + 1} profits")]
        rows = [[_num(t, f"problem {q + 1} row {i}", src) for t in take(n, f"problem {q + 1} row {i + 1}")]
                for i in range(m)]
        caps = [_num(t, f"problem {q + 1} capacity", src) for t in take(m, f"problem {q + 1} capacities")]
        ref = {"value": opt_v, "kind": "optimal", "source": f"OR-Library {Path(src).name}"} if opt_v else None
        name = f"{stem}-{q + 1}" if stem == "mknap1" else f"{m}.{n}-{q:02d}"
        out.append(make_instance("mkp", name, {"values": profits, "weights": rows, "capacities": caps}, ref,
                                 {"format": "mknap", "opt_token": opt}))
    if pos != len(toks):
        raise FormatError("file", f"{len(toks) - pos} unexpected tokens after problem {k}", source=src)
    return out


def write_mknap(instances, path, *, overwrite=False):
    """Write the mkp `instances` to `path` in the OR-Library mknap format; an existing file is an error unless
    `overwrite`."""
    insts = list(instances)
    out = [f" {len(insts)}"]
    for inst in insts:
        d = inst.data
        opt = inst.meta.get("opt_token") or (_fmt(inst.reference.value) if inst.reference else "0")
        out.append(f" {d.n} {d.m} {opt}")
        out.append(" " + " ".join(_fmt(x) for x in d.values))
        out.extend(" " + " ".join(_fmt(x) for x in row) for row in d.weights)
        out.append(" " + " ".join(_fmt(x) for x in d.capacities))
    return atomic_write_text(path, "\n".join(out) + "\n", overwrite=overwrite)
