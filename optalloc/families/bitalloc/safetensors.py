"""safetensors files, read with numpy alone: an 8-byte little-endian header length, a JSON header
{name: {"dtype", "shape", "data_offsets": [begin, end]}}, then the raw little-endian data. Every field is
checked, so a corrupt file is reported as such instead of producing garbage tensors."""
from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np

from optalloc.errors import FormatError
from optalloc.files import atomic_write_bytes

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F8_E4M3": np.uint8,
          "F8_E5M2": np.uint8, "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8,
          "BOOL": np.bool_}


def _fp8_table(exponent_bits: int, bias: int, finite_only: bool) -> np.ndarray:
    """The float32 value of each of the 256 FP8 codes (OCP FP8: E4M3 has no infinities and one NaN per sign,
    E5M2 follows IEEE), so decoding is one exact table lookup."""
    mant = 7 - exponent_bits
    out = np.empty(256, dtype=np.float32)
    for code in range(256):
        s = -1.0 if code >> 7 else 1.0
        e = (code >> mant) & ((1 << exponent_bits) - 1)
        m = code & ((1 << mant) - 1)
        top = (1 << exponent_bits) - 1
        if finite_only and e == top and m == (1 << mant) - 1:
            v = np.nan
        elif not finite_only and e == top:
            v = s * np.inf if m == 0 else np.nan
        elif e == 0:
            v = s * m / (1 << mant) * 2.0 ** (1 - bias)
        else:
            v = s * (1 + m / (1 << mant)) * 2.0 ** (e - bias)
        out[code] = v
    return out


FP8 = {"F8_E4M3": _fp8_table(4, 7, True), "F8_E5M2": _fp8_table(5, 15, False)}
_MAX_HEADER = 100 * 2**20


def read_header(path) -> tuple[dict, int]:
    """The validated header (tensors only) and the byte offset where the data starts."""
    p = Path(path)
    src = str(p)
    try:
        size = p.stat().st_size
        with p.open("rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise FormatError("header", "file is shorter than the 8-byte header length", source=src)
            (n,) = struct.unpack("<Q", head)
            if n == 0 or n > _MAX_HEADER or 8 + n > size:
                raise FormatError("header", f"length {n} does not fit a file of {size} bytes", source=src)
            raw = fh.read(n)
    except FileNotFoundError:
        raise FormatError("file", "does not exist", source=src) from None
    except IsADirectoryError:
        raise FormatError("file", "is a directory (give the .safetensors file)", source=src) from None
    except OSError as e:
        raise FormatError("file", f"cannot be read ({e.strerror or type(e).__name__})", source=src) from None

    def unique(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise FormatError("header", f"names tensor {next(k for k in keys if keys.count(k) > 1)!r} twice",
                              source=src)
        return dict(pairs)

    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=unique)
    except FormatError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise FormatError("header", f"is not valid JSON ({e.__class__.__name__})", source=src) from None
    if not isinstance(header, dict):
        raise FormatError("header", "must be a JSON object", source=src)
    data_len = size - 8 - n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        where = f"header[{name!r}]"
        if not isinstance(info, dict) or set(info) - {"dtype", "shape", "data_offsets"}:
            raise FormatError(where, "must be an object with dtype, shape and data_offsets", source=src)
        dtype, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in DTYPES:
            raise FormatError(f"{where}.dtype", f"must be one of {', '.join(DTYPES)}", dtype, source=src)
        if not isinstance(shape, list) or not all(isinstance(x, int) and x >= 0 for x in shape):
            raise FormatError(f"{where}.shape", "must be a list of non-negative integers", shape, source=src)
        if (not isinstance(offs, list) or len(offs) != 2 or not all(isinstance(x, int) for x in offs)
                or not 0 <= offs[0] <= offs[1] <= data_len):
            raise FormatError(f"{where}.data_offsets", f"must be [begin, end] within the {data_len} data bytes",
                              offs, source=src)
        expected = math.prod(shape) * (2 if dtype == "BF16" else np.dtype(DTYPES[dtype]).itemsize)
        if offs[1] - offs[0] != expected:
            raise FormatError(f"{where}.data_offsets", f"span {offs[1] - offs[0]} bytes, the shape needs {expected}",
                              source=src)
        tensors[name] = {"dtype": dtype, "shape": shape, "data_offsets": offs}
    if not tensors:
        raise FormatError("header", "lists no tensors", source=src)
    # the tensors must tile the data exactly: an overlap reads one tensor's bytes as another's, a gap hides bytes
    spans = sorted((info["data_offsets"][0], info["data_offsets"][1], name) for name, info in tensors.items())
    at = 0
    for b, e, name in spans:
        if b != at:
            what = "overlaps the tensor before it" if b < at else f"leaves bytes {at}..{b} unused"
            raise FormatError(f"header[{name!r}].data_offsets", f"{what} (tensors must tile the data)", [b, e],
                              source=src)
        at = e
    if at != data_len:
        raise FormatError("header", f"the tensors cover {at} of the {data_len} data bytes", source=src)
    return tensors, 8 + n


def load(path, names=None, header=None) -> dict[str, np.ndarray]:
    """The tensors of the file at `path` by name, all or those in `names` (memory-mapped; BF16, F16 and FP8
    are widened to float32). `header`: the file's header as read_header gave it, to skip reading it again."""
    if header is None:
        header, start = read_header(path)
    else:
        with open(path, "rb") as fh:
            start = 8 + struct.unpack("<Q", fh.read(8))[0]
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        if names is not None and name not in names:
            continue
        b, e = info["data_offsets"]
        dt = DTYPES[info["dtype"]]
        arr = np.frombuffer(mm, dtype=np.dtype(dt).newbyteorder("<"), count=(e - b) // np.dtype(dt).itemsize,
                            offset=start + b).reshape(info["shape"])
        if info["dtype"] == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        elif info["dtype"] == "F16":
            arr = arr.astype(np.float32)
        elif info["dtype"] in FP8:
            arr = FP8[info["dtype"]][arr]
        out[name] = arr
    return out


def write(path, tensors: dict[str, np.ndarray], *, overwrite: bool = False, metadata: dict | None = None):
    """Write tensors (float64/float32/int64/...) as a safetensors file; used by tests and examples."""
    rev = {np.dtype(v): k for k, v in DTYPES.items() if k != "BF16"}
    header, chunks, off = {}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype not in rev:
            raise FormatError(name, f"dtype {arr.dtype} has no safetensors code")
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": rev[arr.dtype], "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    return atomic_write_bytes(path, struct.pack("<Q", len(hb)) + hb + b"".join(chunks), overwrite=overwrite)
