"""From weight matrices to a bit-allocation instance, and from an allocation back to quantized weights.

Granularity (the unit that gets one bit-width, and the quantization grid it uses):
  column   an input column of an [out, in] matrix, with its own min/max grid (BAQ's unit)
  group    G consecutive inputs of one row (the usual group-wise grid, G = 128 by default)
  matrix   a whole matrix, with a min/max grid per row (per-layer allocation, as HAWQ or ModelOpt)
  module   a whole matrix, quantized in groups of G consecutive inputs of a row: one bit-width per module,
           the scheme GPTQModel, AutoRound and llm-compressor load (optalloc quantize --target)

Sensitivity proxy "magnitude": a round-to-nearest grid of 2^b levels over a range rho has step
~ rho 2^-b and error variance step^2/12, so a unit of n weights with range rho has loss
c = n rho^2 / 12 times 2^(-2b). That is the model the allocation optimises ("predicted"); the
quantization below measures the real squared error with step rho / (2^b - 1) ("measured")."""
from __future__ import annotations

import re

import numpy as np

from optalloc.errors import InstanceError
from optalloc.instances.format import Instance, make_instance

GRANULARITIES = ("column", "group", "matrix", "module")


def select_matrices(tensors: dict, include: str | None = None) -> dict[str, np.ndarray]:
    """2-D floating-point weights of `tensors` whose name matches `include` (default: every 2-D '.weight'
    except embeddings, which are tables rather than linear maps, and lm_head, as checkpoint.DEFAULT_SKIP)."""
    from optalloc.families.bitalloc.checkpoint import DEFAULT_SKIP

    pattern = re.compile(include) if include else None
    out = {}
    for name, arr in tensors.items():
        if arr.ndim != 2 or arr.dtype.kind != "f":
            continue
        if pattern is not None:
            if not pattern.search(name):
                continue
        elif not name.endswith(".weight") or DEFAULT_SKIP.search(name.removesuffix(".weight")):
            continue
        out[name] = np.asarray(arr, dtype=np.float64)
    return out


