"""The suite runner: the instance x method grid, run on a local worker pool or a Dask cluster.

Every finished run becomes one row (see `ROW_COLUMNS`). Rows are appended to a journal next to the results
file as they arrive (`RUN.parquet.journal.jsonl`, flushed per row), and the parquet file is rewritten
atomically from the rows every few seconds and at the end. A killed run therefore loses nothing that
finished, and `resume=True` skips the rows already in the journal (or in the parquet file).

The local pool is our own (not concurrent.futures) so that a run that hangs past its time limit plus a
grace period can be killed: its worker process is terminated, the run is recorded as `time_limit` with a
note, and a fresh worker takes its place."""
from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import platform
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from multiprocessing.connection import wait as wait_for
from pathlib import Path

from optalloc.errors import OptallocError, VerificationError
from optalloc.bench.suites import Suite

ROW_COLUMNS = ("key", "suite", "instance", "position", "problem", "sense", "method", "kind", "options", "status",
               "solution_status", "objective", "bound", "gap", "reference_value", "reference_kind",
               "reference_verdict", "reference_gap", "time", "trace", "failure", "backend", "backend_version",
               "optalloc_version", "python", "machine", "host", "finished_at")
# Columns that describe where and when a row was made; everything else must be identical across executors.
# trace: the anytime trace as JSON, [[seconds, incumbent, bound], ...] (optalloc.trace): timed, so circumstantial.
CIRCUMSTANTIAL = ("time", "trace", "host", "machine", "finished_at")


class BenchError(OptallocError):
    """A bench run that cannot start or continue (an existing output without --resume or --force, say): exit 2."""

    pass


@dataclass(frozen=True)
class Task:
    """One cell of the grid: a method on one instance of one suite's file, with the options it runs under; `key`
    names the row."""

    key: str
    suite: str
    file: str
    reader: str
    index: int
    instance: str
    method: str
    options: dict = field(default_factory=dict)
    reader_options: dict = field(default_factory=dict)


def make_tasks(suites: list[Suite], methods: list[str], options: dict, first: int | None = None) -> list[Task]:
    """The grid, in suite, instance, method order. A method runs on the instances whose problem it solves;
    a method that solves none of the suites' problems is an error (a typo in --methods should not pass)."""
    from optalloc.registry import check_usable, get_method

    from optalloc.options import SolveOptions
    from optalloc.solve import check_options

    ms = [get_method(m) for m in methods]
    solve_options = SolveOptions.from_dict(options)
    opt_hash = hashlib.sha1(json.dumps(options, sort_keys=True).encode()).hexdigest()[:8]
    tasks: list[Task] = []
    used = {m.name: False for m in ms}
    problems = set()
    for s in suites:
        seen = 0
        for f in s.files:
            insts = _load_cached(str(f), s.reader, s.options)
            for i, inst in enumerate(insts):
                if first is not None and seen >= first:
                    break
                seen += 1
                problems.add(inst.problem)
                for m in ms:
                    if not m.accepts(inst.problem):
                        continue
                    used[m.name] = True
                    pos = f"{f.name}#{i}"
                    tasks.append(Task(f"{s.name}/{pos}/{m.name}/{opt_hash}", s.name, str(f), s.reader, i, inst.name,
                                      m.name, dict(options), dict(s.options)))
    for m in ms:
        if not used[m.name] and problems:
            check_usable(m, sorted(problems)[0])  # raises, naming the problems the method does solve
        if m.accepts(next(iter(problems), "")) or used[m.name]:
            check_usable(m, m.problems[0])  # an unavailable backend fails before anything runs
            check_options(m, solve_options)  # and so does an --option it does not take
    return tasks


# ------------------------------------------------------------------ one run (in a worker)
# A worker (a Dask worker above all, which lives on between runs) reads each file once. The key holds the file's
# size, modification time and inode with its path: a file written anew under the same name between two runs is
# read again, never solved as its old contents.
_FILES: dict = {}
_FILES_KEPT = 16  # files kept per process (a suite's files arrive in order; older ones are dropped)
_FILES_LOCK = threading.Lock()  # a Dask worker runs tasks in several threads


def _load_cached(path: str, reader: str, options: dict):
    try:
        st = os.stat(path)
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        stamp = None  # load_file names the missing file
    key = (path, stamp, reader, json.dumps(options, sort_keys=True))
    with _FILES_LOCK:
        if key in _FILES:
            return _FILES[key]
    from optalloc.bench.suites import load_file

    insts = load_file(Path(path), reader, options)
    with _FILES_LOCK:
        for old in [k for k in _FILES if k[0] == path]:
            del _FILES[old]
        while len(_FILES) >= _FILES_KEPT:
            del _FILES[next(iter(_FILES))]
        _FILES[key] = insts
    return insts


