"""Public single-machine tardiness formats.

orlib-wt  OR-Library wt40 / wt50 / wt100: whitespace-separated integers, instance after instance, each 3n
          numbers (p_1..p_n, w_1..w_n, d_1..d_n); line breaks carry no meaning. n comes from the file name
          (wt40.txt -> 40). References: wtopt40.txt / wtopt50.txt / wtbest100b.txt beside the file, one value
          per instance (all proven optimal, see ../shared/data/smtt/SOURCES.md).
smtt      the unweighted sets smtt_n20/100/200/500.txt: '#' comments, then per instance a header
          'n RDD TF k OPT' and n lines 'p d'.

The (RDD, TF) class of each OR-Library instance is inferred (blocks of 5, RDD outer, TF inner) and kept in meta."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from optalloc.errors import FormatError, InstanceError
from optalloc.files import atomic_write_text
from optalloc.instances.format import Instance, make_instance
from optalloc.instances.text import ints, read_text

# Proven optimal values for the OR-Library sets (100b: after iterated dynasearch, proven by Tanaka's SSDP).
_ORLIB_OPT = {40: "wtopt40.txt", 50: "wtopt50.txt", 100: "wtbest100b.txt"}






def _make(name, data, ref, meta, src) -> Instance:
    try:
        return make_instance("tardiness", name, data, ref, meta)
    except InstanceError as e:
        raise FormatError(f"{name}: {e.path}", e.rule, e.got, source=src) from None


def read_orlib_wt(path, n: int | None = None) -> list[Instance]:
    """The instances of the OR-Library wt file `path` (125 blocks of p, w, d), `n` jobs each (default: the number
    ending the file name), with optima from wtopt*/wtbest* beside it."""
    text, src = read_text(path)
    stem = Path(src).stem
    if n is None:
        m = re.search(r"(\d+)$", stem)
        if not m:
            raise FormatError("file name", "must end in the job count (wt40.txt), or pass n", stem, source=src)
        n = int(m.group(1))
        if not 0 < n <= 10**6:
            raise FormatError("file name", "must end in a job count from 1 to 10^6 (wt40.txt), or pass n", stem,
                              source=src)
    v = ints(text.split(), src, "file")
    if not len(v):
        raise FormatError("file", "is empty", source=src)
    if len(v) % (3 * n):
        raise FormatError("file", f"truncated: {len(v)} numbers is not a whole number of instances of 3 x {n}",
                          source=src)
    count = len(v) // (3 * n)
    refs: list[int] = []
    opt_file = Path(src).with_name(_ORLIB_OPT.get(n, f"wtopt{n}.txt"))
    if opt_file.exists():
        refs = ints(read_text(opt_file)[0].split(), str(opt_file), opt_file.name).tolist()
        if len(refs) != count:
            raise FormatError(opt_file.name, f"must hold {count} values (one per instance), has {len(refs)}",
                              source=str(opt_file))
    out = []
    for i in range(count):
        blk = v[3 * n * i:3 * n * (i + 1)]
        data = {"processing_times": blk[:n].tolist(), "weights": blk[n:2 * n].tolist(),
                "due_dates": blk[2 * n:].tolist()}
        ref = {"value": refs[i], "kind": "optimal", "source": f"OR-Library {opt_file.name}"} if refs else None
        meta = {"format": "orlib-wt", "rdd": round(0.2 * (1 + (i // 25) % 5), 1), "tf": round(0.2 * (1 + (i // 5) % 5), 1)}
        out.append(_make(f"{stem}-{i + 1}", data, ref, meta, src))
    return out


def write_orlib_wt(instances, path, *, overwrite=False):
    """Write the tardiness `instances` (one job count) to `path` in OR-Library's wt format; an existing file is an
    error unless `overwrite`."""
    nums = []
    for inst in instances:
        t = inst.data
        nums += t.p.tolist() + np.asarray(t.w).astype(np.int64).tolist() + t.d.tolist()
    lines = [" ".join(f"{x:5d}" for x in nums[i:i + 20]) for i in range(0, len(nums), 20)]
    return atomic_write_text(path, "\n".join(lines) + "\n", overwrite=overwrite)


def read_smtt(path) -> list[Instance]:
    """The instances of the unweighted set at `path` (header 'n RDD TF k OPT', then n lines 'p d')."""
    text, src = read_text(path)
    lines = [(k + 1, ln) for k, ln in enumerate(text.splitlines()) if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise FormatError("file", "holds no instance", source=src)
    stem = Path(src).stem
    out, i = [], 0
    while i < len(lines):
        lineno, head = lines[i]
        parts = head.split()
        if len(parts) != 5:
            raise FormatError(f"line {lineno}", "must be a header 'n RDD TF k OPT'", head.strip(), source=src)
        try:
            n, k, opt = (int(x) for x in ints([parts[0], parts[3], parts[4]], src, f"line {lineno}"))
            rdd, tf = float(parts[1]), float(parts[2])
        except ValueError:
            raise FormatError(f"line {lineno}", "must be a header 'n RDD TF k OPT' of numbers", head.strip(),
                              source=src) from None
        if not (math.isfinite(rdd) and math.isfinite(tf)) or n < 1:
            raise FormatError(f"line {lineno}", "must be a header 'n RDD TF k OPT' with n >= 1 and finite RDD, TF",
                              head.strip(), source=src)
        jobs = lines[i + 1:i + 1 + n]
        if len(jobs) < n:
            raise FormatError(f"instance {len(out) + 1}", f"truncated: {len(jobs)} of {n} job lines", source=src)
        rows = [ln.split() for _, ln in jobs]
        for (ln_no, _), r in zip(jobs, rows):
            if len(r) != 2:
                raise FormatError(f"line {ln_no}", "must be a job line 'p d'", " ".join(r), source=src)
        pd = ints([x for r in rows for x in r], src, f"instance {len(out) + 1}").reshape(n, 2)
        name = f"{stem}-{rdd:g}-{tf:g}-{k}"
        # a negative OPT marks "no reference" (what write_smtt writes for an instance without one)
        ref = {"value": opt, "kind": "optimal", "source": f"{Path(src).name} header"} if opt >= 0 else None
        meta = {"format": "smtt", "rdd": rdd, "tf": tf, "replicate": k}
        out.append(_make(name, {"processing_times": pd[:, 0].tolist(), "due_dates": pd[:, 1].tolist()}, ref, meta,
                         src))
        i += 1 + n
    return out


def write_smtt(instances, path, *, overwrite=False):
    """Write the unweighted tardiness `instances` to `path` in that format; an existing file is an error unless
    `overwrite`."""
    lines = ["# written by optalloc: header 'n RDD TF k OPT', then n lines 'p d'"]
    for q, inst in enumerate(instances):
        t, m = inst.data, inst.meta
        opt = int(inst.reference.value) if inst.reference else -1
        lines.append(f"{t.n} {m.get('rdd', 0):g} {m.get('tf', 0):g} {m.get('replicate', q + 1)} {opt}")
        lines += [f"{a} {b}" for a, b in zip(t.p.tolist(), t.d.tolist())]
    return atomic_write_text(path, "\n".join(lines) + "\n", overwrite=overwrite)
