"""Reading a public-format file as text, with the errors every reader gives for a missing or binary file."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from optalloc.errors import FormatError

_INT = re.compile(r"[+-]?\d+")
_INT64_MAX = 2**63 - 1


def read_text(path) -> tuple[str, str]:
    """(the file's text, its path as a string for messages)."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8"), str(p)
    except FileNotFoundError:
        raise FormatError("file", "does not exist", source=str(p)) from None
    except IsADirectoryError:
        raise FormatError("file", "is a directory", source=str(p)) from None
    except UnicodeDecodeError:
        raise FormatError("file", "is not UTF-8 text", source=str(p)) from None
    except OSError as e:  # unreadable: permissions, a device, a broken link
        raise FormatError("file", f"cannot be read ({e.strerror or type(e).__name__})", source=str(p)) from None


def ints(tokens, src: str, what: str) -> np.ndarray:
    """Whitespace tokens as int64, each checked before conversion: a non-integer or a value outside int64
    (a 400-digit token, say) is a one-line FormatError naming `what` and the token, never a traceback."""
    out = np.empty(len(tokens), dtype=np.int64)
    for k, t in enumerate(tokens):
        if not _INT.fullmatch(t):
            raise FormatError(what, "must be integers", t, source=src)
        if len(t.lstrip("+-")) > 19 or abs(int(t)) > _INT64_MAX:
            raise FormatError(what, "must be integers within int64 (at most 2^63 - 1 in absolute value)",
                              t if len(t) <= 40 else t[:37] + "...", source=src)
        out[k] = int(t)
    return out
