"""Loading a process-wide registry once, safely from several threads.

The registries (families, problem kinds, methods, preloaded kernels) fill themselves on first use. A flag set
before the filling ends lets a second thread see half of a registry ("known methods: bitalloc.greedy" on a
fresh Dask worker with two threads); `Once` sets it only after the loader has returned, and makes other threads
wait until then. The loading thread itself may come back in (a family's module asks for the problem kinds while
it is being imported): it goes on without waiting, as a plain flag would let it."""
from __future__ import annotations

import threading
from typing import Callable


class Once:
    """Runs a loader once per process: `run(fn)` calls `fn` unless it has returned before (a loader that raised
    is tried again at the next call)."""

    def __init__(self):
        self._lock = threading.RLock()
        self._done = False
        self._owner: int | None = None

    def run(self, fn: Callable[[], None]) -> None:
        if self._done:
            return
        with self._lock:
            if self._done or self._owner == threading.get_ident():
                return
            self._owner = threading.get_ident()
            try:
                fn()
                self._done = True
            finally:
                self._owner = None

    def reset(self) -> None:
        """Forget that the loader ran (tests, and the families after OPTALLOC_PLUGINS changed)."""
        with self._lock:
            self._done = False
