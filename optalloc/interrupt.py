"""Ctrl-C, one mechanism for every method.

While a solve runs in the main thread, optalloc's SIGINT handler is installed and the signal's wake-up file
descriptor points to a pipe that a watcher thread reads (SIGINT may be delivered to any thread, e.g. a BLAS
or HiGHS worker, and Python runs its handler only when the main thread next executes bytecode, which it does
not while HiGHS or CP-SAT holds it). On Ctrl-C the watcher
  1. sets the flag that `requested()` reads: Python loops between numba slices poll it, and so does
     `Deadline.expired()`, which every method consults;
  2. calls the stop hooks the running backend registered (HiGHS's cancelSolve, CP-SAT's StopSearch);
  3. if the main thread has not come back within GRACE seconds (a long numpy build, say), raises
     KeyboardInterrupt in it (_thread.interrupt_main). A second Ctrl-C does that at once.
The method then returns its best answer so far, which `optalloc.solve` certifies and raises as
`Interrupted(result)`; the command line writes the finished rows and exits 130.

Off the main thread the guard does nothing and Python's default KeyboardInterrupt applies.

Each solve owns its stop state (`run()`, entered by optalloc.solve): its flag and its stop hooks, found through a
context variable, so that two solves in two threads (a thread pool, a Dask worker's tasks) never clear or fire
each other's. Ctrl-C (or `request()`, how a child process hears its parent) reaches every solve under way in the
process: it sets each one's flag and runs each one's hooks. Code outside any solve (a forked HiGHS child, the
helper process) uses the process-wide flag and hooks."""
from __future__ import annotations

import _thread
import contextlib
import contextvars
import os
import select
import signal
import threading
import time

import numpy as np

GRACE = 0.8  # seconds a method has to stop by itself before KeyboardInterrupt is raised in it

EARLY_STOP = 0.2  # seconds before a limit that stop_flag raises its flag (at most 5 % of the time left)

_flag = threading.Event()
# The same flag for numba kernels, which run without the GIL (nogil=True) and read it between merges
STOP = np.zeros(1, dtype=np.int8)
_escalate = threading.Event()  # set by the watcher just before it raises KeyboardInterrupt in the main thread
_hooks: list = []
_lock = threading.Lock()


class Run:
    """The stop state of one solve: its flag and the stop hooks its backends registered."""

    def __init__(self):
        self.flag = threading.Event()
        self.hooks: list = []


_current: contextvars.ContextVar[Run | None] = contextvars.ContextVar("optalloc_run", default=None)
_runs: set = set()  # the solves under way in this process, which Ctrl-C reaches


@contextlib.contextmanager
def run():
    """The block is one solve with its own stop state (optalloc.solve enters it)."""
    r = Run()
    token = _current.set(r)
    with _lock:
        _runs.add(r)
    try:
        yield r
    finally:
        with _lock:
            _runs.discard(r)
        _current.reset(token)


def _mine():
    """(flag, hooks) of the solve this thread (context) is running, or the process-wide ones."""
    r = _current.get()
    return (_flag, _hooks) if r is None else (r.flag, r.hooks)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a solve; `result` is the certified answer the method had when it stopped."""

    def __init__(self, result=None):
        super().__init__("interrupted")
        self.result = result


def requested() -> bool:
    """Whether Ctrl-C arrived during the current solve."""
    return _mine()[0].is_set()


@contextlib.contextmanager
def stop_flag(deadline_at: float | None = None):
    """A stop array for one run of numba kernels (they read element 0 between merges): raised by Ctrl-C, and
    by a timer when time.perf_counter() passes `deadline_at`, so a kernel mid-way through a long merge stops
    at the limit itself rather than at the end of its slice (seen: 3 s past a 5 s limit)."""
    flag = np.zeros(1, dtype=np.int8)

    def fire():
        flag[0] = 1

    timer = None
    if deadline_at is not None:
        # raised a little early: releasing the kernels' gigabytes of states after the stop takes a few tenths
        left = deadline_at - time.perf_counter()
        timer = threading.Timer(max(0.0, left - min(EARLY_STOP, 0.05 * left)), fire)
        timer.daemon = True
        timer.start()
    try:
        with stop_hook(fire):
            yield flag
    finally:
        if timer is not None:
            timer.cancel()


def request() -> None:
    """Mark this process, and every solve under way in it, as interrupted and run their stop hooks: what Ctrl-C
    does, and how a solve running in a child process (solvers.highs_process) hears the parent's."""
    _flag.set()
    STOP[0] = 1
    with _lock:
        runs = list(_runs)
    for r in runs:
        r.flag.set()
    _fire()