def load_plugins() -> None:
    """Find the families and import the modules named in $OPTALLOC_PLUGINS (optalloc.family), in the
    runner's own process and in every worker, local or on a cluster, as every command does."""
    from optalloc.registry import all_methods

    all_methods()


def _machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cpus"


def _base_row(task: Task, method) -> dict:
    """Every column, None where the run has not said anything yet: what a row is before its result."""
    from optalloc import __version__

    row = dict.fromkeys(ROW_COLUMNS)
    row.update(key=task.key, suite=task.suite, instance=task.instance,
               position=f"{Path(task.file).name}#{task.index}", method=method.name, kind=method.kind,
               options=json.dumps(task.options, sort_keys=True), backend=method.backend,
               backend_version=method.backend_version(), optalloc_version=__version__,
               python=platform.python_version(), machine=_machine(), host=socket.gethostname())
    return row


def _finished(row: dict) -> dict:
    row["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return row


def run_task(task: Task) -> dict:
    """Solve one instance with one method and turn the certified result (or the failure) into a row."""
    load_plugins()
    from optalloc.registry import get_method
    from optalloc.solve import solve

    m = get_method(task.method)
    row = _base_row(task, m)
    insts = _load_cached(task.file, task.reader, task.reader_options)
    if task.index >= len(insts) or insts[task.index].name != task.instance:
        row.update(status="error", solution_status="none", time=0.0,
                   failure=f"the file {task.file} changed after the run was planned: its instance {task.index} is "
                           f"no longer {task.instance!r}")
        return _finished(row)
    inst = insts[task.index]
    ref = inst.reference
    row.update(instance=inst.name, problem=inst.problem, sense=inst.sense,
               reference_value=None if ref is None else float(ref.value),
               reference_kind=None if ref is None else ref.kind)
    started = time.perf_counter()
    try:
        r = solve(inst, m, task.options)
    except VerificationError as e:
        row.update(status="error", solution_status="none", failure=f"verification: {e}")
    except Exception as e:  # noqa: BLE001  (a crash of one run is a row, not the end of the suite)
        row.update(status="error", solution_status="none", failure=f"crash: {type(e).__name__}: {e}")
    else:
        answer = r.to_row()  # the one mapping from a Result to a row (report reads solve --output through it too)
        answer.update(options=row["options"], instance=inst.name)  # the task's options, as its key was made
        row.update(answer)
    row["time"] = time.perf_counter() - started
    return _finished(row)


def timeout_row(task: Task, limit: float, waited: float) -> dict:
    """The row of a run whose worker was killed after its time limit plus the grace period."""
    from optalloc.registry import get_method

    row = _base_row(task, get_method(task.method))
    row.update(status="time_limit", solution_status="none", time=waited,
               failure=f"killed: no answer {waited:.1f} s after the start (time limit {limit:g} s plus grace)")
    return _finished(row)


# ------------------------------------------------------------------ executors
def _worker_main(conn) -> None:
    try:
        load_plugins()
        from optalloc.registry import all_methods

        from optalloc.solve import import_backends

        import_backends(all_methods())  # import every family and backend now: start-up never counts against a limit
        conn.send("ready")
        while True:
            task = conn.recv()
            if task is None:
                break
            conn.send(run_task(task))
    except (EOFError, KeyboardInterrupt):
        pass
    # every row has been sent: skip the interpreter's teardown, which the parent would wait for at every stop
    from optalloc.process import exit_now

    exit_now(0)


class _Worker:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.task: Task | None = None
        self.started = 0.0
        self.ready = False  # set when the process has imported everything and said so

    def give(self, task: Task) -> None:
        self.task, self.started = task, time.perf_counter()
        self.conn.send(task)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.kill()


def run_local(tasks: list[Task], emit, *, jobs: int, time_limit: float | None, grace: float) -> None:
    """jobs == 0 runs in this process (no isolation: a hang is not killed); otherwise `jobs` spawned workers."""
    if jobs == 0:
        for t in tasks:
            emit(run_task(t))
        return
    ctx = mp.get_context("spawn")  # fork after numba/HiGHS threads have started is not safe
    workers = [_Worker(ctx) for _ in range(min(jobs, len(tasks)) or 1)]
    pending = deque(tasks)
    try:
        while pending or any(w.task for w in workers):
            for w in workers:
                if w.ready and w.task is None and pending:
                    w.give(pending.popleft())
            listening = [w for w in workers if w.task is not None or not w.ready]
            ready = wait_for([w.conn for w in listening], timeout=0.25)
            for w in listening:
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        if w.task is None:
                            raise BenchError(f"a worker process died while starting (exit code {w.proc.exitcode})")
                        workers[workers.index(w)] = _Worker(ctx)
                        row = _dead_row(w)
                        w.task = None
                        emit(row)
                        continue
                    if msg == "ready":
                        w.ready = True
                        continue
                    w.task = None
                    emit(msg)
                elif w.task is not None and time_limit is not None and time.perf_counter() - w.started > time_limit + grace:
                    waited = time.perf_counter() - w.started
                    task = w.task
                    w.kill()
                    workers[workers.index(w)] = _Worker(ctx)
                    emit(timeout_row(task, time_limit, waited))
    finally:
        for w in workers:
            w.stop()


def _dead_row(w: _Worker) -> dict:
    w.proc.join(1)
    row = timeout_row(w.task, 0.0, time.perf_counter() - w.started)
    row.update(status="error", failure=f"crash: the worker process died (exit code {w.proc.exitcode})")
    return row


def run_dask(tasks: list[Task], emit, *, scheduler: str) -> None:
    """Run `tasks` on the Dask scheduler at `scheduler`, handing each finished row to `emit`."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise BenchError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as e:
        raise BenchError(f"--scheduler {scheduler}: cannot connect ({e})") from None
    try:
        futures = [client.submit(run_task, t, key=f"optalloc-{hashlib.sha1(t.key.encode()).hexdigest()}",
                                 pure=False) for t in tasks]
        for fut in as_completed(futures):
            emit(fut.result())
    finally:
        client.close()


# ------------------------------------------------------------------ results file
def journal_path(output: Path) -> Path:
    """The journal (JSON Lines, one row per finished run) beside the results file `output`."""
    return output.with_name(output.name + ".journal.jsonl")


def read_rows(path: str | os.PathLike) -> list[dict]:
    """The rows of the results file at `path`: parquet, or a journal (JSON Lines). A parquet file whose
    journal holds more rows (the run was killed between checkpoints) is read from the journal."""
    path = Path(path)
    if path.suffix == ".jsonl":
        rows = _read_journal(path)
        if rows and all(isinstance(r, dict) and "name" in r and "status" in r and "key" not in r for r in rows):
            return [_solve_output_row(r, path, i) for i, r in enumerate(rows)]  # what `solve --output` writes
        if rows and not all(isinstance(r, dict) and "key" in r and "suite" in r for r in rows):
            raise BenchError(f"{path}: neither bench's results nor 'optalloc solve --output' lines (a row has no "
                             f"suite and key, or no name and status)")
        return rows
    j = journal_path(path)
    rows = []
    if path.is_file():
        import pandas as pd

        rows = pd.read_parquet(path).astype(object).where(lambda df: df.notna(), None).to_dict("records")
    if j.is_file():
        jr = _read_journal(j)
        if len(jr) > len(rows):
            return jr
    if not rows and not path.is_file() and not j.is_file():
        raise BenchError(f"{path}: not found")
    return rows


def _solve_output_row(d: dict, path: Path, i: int) -> dict:
    """A line of `optalloc solve/compare --output` (a Result's full dict) as a results row: the file is its suite."""
    from optalloc.result import row_of

    row = dict.fromkeys(ROW_COLUMNS)
    row.update(row_of(d))
    row.update(key=f"{path.stem}/{i}/{d.get('method')}", suite=path.stem, position=f"{path.name}#{i}")
    return row


def _read_journal(path: Path) -> list[dict]:
    rows = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by a kill mid-write: skipped; the rows after it are whole (see bench())
    return rows


def _ends_torn(path: Path) -> bool:
    """Whether a journal's last line lacks its newline (the run was killed mid-write)."""
    size = path.stat().st_size
    if size == 0:
        return False
    with path.open("rb") as fh:
        fh.seek(size - 1)
        return fh.read(1) != b"\n"


def write_parquet(rows: list[dict], path: Path) -> None:
    """Write `rows` (ROW_COLUMNS) to the parquet file `path`, atomically."""
    import io

    import pandas as pd

    from optalloc.files import atomic_write_bytes

    df = pd.DataFrame(rows, columns=list(ROW_COLUMNS))
    for c in ("objective", "bound", "gap", "reference_value", "reference_gap", "time"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    atomic_write_bytes(path, buf.getvalue(), overwrite=True)


# ------------------------------------------------------------------ progress
class Progress:
    """A bar on a terminal (done / total, failures, elapsed); plain lines at most every 2 s otherwise."""

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.total, self.done, self.failures = total, 0, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.enabled = enabled
        self.start = time.perf_counter()
        self.last = 0.0

    def update(self, row: dict) -> None:
        self.done += 1
        self.failures += row.get("failure") is not None and row["status"] in ("error", "time_limit")
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        left = self.total - self.done
        # the time left, from the pace so far (rows finish in parallel: the pace already counts the workers)
        eta = f"about {elapsed / self.done * left:.0f} s left" if left else "done"
        last = f"{row.get('instance')} / {row.get('method')}: {row.get('status')}"
        if self.tty:
            width = 30
            fill = int(width * self.done / max(1, self.total))
            self.stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total}  failures "
                              f"{self.failures}  {elapsed:.0f} s, {eta}  last: {last}"[:150].ljust(100))
            self.stream.flush()
        elif now - self.last >= 2.0 or self.done == self.total:
            self.last = now
            print(f"optalloc bench: {self.done}/{self.total} done, {self.failures} failures, {elapsed:.1f} s, {eta}; "
                  f"last: {last}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


# ------------------------------------------------------------------ the whole run
@dataclass
class RunSummary:
    """What bench returns: the rows (earlier and new), how many ran now and were skipped, the output file and the
    seconds it took."""

    output: Path
    rows: list[dict]
    ran: int
    skipped: int
    seconds: float

    def to_dict(self):
        d = asdict(self)
        d.pop("rows")
        d["output"] = str(self.output)
        return d


def bench(suites: list[Suite], methods: list[str], *, options: dict | None = None, output: str | os.PathLike,
          jobs: int = 1, scheduler: str | None = None, resume: bool = False, force: bool = False,
          grace: float = 10.0, first: int | None = None, progress: bool = True,
          checkpoint_seconds: float = 5.0) -> RunSummary:
    """Run every method of `methods` on every instance of `suites` whose problem it solves, and write one row
    per run (ROW_COLUMNS) to the parquet file `output`, journalled as each finishes.

    `options`: time_limit, threads and seed for every run. `jobs` local worker processes (0: in this process)
    or a Dask `scheduler` address. `resume` skips the rows already in `output`; `force` discards them.
    `grace`: seconds past its time limit after which a silent run is killed and recorded as time_limit.
    `first`: only the first N instances of each suite. `progress`: a progress line on stderr.
    `checkpoint_seconds`: how often the parquet file is rewritten from the journal."""
    load_plugins()
    options = dict(options or {})
    from optalloc.options import SolveOptions

    SolveOptions.from_dict(options)  # a bad option is one error before anything runs, not one per row
    output = Path(output)
    journal = journal_path(output)
    if resume and force:
        raise BenchError("--resume and --force exclude each other: resume keeps the rows, force discards them")
    exists = output.exists() or journal.exists()
    if exists and not (resume or force):
        raise BenchError(f"{output}: already exists; pass --resume to continue that run or --force to start over "
                         f"(nothing was written)")
    if force:
        for p in (output, journal):
            if p.exists():
                p.unlink()
    tasks = make_tasks(suites, methods, options, first)
    rows = read_rows(output) if resume and exists else []
    done = {r["key"] for r in rows}
    todo = [t for t in tasks if t.key not in done]
    output.parent.mkdir(parents=True, exist_ok=True)
    bar = Progress(len(todo), enabled=progress)
    started = time.perf_counter()
    last_checkpoint = [time.perf_counter()]
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    if _ends_torn(journal):
        os.write(fd, b"\n")  # a kill cut the last line: the next row must start on a line of its own

    def emit(row: dict) -> None:
        rows.append(row)
        os.write(fd, (json.dumps(row, allow_nan=False) + "\n").encode())  # one write per row: whole lines
        bar.update(row)
        if time.perf_counter() - last_checkpoint[0] >= checkpoint_seconds:
            write_parquet(rows, output)
            last_checkpoint[0] = time.perf_counter()

    try:
        if scheduler:
            run_dask(todo, emit, scheduler=scheduler)
        else:
            run_local(todo, emit, jobs=jobs, time_limit=options.get("time_limit"), grace=grace)
    finally:
        os.fsync(fd)
        os.close(fd)
        bar.close()
        write_parquet(rows, output)
    return RunSummary(output, rows, len(todo), len(tasks) - len(todo), time.perf_counter() - started)
