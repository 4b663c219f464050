"""Checkpoints as users have them: one .safetensors file, a sharded one through its
model.safetensors.index.json, or a model directory holding either; weights in F32, F16, BF16 or FP8
(F8_E4M3, F8_E5M2, with their per-tensor, per-channel or block scales applied). Tensors keep the names the
checkpoint gives them, and a linear layer is named as its module ("model.layers.0.self_attn.q_proj" for the
tensor "model.layers.0.self_attn.q_proj.weight"), which is how quantization tools key their configs.

Which matrices are quantized: every 2-D floating-point ".weight" except embeddings and the output head
(lm_head), which GPTQModel and AutoRound leave in full precision too; --include and --exclude (regular
expressions searched in the module name) change that, and an --include that matches nothing is an error."""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optalloc.errors import FormatError
from optalloc.families.bitalloc import safetensors

INDEX_NAME = "model.safetensors.index.json"
# the tensors quantization tools leave alone by default: token embeddings and the output head
DEFAULT_SKIP = re.compile(r"embed|(^|\.)(lm_head|wte|wpe)$")
# the scale tensors FP8 checkpoints store beside a weight (DeepSeek's block scales, compressed-tensors' scales)
SCALE_SUFFIXES = ("_scale_inv", "_scale")


@dataclass
class Checkpoint:
    """The tensors of a checkpoint, by name, loaded lazily (memory-mapped) from their files."""

    source: str
    files: dict[str, Path]  # tensor name -> the file holding it
    headers: dict[Path, dict]  # file -> its validated header

    def names(self) -> list[str]:
        return list(self.files)

    def dtype(self, name: str) -> str:
        return self.headers[self.files[name]][name]["dtype"]

    def shape(self, name: str) -> list[int]:
        return self.headers[self.files[name]][name]["shape"]

    def tensor(self, name: str) -> np.ndarray:
        """The tensor `name` as float32 (float64 stays), FP8 scales applied when the checkpoint has them."""
        f = self.files[name]
        arr = safetensors.load(f, names={name}, header=self.headers[f])[name]
        if self.dtype(name).startswith("F8_"):
            arr = self._scaled(name, arr)
        return arr

    def _scaled(self, name: str, arr: np.ndarray) -> np.ndarray:
        for suffix in SCALE_SUFFIXES:
            scale_name = name + suffix
            if scale_name not in self.files:
                continue
            s = np.asarray(safetensors.load(self.files[scale_name], names={scale_name},
                                            header=self.headers[self.files[scale_name]])[scale_name], np.float32)
            # "_scale_inv" (DeepSeek) multiplies like "_scale" (compressed-tensors): both hold the dequantization
            # factor; the name records that it inverts the quantizer's scale
            return arr * _broadcast_scale(s, arr.shape, scale_name, self.source)
        return arr

    def linear_modules(self) -> list[str]:
        """Every module with a 2-D floating-point ".weight", in the checkpoint's order."""
        return [n[: -len(".weight")] for n in self.names()
                if n.endswith(".weight") and len(self.shape(n)) == 2 and self.dtype(n) not in _NOT_FLOAT]

    def linear_weights(self, include: str | None = None, exclude: str | None = None) -> dict[str, np.ndarray]:
        """Module name -> its weight matrix (float64), for every 2-D floating-point ".weight" the patterns keep:
        `include` (a regex searched in the module name; default: all but embeddings and lm_head) and
        `exclude` (a regex; matching modules are dropped). An `include` that keeps nothing is a FormatError."""
        inc = re.compile(include) if include else None
        exc = re.compile(exclude) if exclude else None
        out = {}
        candidates = []
        for name in self.names():
            if not name.endswith(".weight") or len(self.shape(name)) != 2 or self.dtype(name) in _NOT_FLOAT:
                continue
            module = name[: -len(".weight")]
            candidates.append(module)
            if inc is not None:
                if not inc.search(module):
                    continue
            elif DEFAULT_SKIP.search(module):
                continue
            if exc is not None and exc.search(module):
                continue
            w = np.asarray(self.tensor(name), dtype=np.float64)
            if not np.isfinite(w).all():
                raise FormatError(f"tensor {name!r}", "holds NaN or infinite values", source=self.source)
            out[module] = w
        if not out:
            what = (f"--include {include!r} matches none of the {len(candidates)} linear modules"
                    if include else f"no linear module is left of the {len(candidates)}")
            if exclude:
                what += f" after --exclude {exclude!r}"
            example = f" (they are named like {candidates[0]!r})" if candidates else ""
            raise FormatError("modules", what + example, source=self.source)
        return out