def ignore_in_child() -> None:
    """In a forked child: Ctrl-C reaches the whole process group, but the parent decides (it asks the child
    to stop, or ends it); the child must not write into the parent's wake-up pipe either."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        signal.set_wakeup_fd(-1)
    except ValueError:
        pass


@contextlib.contextmanager
def stop_hook(fn):
    """Register `fn` (no arguments) to be called from the watcher thread on Ctrl-C while the block runs."""
    flag, hooks = _mine()
    with _lock:
        hooks.append(fn)
    if flag.is_set():
        fn()
    try:
        yield
    finally:
        with _lock:
            if fn in hooks:
                hooks.remove(fn)


def _fire():
    with _lock:
        hooks = list(_hooks) + [fn for r in _runs for fn in r.hooks]
    for fn in hooks:
        try:
            fn()
        except Exception:  # a backend that cannot stop still gets the KeyboardInterrupt after GRACE
            pass


def _handler(signum, frame):
    """Runs in the main thread between bytecodes: raises only once the watcher has escalated."""
    if _escalate.is_set():
        _escalate.clear()
        raise KeyboardInterrupt


def _watch(fd: int, stop: threading.Event):
    count = 0
    deadline = None
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 64)
            except BlockingIOError:
                data = b""
            for _ in range(data.count(bytes([signal.SIGINT]))):
                count += 1
                request()
                if count >= 2:
                    deadline = time.monotonic()
                elif deadline is None:
                    deadline = time.monotonic() + GRACE
        if deadline is not None and time.monotonic() >= deadline and not stop.is_set():
            deadline = None
            _escalate.set()
            _thread.interrupt_main(signal.SIGINT)


@contextlib.contextmanager
def guard():
    """Route Ctrl-C through the watcher while the block runs (re-entrant; a no-op off the main thread).
    The flag stays set after the block so the caller can see that the run was interrupted; `clear()` resets."""
    main = threading.current_thread() is threading.main_thread()
    if not main or _state.depth:
        _state.depth += main
        try:
            yield
        finally:
            _state.depth -= main
        return
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    try:
        old_handler = signal.signal(signal.SIGINT, _handler)
        old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except (ValueError, OSError):  # not allowed here (an embedded interpreter, say): the default applies
        os.close(r)
        os.close(w)
        yield
        return
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(r, stop), name="optalloc-interrupt", daemon=True)
    watcher.start()
    _state.depth = 1
    try:
        yield
    finally:
        stop.set()
        try:
            os.write(w, b"\0")  # wake the watcher now, not at its next 50 ms poll (a solve's time would include it)
        except OSError:
            pass
        watcher.join()
        _state.depth = 0
        _escalate.clear()
        signal.set_wakeup_fd(old_fd)
        signal.signal(signal.SIGINT, old_handler)
        os.close(r)
        os.close(w)


def clear() -> None:
    """Forget a Ctrl-C request (after it has been handled): the current solve's, or the process's outside one."""
    r = _current.get()
    if r is not None:
        r.flag.clear()
        return
    _flag.clear()
    STOP[0] = 0


class _State:
    depth = 0


_state = _State()
