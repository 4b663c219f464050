"""Ending a process without the interpreter's teardown.

Once the solver libraries (Pyomo, OR-Tools, SciPy, Dask) and the compiled kernels are loaded, Python's own
shutdown takes 0.6-0.8 s: it is most of the time between Ctrl-C and the shell prompt, and a bench run waits for
it in every worker it stops. Exit handlers still run (they release multiprocessing's semaphores, among others)
and the standard streams are flushed; only the module teardown is skipped, so call this once every file is
written and closed."""
from __future__ import annotations

import atexit
import os
import sys


def exit_now(code: int) -> None:
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