_NOT_FLOAT = {"I64", "I32", "I16", "I8", "U8", "BOOL"}


def _broadcast_scale(s: np.ndarray, shape, name: str, source: str) -> np.ndarray:
    """A scale of shape (), (1,), (out,), (out, 1) or blocks (ceil(out/B0), ceil(in/B1)) spread over `shape`."""
    out_, in_ = shape
    if s.size == 1:
        return s.reshape(())
    if (s.ndim == 1 and s.shape[0] == out_) or s.shape == (out_, 1):
        return s.reshape(out_, 1)
    if s.ndim == 2:
        b0, b1 = -(-out_ // s.shape[0]), -(-in_ // s.shape[1])
        if -(-out_ // b0) == s.shape[0] and -(-in_ // b1) == s.shape[1]:
            return np.repeat(np.repeat(s, b0, axis=0), b1, axis=1)[:out_, :in_]
    raise FormatError(f"tensor {name!r}", f"has shape {list(s.shape)}, which scales neither the whole weight, its "
                                          f"rows nor blocks of its {out_} x {in_} entries", source=source)


def open_checkpoint(path) -> Checkpoint:
    """A checkpoint from a .safetensors file, a model.safetensors.index.json (its shards beside it), or a
    directory holding either. Every header is read and checked now; the data stays on disk until asked for."""
    p = Path(path)
    src = str(p)
    if p.is_dir():
        if (p / INDEX_NAME).is_file():
            return _sharded(p / INDEX_NAME)
        singles = sorted(p.glob("*.safetensors"))
        if len(singles) == 1:
            return _single(singles[0])
        if not singles:
            raise FormatError("directory", f"holds neither {INDEX_NAME} nor a .safetensors file", source=src)
        raise FormatError("directory", f"holds {len(singles)} .safetensors files and no {INDEX_NAME} to say how "
                                       f"they fit together (give one file, or the index)", source=src)
    if p.name.endswith(".json"):
        return _sharded(p)
    return _single(p)


def _single(path: Path) -> Checkpoint:
    header, _ = safetensors.read_header(path)
    return Checkpoint(str(path), {n: path for n in header}, {path: header})


def _sharded(index: Path) -> Checkpoint:
    src = str(index)
    try:
        doc = json.loads(index.read_text())
    except FileNotFoundError:
        raise FormatError("file", "does not exist", source=src) from None
    except (ValueError, UnicodeDecodeError) as e:
        raise FormatError("file", f"is not valid JSON ({type(e).__name__})", source=src) from None
    wmap = doc.get("weight_map") if isinstance(doc, dict) else None
    if not isinstance(wmap, dict) or not wmap or not all(isinstance(v, str) for v in wmap.values()):
        raise FormatError("weight_map", "must map each tensor name to its shard file", source=src)
    headers: dict[Path, dict] = {}
    files: dict[str, Path] = {}
    for shard in sorted(set(wmap.values())):
        f = index.parent / shard
        if Path(shard).name != shard:
            raise FormatError("weight_map", f"names the shard {shard!r} outside the index's folder", source=src)
        if not f.is_file():
            first = next(t for t, s in wmap.items() if s == shard)
            raise FormatError(f"weight_map[{first!r}]", f"names the shard {shard!r}, which is not in "
                                                        f"{index.parent}", source=src)
        headers[f], _ = safetensors.read_header(f)
    for tensor, shard in wmap.items():
        f = index.parent / shard
        if tensor not in headers[f]:
            raise FormatError(f"weight_map[{tensor!r}]", f"says the tensor is in {shard}, whose header does not "
                                                         f"list it", source=src)
        files[tensor] = f
    return Checkpoint(src, files, headers)


def with_linear_weights(model, weights: dict, dtype):
    """A shallow copy of the numpy `model` (encoder.Encoder or decoder.Decoder: tensors in `model.t`) with the
    linear `weights` (module name -> matrix, as `dtype`) replaced; the other tensors are shared, not read again."""
    other = copy.copy(model)
    other.t = dict(model.t)
    for m, w in weights.items():
        other.t[m + ".weight"] = np.asarray(w, dtype=dtype)
    return other
