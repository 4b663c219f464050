"""Backend logs, each line naming what it belongs to: with several instances and methods in one run (or a
bench pool), a bare HiGHS or CP-SAT line cannot be traced back. `solve` names the run; the backends send
their log text to a `LineSink`, which writes whole lines as `[instance method] text` to stderr (--verbose)
and to --log-file. Logs never go to stdout: stdout carries the results, so --json stays parseable."""
from __future__ import annotations

import contextlib
import contextvars
import sys
import threading

_run = contextvars.ContextVar("optalloc_log_run", default="")
_write_lock = threading.Lock()  # backends log from their worker threads


@contextlib.contextmanager
def naming(instance: str, method: str):
    """Lines logged inside the block carry `[instance method]`."""
    token = _run.set(f"{instance} {method}")
    try:
        yield
    finally:
        _run.reset(token)


class LineSink:
    """Collects log text (in pieces of any size) and writes it as whole, prefixed lines."""

    def __init__(self, verbose: bool, log_file: str | None):
        self.prefix = f"[{_run.get()}] " if _run.get() else ""
        self.file = open(log_file, "a", encoding="utf-8") if log_file else None
        self.targets = [t for t in (sys.stderr if verbose else None, self.file) if t is not None]
        self.pending = ""

    @property
    def active(self) -> bool:
        return bool(self.targets)

    def write(self, text: str) -> None:
        with _write_lock:
            self.pending += text
            *lines, self.pending = self.pending.split("\n")
            self._emit(lines)

    def line(self, text: str) -> None:
        self.write(text.rstrip("\n") + "\n")

    def _emit(self, lines) -> None:
        for t in self.targets:
            t.write("".join(f"{self.prefix}{ln}\n" for ln in lines))
            t.flush()

    def close(self) -> None:
        with _write_lock:
            if self.pending:
                self._emit([self.pending])
                self.pending = ""
        if self.file is not None:
            self.file.close()
            self.file = None
