"""Atomic, no-clobber file writes: a crash or Ctrl-C never leaves a half-written results file, and an
existing file is replaced only when the caller says so."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from optalloc.errors import OptallocError


class OutputExistsError(OptallocError):
    """An output target that exists and may not be overwritten (pass --force): exit 2, before anything is solved."""

    def __init__(self, path: Path):
        super().__init__(f"{path}: already exists; pass --force to overwrite it (nothing was written)")


class OutputTargetError(OptallocError):
    """An output path that cannot be written: found before any work starts, so none is lost."""


def check_output_target(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Fail now, in one line, if `path` could not be written later: it exists (without overwrite), is a
    directory, or its folder is missing, not a folder, or not writable. Creates nothing."""
    path = Path(path)
    if path.is_dir():
        raise OutputTargetError(f"{path}: is a directory; give a file name for the results (nothing was run)")
    if path.exists() and not overwrite:
        raise OutputExistsError(path)
    parent = path.parent if str(path.parent) else Path(".")
    probe = parent
    while not probe.exists() and probe != probe.parent:  # the nearest folder that exists will hold the new ones
        probe = probe.parent
    if not probe.is_dir():
        raise OutputTargetError(f"{path}: {probe} is not a folder, so the results cannot be written there "
                                f"(nothing was run)")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputTargetError(f"{path}: the folder {probe} is not writable (nothing was run)")
    return path


def atomic_write_bytes(path: str | os.PathLike, payload: bytes, *, overwrite: bool = False) -> Path:
    """Write `payload` to `path` through a temporary file and a rename, so a reader never sees half of it; an
    existing file is OutputExistsError unless `overwrite`."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are ordinary files
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            # link() fails if the target appeared meanwhile, so a concurrent writer is never clobbered.
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputExistsError(path) from None
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str, *, overwrite: bool = False) -> Path:
    """Write `text` to `path` atomically (see atomic_write_bytes); an existing file is OutputExistsError unless
    `overwrite`."""
    return atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)