def _units(W: np.ndarray, granularity: str, G: int):
    """(range, size) of every unit of a matrix, in a fixed order."""
    if granularity == "module":  # one unit; its c = sum over its groups of G rho_g^2 / 12
        rho, _ = _units(W, "group", G)
        return np.array([np.sqrt(np.mean(rho**2))]), np.array([W.size], dtype=np.int64)
    if granularity == "column":
        rho = W.max(axis=0) - W.min(axis=0)
        return rho, np.full(W.shape[1], W.shape[0], dtype=np.int64)
    if granularity == "group":
        out_, in_ = W.shape
        if in_ % G:
            raise InstanceError("group_size", f"must divide every matrix's input size; {in_} is not a multiple", G)
        blocks = W.reshape(out_, in_ // G, G)
        rho = (blocks.max(axis=2) - blocks.min(axis=2)).ravel()
        return rho, np.full(rho.size, G, dtype=np.int64)
    rho_rows = W.max(axis=1) - W.min(axis=1)
    return np.array([np.sqrt(np.mean(rho_rows**2))]), np.array([W.size], dtype=np.int64)


def unit_errors(W: np.ndarray, bits: int, granularity: str, G: int = 128, energy=None) -> np.ndarray:
    """Measured squared error of every unit of W quantized at `bits` (round to nearest, its own grid), each
    unit of `granularity` (groups of `G`). With `energy` (diag(X^T X) of the layer's inputs, one per column)
    each column's error is weighted by its input energy: the output error sum_x |(W - Q) x|^2 without the
    cross terms (BAQ's Hessian proxy)."""
    n_units = len(_units(W, granularity, G)[0])
    sq = (W - quantize_matrix(W, np.full(n_units, float(bits)), granularity, G)) ** 2
    if energy is not None:
        sq = sq * np.asarray(energy, dtype=np.float64)[None, :]
    if granularity == "column":
        return sq.sum(axis=0)
    if granularity == "group":
        return sq.reshape(W.shape[0], W.shape[1] // G, G).sum(axis=2).ravel()
    return np.array([sq.sum()])  # matrix, module: one unit


def build_instance(matrices: dict[str, np.ndarray], budget: float, *, granularity: str = "group",
                   group_size: int = 128, b_min: int = 2, b_max: int = 8, overhead_bits: float = 0.0,
                   proxy: str = "magnitude", name: str = "weights", source: str = "", bit_set=None,
                   ties: list[list[str]] | None = None, energy: dict | None = None,
                   energy_scale: str = "module") -> Instance:
    """The bit-allocation instance of `matrices` (module name -> weight matrix) at an average of `budget`
    bits: one unit per `granularity` (column, group of `group_size`, matrix or module), bit-widths
    `b_min`..`b_max` (or exactly those of `bit_set`), `overhead_bits` per quantization group.

    proxy "magnitude": model mode, c = n rho^2 / 12 (the high-resolution model, cheap, wrong at 1-2
    bits where the true step is rho / (2^b - 1)); "measured": table mode with every unit's measured
    round-to-nearest error at each bit-width, so the allocation minimises the real error exactly;
    "activation": the measured error of each column weighted by its input energy (`energy`: module name ->
    diag(X^T X) from a calibration pass, encoder.input_energy) relative to the module's mean energy, so the
    columns whose inputs carry the signal get the bits. `energy_scale` "module" compares columns within a module
    only (each module's energies relative to its mean: right for post-norm encoders, whose layer norms rescale
    what each module adds); "raw" keeps the energies as measured, so the errors of all modules are in the units
    of the residual stream they add to (pre-norm decoders). With
    `bit_set` (a tool's bit-widths, 2, 3, 4 and 8 say) the instance is in table mode either way. `ties`: groups
    of module names that must get the same bits (fused q/k/v projections). `name` and `source` go to the
    instance."""
    if granularity not in GRANULARITIES:
        raise InstanceError("granularity", f"must be one of {', '.join(GRANULARITIES)}", granularity)
    if proxy not in ("magnitude", "measured", "activation"):
        raise InstanceError("proxy", "must be magnitude, measured or activation", proxy)
    if proxy == "activation" and not energy:
        raise InstanceError("proxy", "activation needs the input energies of a calibration pass", proxy)
    if energy_scale not in ("module", "raw"):
        raise InstanceError("energy_scale", "must be module or raw", energy_scale)
    if not matrices:
        raise InstanceError("matrices", "no 2-D weight matrix matched")
    if proxy != "magnitude" or bit_set is not None:
        grid = np.arange(b_min, b_max + 1) if bit_set is None else np.asarray(sorted(bit_set), dtype=np.int64)
        return _table_instance(matrices, budget, granularity, group_size, grid, overhead_bits, proxy, name,
                               source, ties, energy, energy_scale)
    sens, sizes, modules = [], [], []
    first = 0
    for mname, W in matrices.items():
        rho, n = _units(W, granularity, group_size)
        c = n * rho**2 / 12.0
        c = np.maximum(c, 1e-30)  # a constant unit quantizes exactly; keep its sensitivity positive
        sens.append(c)
        sizes.append(n)
        modules.append({"name": mname, "shape": list(W.shape), "first_group": first, "groups": int(len(c))})
        first += len(c)
    meta = {"source": source, "granularity": granularity, "group_size": group_size, "proxy": "magnitude",
            "modules": modules}
    return make_instance("bitalloc", name, {"sizes": np.concatenate(sizes).tolist(),
                                            "sensitivity": np.concatenate(sens).tolist(), "budget": budget,
                                            "b_min": b_min, "b_max": b_max, "overhead_bits": overhead_bits},
                         meta=meta)


def _table_instance(matrices, budget, granularity, G, grid, overhead_bits, proxy, name, source, ties, energy=None,
                    energy_scale="module"):
    errs, sizes, modules, extra = [], [], [], []
    first = 0
    for mname, W in matrices.items():
        rho, n = _units(W, granularity, G)
        if proxy in ("measured", "activation"):
            h = None
            if proxy == "activation":
                if mname not in energy:
                    raise InstanceError("energy", f"no calibration statistics for module {mname!r}")
                # within a module, each column's error weighs as its input energy (relative to the module's mean):
                # the raw energies of different layers are not on one scale (post-norm blocks rescale what
                # follows), and weighting by them lost to uniform bits at every budget on MiniLM
                h = np.asarray(energy[mname], dtype=np.float64)
                if energy_scale == "module":
                    h = h / h.mean() if h.mean() > 0 else np.ones_like(h)
            e = np.stack([unit_errors(W, int(b), granularity, G, h) for b in grid], axis=1)  # units x options
        else:
            e = np.maximum(n * rho**2 / 12.0, 1e-30)[:, None] * np.exp2(-2.0 * grid)[None, :]
        errs.append(e)
        sizes.append(n)
        # a module's scales and zero points: overhead_bits for each of its groups of G, in every option's size
        # (other units pay theirs through the instance's overhead_bits, one group each)
        extra.append(np.full(len(n), overhead_bits * (W.size // G) if granularity == "module" else 0.0))
        modules.append({"name": mname, "shape": list(W.shape), "first_group": first, "groups": int(len(n))})
        first += len(n)
    E = np.concatenate(errs)
    n = np.concatenate(sizes)
    over = np.concatenate(extra)
    k = len(n)
    options = {"bits": np.tile(grid, (k, 1)).tolist(), "error": E.tolist(),
               "size": (n[:, None] * grid[None, :] + over[:, None]).tolist()}
    meta = {"source": source, "granularity": granularity, "group_size": G, "proxy": proxy, "modules": modules}
    if proxy == "activation":
        meta["energy_scale"] = energy_scale
    data = {"sizes": n.tolist(), "budget": budget, "options": options,
            "overhead_bits": 0.0 if granularity == "module" else overhead_bits}
    if ties:
        index = {m["name"]: m["first_group"] for m in modules}
        groups = [[index[t] for t in tie if t in index] for tie in ties]
        data["ties"] = [g for g in groups if len(g) > 1]
    return make_instance("bitalloc", name, data, meta=meta)


def _rtn(x: np.ndarray, bits: np.ndarray, axis: int) -> np.ndarray:
    """Round to nearest on a min/max grid of 2^bits levels along `axis` (bits broadcast over units)."""
    lo = x.min(axis=axis, keepdims=True)
    hi = x.max(axis=axis, keepdims=True)
    levels = np.exp2(bits) - 1.0
    step = (hi - lo) / np.maximum(levels, 1.0)
    step = np.where(step > 0, step, 1.0)
    q = np.clip(np.round((x - lo) / step), 0, levels)
    return lo + q * step


def quantize_matrix(W: np.ndarray, bits: np.ndarray, granularity: str, group_size: int = 128) -> np.ndarray:
    """W quantized with one bit-width per unit (in `_units` order)."""
    bits = np.asarray(bits, dtype=np.float64)
    if granularity == "column":
        return _rtn(W, bits[None, :], axis=0)
    if granularity in ("group", "module"):
        out_, in_ = W.shape
        blocks = W.reshape(out_, in_ // group_size, group_size)
        per_block = np.full((out_, in_ // group_size, 1), bits[0]) if granularity == "module" else \
            bits.reshape(out_, in_ // group_size, 1)
        return _rtn(blocks, per_block, axis=2).reshape(W.shape)
    return _rtn(W, np.full((W.shape[0], 1), bits[0]), axis=1)


def measure(matrices: dict[str, np.ndarray], instance: Instance, bits: np.ndarray) -> dict:
    """Measured squared error of quantizing every matrix with `bits` (one per group of the instance),
    next to what the model predicted."""
    meta = instance.meta
    d = instance.data
    rows, total, energy = [], 0.0, 0.0
    for mod in meta["modules"]:
        W = matrices[mod["name"]]
        sl = slice(mod["first_group"], mod["first_group"] + mod["groups"])
        Wq = quantize_matrix(W, bits[sl], meta["granularity"], meta["group_size"])
        err = float(((W - Wq) ** 2).sum())
        if d.tables:  # each unit's option of that many bits (the options need not be consecutive bit-widths)
            pred = float(sum(d.opt_error[d.opt_starts[j]:d.opt_starts[j + 1]][
                d.opt_bits[d.opt_starts[j]:d.opt_starts[j + 1]] == bits[j]].sum()
                for j in range(sl.start, sl.stop)))
        else:
            pred = float(np.dot(d.sensitivity[sl], np.exp2(-2.0 * bits[sl])))
        rows.append({"module": mod["name"], "measured": err, "predicted": pred,
                     "bits": float(np.dot(d.sizes[sl], bits[sl]) / d.sizes[sl].sum())})
        total += err
        energy += float((W**2).sum())
    return {"measured": total, "relative": total / energy if energy else 0.0,
            "predicted": float(sum(r["predicted"] for r in rows)), "modules": rows}


def export_config(instance: Instance, bits: np.ndarray) -> dict:
    """Per-module configuration as quantization libraries take it (module name -> bits, group size).
    A module whose groups all got the same bits gets an integer; mixed modules also list bits per group."""
    meta = instance.meta
    modules, dynamic = {}, {}
    for mod in meta["modules"]:
        sl = slice(mod["first_group"], mod["first_group"] + mod["groups"])
        b = np.asarray(bits[sl])
        entry = {"group_size": meta["group_size"] if meta["granularity"] == "group" else -1}
        if np.all(b == b[0]):
            entry["bits"] = int(b[0]) if float(b[0]).is_integer() else float(b[0])
            dynamic["+:" + re.escape(mod["name"].removesuffix(".weight"))] = {"bits": entry["bits"]}
        else:
            entry["bits"] = float(np.mean(b))
            entry["bits_per_group"] = [int(x) if float(x).is_integer() else float(x) for x in b]
        modules[mod["name"].removesuffix(".weight")] = entry
    out = {"format": "optalloc-bits", "version": 1, "granularity": meta["granularity"],
           "group_size": meta["group_size"], "modules": modules}
    if len(dynamic) == len(modules):
        out["dynamic"] = dynamic  # GPTQModel / vLLM style per-module overrides
    return out
