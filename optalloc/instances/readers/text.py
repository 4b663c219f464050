"""Reading a public-format file as text, with the errors every reader gives for a missing or binary file."""
from __future__ import annotations

from pathlib import Path

from ...errors import FormatError


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
