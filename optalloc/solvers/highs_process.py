"""HiGHS in a process of its own, so that a limit or a Ctrl-C is kept even where HiGHS does not listen.

HiGHS has phases that check neither its time limit nor its interrupt callbacks (see highs.ISOLATE_NONZEROS).
Every MIP, and every large LP, therefore runs in a child process that the parent ends when HiGHS has not
answered KILL_GRACE seconds after the limit or a Ctrl-C; the run's row is kept either way. Two ways to get that
child, chosen per call:

  fork     the calling process forks (about 20 ms, the model is not copied). Only from the main thread of a
           process that multiprocessing lets have children: a daemonic process (a multiprocessing.Pool worker,
           a bench worker, a Dask worker) may not, and forking a thread of a multi-threaded process (a thread
           pool, a Dask task) can copy a lock another thread held.
  helper   a fresh interpreter (`python -m optalloc.solvers.highs_process`) started with subprocess, which
           multiprocessing does not own: allowed everywhere. It is kept after a run and reused by the next one
           (start-up is about 0.3 s; a reused helper adds the model's pickling, about 0.1 s per million
           nonzeros), one per concurrent solve; a helper that had to be ended is not reused.

OPTALLOC_HIGHS_ISOLATION=fork|helper forces one way (tests, benchmarks/isolation.py); fork falls back to the
helper where it is not allowed. Both children end themselves when their parent dies (the end of a pipe)."""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time

from optalloc import interrupt
from optalloc.status import Status

KILL_GRACE = 0.3  # seconds HiGHS gets to stop by itself (and send its answer) after the limit or Ctrl-C
ISOLATION_VARIABLE = "OPTALLOC_HIGHS_ISOLATION"
POLL = 0.02  # seconds between the parent's looks at the limit and Ctrl-C while it waits


def way() -> str:
    """'fork' or 'helper': how the next isolated run in this thread starts its child (see the docstring)."""
    asked = os.environ.get(ISOLATION_VARIABLE, "").strip().lower()
    forkable = ("fork" in multiprocessing.get_all_start_methods()
                and not multiprocessing.current_process().daemon
                and threading.current_thread() is threading.main_thread())
    if asked == "helper" or not forkable:
        return "helper"
    return "fork"


def run_isolated(model, options, deadline, duals: bool):
    """One HiGHS run (highs._run) in a child process; a LinearOutcome either way. The outcome's
    extra["isolation"] says which way was taken."""
    if way() == "fork":
        out = _run_forked(model, options, deadline, duals)
        out.extra.setdefault("isolation", "fork")
        return out
    return run_in_helper(model, options, deadline, duals)


def run_in_helper(model, options, deadline, duals: bool):
    """One HiGHS run in a helper process (see the module's docstring)."""
    out = _run_in_helper(model, options, deadline, duals)
    out.extra.setdefault("isolation", "helper")
    return out


def _ended():
    """The outcome of a child ended because HiGHS did not stop by itself."""
    from optalloc.solvers.highs import LinearOutcome

    status = Status.INTERRUPTED if interrupt.requested() else Status.TIME_LIMIT
    return LinearOutcome(status, None, None, None, "ended: HiGHS did not stop by itself",
                         {"message": "HiGHS was in a phase that does not check its limits; its process was ended, "
                                     "so there is no answer"})


def _lost(why: str):
    from optalloc.solvers.highs import LinearOutcome

    return LinearOutcome(Status.ERROR, None, None, None, f"HiGHS's process ended without an answer ({why})")


def _overdue(deadline, stopped_at: float | None) -> bool:
    """Whether the child has had its KILL_GRACE after the limit or the Ctrl-C."""
    end = None if deadline.limit is None else deadline.start + deadline.limit
    if stopped_at is not None:
        end = stopped_at if end is None else min(end, stopped_at)
    return end is not None and time.perf_counter() > end + KILL_GRACE


# ------------------------------------------------------------------ fork
def _run_forked(model, options, deadline, duals: bool):
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    stop_r, stop_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    child = ctx.Process(target=_forked_child, args=(send, stop_r, stop_w, model, options, deadline, duals),
                        daemon=True)
    child.start()
    send.close()
    os.close(stop_r)
    stopped_at = None
    try:
        with interrupt.stop_hook(lambda: os.write(stop_w, b"x")):
            while True:
                if recv.poll(POLL):
                    try:
                        kind, payload = recv.recv()
                    except EOFError:  # the child died mid-answer
                        return _lost(_exit_reason(child))
                    if kind == "error":
                        raise payload
                    return payload
                if not child.is_alive():
                    return _lost(_exit_reason(child))
                if interrupt.requested() and stopped_at is None:
                    stopped_at = time.perf_counter()
                if _overdue(deadline, stopped_at):
                    child.kill()
                    return _ended()
    finally:
        os.close(stop_w)
        recv.close()
        if child.is_alive():
            child.kill()
        child.join(1.0)


def _exit_reason(child) -> str:
    child.join(1.0)
    code = child.exitcode
    return "killed (out of memory?)" if code is not None and code < 0 else f"exit code {code}"


def _forked_child(send, stop_r, stop_w, model, options, deadline, duals) -> None:
    """The forked side: solve, send (kind, payload) back. The parent's "stop" (a byte on stop_r) is this
    process's Ctrl-C: it cancels HiGHS, which then returns its best answer. The end of the pipe (the parent
    is gone: killed with SIGKILL, say) ends this process at once: nobody waits for its answer, and a MIP
    without a limit would otherwise run on for ever (measured: two orphans at 5 GB each after a killed test)."""
    from optalloc.solvers import highs

    interrupt.ignore_in_child()
    highs.OWN_PROCESS[0] = True
    os.close(stop_w)  # the parent's end: with it closed here, the parent's death reads as end of file

    def listen():
        if os.read(stop_r, 1):
            interrupt.request()
        else:
            os._exit(1)

    threading.Thread(target=listen, daemon=True).start()
    try:
        send.send(("ok", highs._run(model, options, deadline, duals)))
    except BaseException as e:  # an option HiGHS rejects, say: the parent raises it as it would in-process
        try:
            send.send(("error", e))
        except Exception:
            send.send(("error", RuntimeError(f"{type(e).__name__}: {e}")))
    finally:
        send.close()


# ------------------------------------------------------------------ helper
# Messages on the helper's pipes are pickles, each after its length (8 bytes, big-endian).
_LENGTH = struct.Struct(">Q")


def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int) -> bytes | None:
    parts, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None  # end of file
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _receive(fd: int):
    """The next message on `fd`; EOFError at the end of the pipe."""
    head = _read_exactly(fd, _LENGTH.size)
    body = None if head is None else _read_exactly(fd, _LENGTH.unpack(head)[0])
    if body is None:
        raise EOFError
    return pickle.loads(body)


class _Helper:
    """One helper process and the pipes to it."""

    def __init__(self):
        env = dict(os.environ)
        # the parent's import path, so a helper of a checkout, a notebook or a test finds the same optalloc
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.proc = subprocess.Popen([sys.executable, "-m", "optalloc.solvers.highs_process"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     start_new_session=True)  # the terminal's Ctrl-C is the parent's to pass on
        self.to_child = self.proc.stdin.fileno()
        self.from_child = self.proc.stdout.fileno()
        self.runs = 0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


_IDLE: list[_Helper] = []
_IDLE_LOCK = threading.Lock()
IDLE_KEPT = 4  # idle helpers kept for the next runs (one per concurrent solve is started as needed)


def _take() -> _Helper:
    with _IDLE_LOCK:
        while _IDLE:
            h = _IDLE.pop()
            if h.alive():
                return h
            h.kill()
    return _Helper()


def _give_back(h: _Helper) -> None:
    with _IDLE_LOCK:
        if len(_IDLE) < IDLE_KEPT and h.alive():
            _IDLE.append(h)
            return
    h.kill()


def close_helpers() -> None:
    """End the idle helpers (they also end themselves when this process ends)."""
    with _IDLE_LOCK:
        helpers, _IDLE[:] = list(_IDLE), []
    for h in helpers:
        h.kill()


def _run_in_helper(model, options, deadline, duals: bool):
    h = _take()
    h.runs += 1
    run_id = h.runs
    stopped_at = None
    answered = False
    try:
        try:
            # names are not needed to solve, and lazy ones (LinearModel's LazyNames) do not pickle
            bare = dataclasses.replace(model, col_names=[], row_names=[])
            _send(h.to_child, ("solve", run_id, bare, options, deadline, duals))
        except (BrokenPipeError, OSError):
            return _lost(f"the helper process could not take the model (exit code {h.proc.poll()})")
        stop_sent = False
        while True:
            ready, _, _ = select.select([h.from_child], [], [], POLL)
            if ready:
                try:
                    kind, payload = _receive(h.from_child)
                except EOFError:
                    return _lost(f"exit code {h.proc.wait()}")
                answered = True
                if kind == "error":
                    raise payload
                return payload
            if not h.alive():
                return _lost(f"exit code {h.proc.poll()}")
            if interrupt.requested() and stopped_at is None:
                stopped_at = time.perf_counter()
            if stopped_at is not None and not stop_sent:
                stop_sent = True
                try:
                    _send(h.to_child, ("stop", run_id))
                except OSError:
                    pass
            if _overdue(deadline, stopped_at):
                return _ended()
    finally:
        if answered:
            _give_back(h)
        else:
            h.kill()


def _helper_main() -> None:
    """The helper's loop: a reader thread takes messages (a run to do, a stop for the run under way, the end of
    the pipe: the parent is gone, so this process ends); the main thread runs HiGHS."""
    # fd 1 carries answers: everything else that would write there (HiGHS's banner) goes to stderr
    answers = os.dup(1)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import queue

    from optalloc.solvers import highs

    highs.OWN_PROCESS[0] = True
    runs: queue.Queue = queue.Queue()
    lock = threading.Lock()
    current = [None]
    stopped: set = set()  # runs the parent stopped before they began here

    def read():
        while True:
            try:
                msg = _receive(0)
            except (EOFError, OSError):
                os._exit(0)
            if msg[0] == "stop":
                with lock:
                    if msg[1] == current[0]:
                        interrupt.request()
                    else:
                        stopped.add(msg[1])
            else:
                runs.put(msg)

    threading.Thread(target=read, daemon=True).start()
    while True:
        _, run_id, model, options, deadline, duals = runs.get()
        with lock:
            interrupt.clear()
            current[0] = run_id
            if run_id in stopped:
                interrupt.request()
        try:
            answer = ("ok", highs._run(model, options, deadline, duals))
        except BaseException as e:  # an option HiGHS rejects, say: the parent raises it as it would in-process
            answer = ("error", e)
        with lock:
            current[0] = None
            stopped.discard(run_id)
            interrupt.clear()
        if answer[0] == "error":
            try:
                pickle.loads(pickle.dumps(answer[1]))
            except Exception:  # an exception that does not travel: its text does
                answer = ("error", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}"))
        _send(answers, answer)


if __name__ == "__main__":
    _helper_main()
