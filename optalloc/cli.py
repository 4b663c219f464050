"""The optalloc command line.

Exit codes: 0 every instance solved (a solution came back); 1 no solution, or a limit hit without one;
2 bad input (malformed file, bad field, unknown method or option): one line, no traceback;
3 internal error (a method's answer failed verification); 130 interrupted."""
from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from pathlib import Path

from optalloc.errors import FormatError, OptallocError, OptionError, UnsupportedProblemError, VerificationError
from optalloc.family import families, resolve
from optalloc.terminal import (EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_NO_SOLUTION, EXIT_OK, NON_NEGATIVE,
                               POSITIVE, SECONDS, argument_type, bounded, method_name, percent_text, render)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line and exit 2, like every other bad input
        # prog is "optalloc", "optalloc solve" or "optalloc generate gap": the help of what was typed
        self.exit(EXIT_BAD_INPUT, f"optalloc: error: {message}{self._did_you_mean(message)} "
                                  f"(see '{self.prog} --help')\n")

    def _did_you_mean(self, message: str) -> str:
        """For an unknown flag, the flags of this command it is closest to (edit distance)."""
        import difflib

        m = re.match(r"unrecognized arguments: (.*)", message)
        if not m:
            return ""
        flags = [s for a in self._actions for s in a.option_strings if s.startswith("--")]
        for word in m.group(1).split():
            if word.startswith("-"):
                close = difflib.get_close_matches(word.split("=")[0], flags, n=2, cutoff=0.7)
                if close:
                    return f"; did you mean {' or '.join(close)}?"
        return ""


_METAVARS = {"time_limit": "S", "threads": "N", "rel_gap": "G", "abs_gap": "G", "seed": "K"}


DEFAULT_GRID_LIMIT = 60.0  # compare and bench: a grid of solves gets a limit unless told otherwise


def _time_limit_or_none(q):
    """--time-limit S, or 'none' (no limit: each solve runs until it is proven)."""
    def parse(text: str):
        if text.strip().lower() in ("none", "inf"):
            return None
        return q.parse(text)

    return parse


def _time_limit_parser():
    from optalloc.options import SOLVE_PARAMETERS

    return _time_limit_or_none(next(q for q in SOLVE_PARAMETERS if q.name == "time_limit"))


def _add_declared(p, names=None, **defaults):
    """The flags of the solve options (options.SOLVE_PARAMETERS; `names`: a few of them), help and ranges as
    declared; `defaults` overrides a declared default (compare's and bench's time limit)."""
    from optalloc.options import SOLVE_PARAMETERS

    for q in SOLVE_PARAMETERS:
        if names is not None and q.name not in names:
            continue
        default = defaults.get(q.name, q.default)
        shown = "none" if default is None else f"{default:g}" if isinstance(default, float) else default
        parse = _time_limit_or_none(q) if q.name == "time_limit" else q.parse
        p.add_argument("--" + q.name.replace("_", "-"), type=argument_type(parse), default=default,
                       metavar=_METAVARS.get(q.name), help=f"{q.help} (default {shown})")


def _add_solve_options(p, **defaults):
    _add_declared(p, **defaults)
    p.add_argument("--verbose", action="store_true", help="show the backend's log on stderr")
    p.add_argument("--log-file", metavar="PATH", help="write the backend's log here")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="backend-native option, applied last (repeatable)")
    p.add_argument("--output", metavar="FILE", help="also write the results as JSON Lines (atomically)")
    p.add_argument("--force", action="store_true", help="overwrite --output if it exists")


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser, with one sub-command per generator and reader option the families declare."""
    ap = _Parser(prog="optalloc", description="Allocation problems, solved exactly or heuristically, every answer "
                                              "certified. Exit codes: 0 solved, 1 no solution, 2 bad input, "
                                              "3 internal error.")
    ap.add_argument("--version", action="version", version=_version())
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ap.commands = sub.choices  # command name -> its parser (main() lets it report a flag it does not know)

    _add_instance_commands(sub)
    _add_family_and_library_commands(sub)
    _add_benchmark_commands(sub)
    return ap


def _add_instance_commands(sub) -> None:
    """solve, compare, validate, convert and generate: the commands that read or make instance files."""
    p = sub.add_parser("solve", help="solve every instance of a file with one method")
    p.add_argument("file", help="an instance file, or - for standard input")
    p.add_argument("--from", dest="src_format", metavar="READER",
                   help="read a public format (default: optalloc JSON, or the format the file name makes certain)")
    p.add_argument("--method", "-m", type=method_name,
                   help="family.method (default: the first exact method for the problem)")
    p.add_argument("--json", action="store_true", help="one JSON object per instance")
    _add_solve_options(p)
    _add_reader_options(p)

    p = sub.add_parser("compare", help="solve with several methods and print one gap table")
    p.add_argument("files", nargs="+", help="instance files (optalloc JSON or JSON Lines, or a public format)")
    p.add_argument("--from", dest="src_format", metavar="READER",
                   help="read a public format (default: optalloc JSON, or the format the file name makes certain)")
    p.add_argument("--methods", required=True, help="comma-separated family.method names")
    p.add_argument("--json", action="store_true", help="one JSON object per instance and method")
    _add_solve_options(p, time_limit=DEFAULT_GRID_LIMIT)
    _add_reader_options(p)

    p = sub.add_parser("validate", help="check a file against the instance format")
    p.add_argument("file", help="an instance file (optalloc JSON or JSON Lines, or a public format)")
    p.add_argument("--from", dest="src_format", metavar="READER",
                   help="read a public format (default: optalloc JSON, or the format the file name makes certain)")
    _add_reader_options(p)

    p = sub.add_parser("convert", help="convert a public format to optalloc JSONL, or back")
    p.add_argument("--from", dest="src_format", help="public format to read: " + ", ".join(_formats()))
    p.add_argument("--to", dest="dst_format", help="public format to write from an optalloc file")
    p.add_argument("input", help="the file to read")
    p.add_argument("output", help="the file to write (optalloc JSON Lines, or the --to format)")
    p.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    _add_reader_options(p)

    p = sub.add_parser("generate", help="seeded instance generators (each family declares its own)")
    gens = p.add_subparsers(dest="generator", metavar="GENERATOR", required=True)
    for g in _generators():
        q = gens.add_parser(g.name, help=g.help, description=g.help)
        q.add_argument("output", help="the JSON Lines file to write")
        for param in g.params:
            if param.flag:
                q.add_argument(f"--{param.name}", action="store_true", help=param.help)
                continue
            default = param.default
            shown = ",".join(map(str, default)) if isinstance(default, list) else default
            q.add_argument(f"--{param.name}", type=argument_type(param.parse), default=None,
                           choices=param.choices or None, help=f"{param.help} (default {shown})")
        if g.seeded:
            q.add_argument("--seed", type=int, default=0, help="seed of the first instance (default 0)")
            q.add_argument("--count", type=POSITIVE, default=1, help="instances (seeds seed..seed+count-1)")
        q.add_argument("--force", action="store_true", help="overwrite the output if it exists")


def _add_family_and_library_commands(sub) -> None:
    """The families' own commands (Family.commands), methods, allocate and export."""
    for fam in families().values():  # the families' own commands (Family.commands): quantize is bitalloc's
        for command in fam.commands:
            p = sub.add_parser(command.name, help=command.help)
            resolve(command.arguments)(p)
            p.set_defaults(run=command.run)

    p = sub.add_parser("methods", help="list the registered methods and whether they are available")
    p.add_argument("--problem", help="only methods for this problem kind")
    p.add_argument("--describe", metavar="METHOD", type=method_name,
                   help="one method in full: its family, capabilities and --option parameters")
    p.add_argument("--wide", action="store_true", help="one line per method, however long (default: fit 100 columns)")
    p.add_argument("--json", action="store_true", help="one JSON object per method")

    p = sub.add_parser("allocate", help="one level per unit within a budget, from a CSV table of (unit, level, cost, "
                                        "value) rows")
    p.add_argument("table", help="a CSV file with a header row")
    p.add_argument("--budget", type=float, action="append", required=True, metavar="B",
                   help="the budget (repeat it, with --cost, for several budgets)")
    p.add_argument("--unit", default="unit", metavar="COLUMN", help="the unit's column (default unit)")
    p.add_argument("--level", default="level", metavar="COLUMN", help="the level's column (default level)")
    p.add_argument("--cost", action="append", metavar="COLUMN",
                   help="a cost column, one per --budget (default cost)")
    p.add_argument("--value", default="value", metavar="COLUMN", help="the value's column (default value)")
    p.add_argument("--min", dest="sense", action="store_const", const="min", default="max",
                   help="minimise the total value (default: maximise)")
    p.add_argument("--method", "-m", type=method_name, help="force a method (default: chosen, and said)")
    p.add_argument("--time-limit", type=argument_type(_time_limit_parser()), default=60.0, metavar="S",
                   help="seconds for the whole solve (default 60; none: no limit)")
    p.add_argument("--output", metavar="FILE", help="also write the chosen rows as CSV")
    p.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    p.add_argument("--json", action="store_true", help="the answer as one JSON object")


def _add_benchmark_commands(sub) -> None:
    """suites, bench and report (the benchmark grid and what it writes), then export (a method's model as a
    file)."""
    p = sub.add_parser("suites", help="list the benchmark suites of the manifest")
    p.add_argument("--manifest", metavar="FILE", help="default: instances/MANIFEST.json")
    p.add_argument("--json", action="store_true", help="one JSON object per suite")

    p = sub.add_parser("bench", help="run suites x methods (local pool or Dask), append rows, optionally check",
                       epilog="exit codes: 0 every run ended without error (and --check found no regression); 1 a run "
                              "failed (status error: the method raised, its answer failed verification or its "
                              "worker died; listed on stderr), or --check found a regression; 2 bad input; 130 Ctrl-C")
    p.add_argument("suites", nargs="+", metavar="SUITE", help="a suite of the manifest, or an instance file")
    p.add_argument("--from", dest="src_format", metavar="READER",
                   help="the public format of SUITE files (default: optalloc JSON, or what the file name makes certain)")
    p.add_argument("--methods", required=True, help="comma-separated family.method names")
    _add_declared(p, ("time_limit", "seed", "threads"), time_limit=DEFAULT_GRID_LIMIT)
    p.add_argument("--jobs", type=bounded(int, 0, 1024, what="a number of worker processes from 0 to 1024"),
                   default=1, metavar="N", help="local worker processes (0: in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask distributed scheduler instead")
    p.add_argument("--output", metavar="FILE", help="results parquet (default runs/bench-<time>.parquet)")
    p.add_argument("--resume", action="store_true", help="continue the run in --output, skipping finished rows")
    p.add_argument("--force", action="store_true", help="discard an existing --output and start over")
    p.add_argument("--grace", type=SECONDS, default=10.0, metavar="S",
                   help="a run silent this long past its time limit is killed and recorded as time_limit")
    p.add_argument("--first", type=POSITIVE, metavar="N", help="only the first N instances of each suite")
    p.add_argument("--check", action="store_true", help="exit 1 when the run shows a regression (see docs)")
    p.add_argument("--baseline", metavar="FILE", help="with --check: an earlier results file to compare against")
    p.add_argument("--tolerance", type=NON_NEGATIVE, default=1e-3, metavar="G",
                   help="with --baseline: allowed rise of a heuristic's mean gap (absolute; default 0.001)")
    p.add_argument("--manifest", metavar="FILE", help="the suites manifest (default: the bundled instances/MANIFEST.json)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    _add_reader_options(p)

    p = sub.add_parser("report", help="gap tables, performance profiles, plots and an HTML page of a run")
    p.add_argument("run", help="results parquet (or its journal .jsonl)")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="the folder to write the report into")
    p.add_argument("--check", action="store_true", help="include the regression check in the page")
    p.add_argument("--tolerance", type=NON_NEGATIVE, default=1e-4, metavar="G",
                   help="a run within G (relative) of the instance's reference counts as solved, as does a proven "
                        "optimum (default 1e-4)")
    p.add_argument("--force", action="store_true", help="overwrite the report's files if they exist")

    p = sub.add_parser("export", help="write the LP/MIP a method solves as .mps or .lp")
    p.add_argument("file", help="an instance file; the first instance (or --instance) is exported")
    p.add_argument("model_file", help="output path ending in .mps or .lp")
    p.add_argument("--method", "-m", default="knapsack.mip", help="the method whose model is written (default knapsack.mip)")
    p.add_argument("--instance", help="name of the instance when the file holds several (default: the first)")
    p.add_argument("--relax", action="store_true", help="write the LP relaxation")
    p.add_argument("--force", action="store_true", help="overwrite the model file if it exists")


def _version() -> str:
    from optalloc import __version__

    return f"optalloc {__version__}"


def _generators():
    from optalloc.family import generators

    return sorted(generators().values(), key=lambda g: g.name)


def _formats() -> list[str]:
    from optalloc.instances.readers import format_names

    return format_names()


# ------------------------------------------------------------------ commands
def _options(args):
    from optalloc.options import SolveOptions

    native = {}
    for item in args.option:
        if "=" not in item:
            raise OptionError(f"--option {item!r}: must be KEY=VALUE")
        k, v = item.split("=", 1)
        native[k] = _parse_value(v)
    return SolveOptions(time_limit=args.time_limit, threads=args.threads, rel_gap=args.rel_gap, abs_gap=args.abs_gap,
                        seed=args.seed, verbose=args.verbose, log_file=args.log_file, backend_options=native)


def _parse_value(text: str):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            continue  # not this type; try the next, then booleans and strings
    return {"true": True, "false": False}.get(text.lower(), text)


def _add_reader_options(p):
    """Each option a reader declares (Format.options) as a flag: --sense for a GAP file, --jobs for a wt file."""
    from optalloc.instances.readers import reader_options

    declared = reader_options()
    if not declared:
        return
    from optalloc.family import FamilyError

    g = p.add_argument_group("reader options (each taken by the formats named)")
    for name, takers in declared.items():
        param, fmts = takers[0][1], [f for f, _ in takers]
        dest = "reader_" + name.replace("-", "_")
        kw = (dict(action="store_true") if param.flag else
              dict(type=argument_type(param.parse), default=None, choices=param.choices or None,
                   metavar=None if param.choices else name.upper().replace("-", "_")))
        described = "; ".join(f"{f}: {q.help}" + ("" if q.default is None else f" (default {q.default})")
                              for f, q in takers)
        try:
            g.add_argument(f"--{name}", dest=dest, help=described, **kw)
        except argparse.ArgumentError:
            raise FamilyError(f"reader option --{name} of {', '.join(fmts)} clashes with the flag --{name} of "
                              f"'{p.prog}': rename the option") from None


def _reader_options(args) -> dict:
    """The reader options given on the command line: flag name -> value (None when not given)."""
    return {k[len("reader_"):].replace("_", "-"): v for k, v in vars(args).items() if k.startswith("reader_")}


def _reader(args):
    """--from, checked before anything is read or solved: a format some family declares."""
    from optalloc.instances.readers import check_format

    fmt = getattr(args, "src_format", None)
    return None if fmt is None else check_format(fmt)


def _run_grid(files, method_names, opts, emit, fmt=None, reader_options=None):
    """Solve every instance of every file with every method; emit each result as it finishes."""
    from optalloc.instances import load
    from optalloc.registry import default_method, get_method
    from optalloc.solve import solve

    from optalloc.interrupt import Interrupted
    from optalloc.options import SolveOptions
    from optalloc.registry import check_usable
    from optalloc.solve import check_options, failed_result

    instances = [inst for f in files for inst in load(f, fmt, reader_options)]
    methods = [get_method(m) for m in method_names] if method_names else None
    for m in methods or []:
        # A method runs on the instances whose problem it solves; one that solves none of them is an error.
        usable = [inst for inst in instances if m.accepts(inst.problem)]
        check_usable(m, (usable or instances)[0].problem)  # fail before solving anything
    for m in {m.name: m for m in methods or [default_method(inst.problem) for inst in instances]}.values():
        check_options(m, opts)
    emit.start(instances, methods or [default_method(inst.problem) for inst in instances])
    results = []
    for inst in instances:
        for m in methods or [default_method(inst.problem)]:
            if not m.accepts(inst.problem):
                emit.skipped[m.name][inst.problem] += 1
                continue
            started = time.perf_counter()
            try:
                with _StatusLine(inst.name, m.name):
                    r = solve(inst, m, opts)
            except Interrupted as e:
                # Ctrl-C: the interrupted run's answer is a row too; no further instance starts
                if e.result is not None:
                    results.append(e.result)
                    emit(e.result)
                raise
            except VerificationError as e:
                # a bug in one method on one instance: its row says so, the other rows still run and are written
                print(f"optalloc: internal error: {e}", file=sys.stderr)
                r = failed_result(inst, m, SolveOptions.from_dict(opts.to_dict()), e, time.perf_counter() - started)
            except UnsupportedProblemError as e:
                if len(methods or []) <= 1:
                    raise
                print(f"optalloc: skipped {m.name} on {inst.name}: {e}", file=sys.stderr)
                continue
            results.append(r)
            emit(r)
    return results


def cmd_solve(args) -> int:
    """optalloc solve: every instance of a file with one method; `args` as parsed."""
    opts = _options(args)
    out = _Collector(args)
    results = out.run([args.file], [args.method] if args.method else None, opts)
    return out.finish(results)


def cmd_compare(args) -> int:
    """optalloc compare: every instance of the files with several methods, one gap table; `args` as parsed."""
    opts = _options(args)
    names = [m.strip() for m in args.methods.split(",") if m.strip()]
    out = _Collector(args)
    results = out.run(args.files, names, opts)
    if not args.json:
        print()
        print(_summary(results, names))
        limit = "none" if opts.time_limit is None else f"{opts.time_limit:g} s"
        print(f"time limit: {limit} per instance and method (--time-limit)")
    where = sys.stdout if not args.json else sys.stderr
    skipped = {m: kinds for m, kinds in sorted(out.skipped.items())}  # the pairs a grid skips are said, not hidden
    if len(skipped) > 4:  # a file of many kinds with each kind's methods: one line, not one per method
        print(f"not run: {sum(sum(k.values()) for k in skipped.values())} method/instance pairs whose kind the "
              f"method does not solve ({len(skipped)} methods each ran on its own kinds only)", file=where)
    else:
        for method, kinds in skipped.items():
            print(f"not run: {method} on {sum(kinds.values())} instance(s) of kinds it does not solve "
                  f"({', '.join(sorted(kinds))})", file=where)
    return out.finish(results)


class _Collector:
    """Prints each result as it finishes (a JSON line, or a table row); on Ctrl-C writes what finished to
    --output before exiting."""

    def __init__(self, args):
        self.args = args
        self.done = []
        self.table = None
        # method -> problem kind -> instances of that kind it did not run on (it does not solve the kind)
        self.skipped: collections.defaultdict = collections.defaultdict(collections.Counter)
        if args.output:
            from optalloc.files import check_output_target

            check_output_target(args.output, overwrite=args.force)  # before any solve: no work is lost

    def start(self, instances, methods):
        if not self.args.json:
            self.table = _StreamTable(max((len(i.name) for i in instances), default=8),
                                      max((len(m.name) for m in methods), default=6))
            print(self.table.header(), flush=True)

    def __call__(self, r):
        self.done.append(r)
        if self.args.json:
            print(r.to_json(), flush=True)
        else:
            print(self.table.row(r), flush=True)

    def run(self, files, methods, opts):
        if opts.time_limit is None and sys.stderr.isatty():
            # an exact method without a limit runs until it proves optimality, which can take long: say so
            print("optalloc: no --time-limit: each solve runs until it is proven; Ctrl-C stops it and keeps the best "
                  "answer so far", file=sys.stderr)
        try:
            return _run_grid(files, methods, opts, self, _reader(self.args), _reader_options(self.args))
        except KeyboardInterrupt:
            self._write()
            raise

    def _write(self):
        if self.args.output and self.done:
            from optalloc.files import atomic_write_text

            atomic_write_text(self.args.output, "".join(r.to_json(full=True) + "\n" for r in self.done),
                              overwrite=self.args.force)

    def finish(self, results) -> int:
        self._write()
        if any(r.extra.get("verification_failed") for r in results):
            return EXIT_INTERNAL
        return EXIT_OK if all(r.has_solution or str(r.status) == "infeasible" for r in results) and \
            not any(str(r.status) == "error" for r in results) else EXIT_NO_SOLUTION


def _fmt_num(x) -> str:
    if x is None:
        return "-"
    f = float(x)
    return f"{int(f)}" if f.is_integer() and abs(f) < 1e15 else f"{f:.6g}"


class _StatusLine:
    """On a terminal, while one solve runs longer than a second: a line on stderr with the instance, the method,
    the seconds elapsed and, when the method reports them, its incumbent and bound so far (optalloc.trace);
    erased before the result's row is printed. Nothing when stderr is not a terminal."""

    DELAY, EVERY = 1.0, 0.5

    def __init__(self, instance: str, method: str):
        self.what = f"{instance} / {method}"
        self.thread = None

    def __enter__(self):
        import threading

        if sys.stderr.isatty():
            self.stop = threading.Event()
            self.start = time.perf_counter()
            self.shown = False
            self.thread = threading.Thread(target=self._show, daemon=True, name="optalloc-status")
            self.thread.start()
        return self

    def _show(self):
        from optalloc import trace

        if self.stop.wait(self.DELAY):
            return
        while True:
            seen = trace.newest()
            so_far = "" if seen is None else "".join(
                f", {label} {_fmt_num(v)}" for label, v in zip(("incumbent", "bound"), seen) if v is not None)
            line = f"  solving {self.what}: {time.perf_counter() - self.start:.0f} s{so_far}  (Ctrl-C keeps the best)"
            sys.stderr.write("\r" + line[:160].ljust(80))
            sys.stderr.flush()
            self.shown = True
            if self.stop.wait(self.EVERY):
                return

    def __exit__(self, *exc):
        if self.thread is not None:
            self.stop.set()
            self.thread.join()
            if self.shown:
                sys.stderr.write("\r" + " " * 160 + "\r")
                sys.stderr.flush()
        return False


class _StreamTable:
    """The results table, one row printed as each solve finishes: column widths are fixed up front (a long
    instance-set run shows its rows as they come, not all at the end)."""

    HEAD = ["instance", "method", "status", "objective", "bound", "gap", "reference", "ref gap", "time s"]

    def __init__(self, name_width: int, method_width: int):
        self.widths = [max(8, name_width), max(6, method_width), 12, 14, 14, 9, 12, 9, 8]

    def _line(self, cells) -> str:
        return "  ".join(c.rjust(w) if i >= 3 and i != 6 else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, self.widths))).rstrip()

    def header(self) -> str:
        return self._line(self.HEAD) + "\n" + self._line(["-" * w for w in self.widths])

    def row(self, r) -> str:
        ref = r.reference or {}
        return self._line([r.name, r.method, str(r.status), _fmt_num(r.objective), _fmt_num(r.bound),
                           percent_text(r.gap), ref.get("verdict", "-"), percent_text(ref.get("gap")), f"{r.time:.3f}"])


def _summary(results, names) -> str:
    import math

    head = ["method", "runs", "with solution", "solved", "proven optimal", "mean gap", "max gap", "ref reproduced",
            "mean ref gap", "total time s"]
    rows = []
    for name in names:
        rs = [r for r in results if r.method == name]
        gaps = [r.gap for r in rs if r.gap is not None and math.isfinite(r.gap)]
        refs = [r.reference for r in rs if r.reference]
        ref_gaps = [x["gap"] for x in refs if x.get("gap") is not None]
        rows.append([name, str(len(rs)), str(sum(r.has_solution for r in rs)), str(sum(r.solved() for r in rs)),
                     str(sum(str(r.status) == "optimal" for r in rs)),
                     percent_text(sum(gaps) / len(gaps)) if gaps else "-", percent_text(max(gaps)) if gaps else "-",
                     f"{sum(x['verdict'] == 'reproduced' for x in refs)}/{len(refs)}" if refs else "-",
                     percent_text(sum(ref_gaps) / len(ref_gaps)) if ref_gaps else "-",
                     f"{sum(r.time for r in rs):.3f}"])
    text = render(head, rows) + "\nsolved: proven optimal, or within 1e-4 (relative) of the instance's reference"
    margins: dict = {}
    for r in results:
        if str(r.status) == "gap_limit" and r.extra.get("optimality_tolerance"):
            margins[r.method] = max(margins.get(r.method, 0.0), r.extra["optimality_tolerance"])
    for name, margin in margins.items():  # a gap limit nobody asked for: say whose it is
        text += (f"\n{name}: gap_limit without a gap option: its backend proves only to within a margin of its own "
                 f"(up to {margin:.3g} here, absolute), and the bound says so")
    return text


def cmd_validate(args) -> int:
    """optalloc validate: read a file and check it against the instance format; `args` as parsed."""
    from optalloc.instances import load

    insts = load(args.file, _reader(args), _reader_options(args))
    for inst in insts:
        size = ", ".join(f"{k}={v}" for k, v in inst.spec.size(inst.data).items())
        ref = f", reference {inst.reference.kind} {_fmt_num(inst.reference.value)}" if inst.reference else ""
        print(f"ok  {inst.name}  {inst.problem} ({size}{ref})")
    print(f"{len(insts)} instance(s) valid")
    return EXIT_OK


def cmd_convert(args) -> int:
    """optalloc convert: a public format to optalloc JSONL (--from) or back (--to); `args` as parsed."""
    from optalloc.instances import load, save
    from optalloc.instances.readers import write

    if bool(args.src_format) == bool(args.dst_format):
        raise OptionError("convert: give exactly one of --from FORMAT (public -> optalloc) or --to FORMAT "
                          "(optalloc -> public)")
    if args.src_format:
        insts = load(args.input, args.src_format, _reader_options(args))
        save(insts, args.output, overwrite=args.force)
    else:
        insts = load(args.input, None, _reader_options(args))
        write(args.dst_format, insts, args.output, overwrite=args.force)
    print(f"wrote {len(insts)} instance(s) to {args.output}", file=sys.stderr)
    return EXIT_OK


def _describe(m, as_json: bool) -> int:
    from optalloc.problems import family_of

    families = sorted({family_of(p).name for p in m.problems})
    capabilities = [name for name, on in (("export as a linear model", m.linear_model is not None),
                                          ("export as a CP-SAT model", m.cp_model is not None),
                                          ("may return an infeasible point", m.may_return_infeasible)) if on]
    if m.parameters is None:
        options = f"the {m.backend} backend's own options (--option name=value, checked by the backend)"
    else:
        options = [{"name": p.name, "type": p.type.__name__, "default": p.default, "help": p.help, "lo": p.lo,
                    "hi": p.hi, "accepted": p.accepted()} for p in m.parameters]
    doc = {"name": m.name, "kind": m.kind, "family": families, "backend": m.backend, "problems": list(m.problems),
           "available": m.available(), "description": m.description, "capabilities": capabilities,
           "skips_cases_tagged": list(m.excludes), "options": options}
    if as_json:
        print(json.dumps(doc))
        return EXIT_OK
    print(f"{m.name} ({m.kind}, {', '.join(families)} family): {m.description}")
    print(f"  backend     {m.backend}{'' if m.available() else ' (not installed: needs ' + ', '.join(m.missing()) + ')'}")
    print(f"  problems    {', '.join(m.problems)}")
    if capabilities:
        print(f"  can         {'; '.join(capabilities)}")
    if isinstance(options, str):
        print(f"  options     {options}")
    elif not options:
        print("  options     none")
    else:
        print("  options     (--option name=value)")
        width = max(len(o["name"]) for o in options)
        for o in options:
            default = "chosen by the method" if o["default"] is None else o["default"]
            accepted = f" ({o['accepted']})" if o["accepted"] else ""
            print(f"    {o['name'].ljust(width)}  {o['type']:<5}  default {default}{accepted}: {o['help']}")
    return EXIT_OK


def cmd_generate(args) -> int:
    """optalloc generate GENERATOR: seeded instances of a declared generator; `args` as parsed."""
    from optalloc.family import generators
    from optalloc.instances import save
    from optalloc.instances.generators import generate

    g = generators()[args.generator]
    params = {p.name: getattr(args, p.name) for p in g.params}
    seeding = {"seed": args.seed, "count": args.count} if g.seeded else {}
    try:
        insts = generate(args.generator, **seeding, **params)
    except ValueError as e:
        if isinstance(e, OptionError):
            raise
        raise OptionError(f"generate {args.generator}: {e}") from None
    save(insts, args.output, overwrite=args.force)
    print(f"wrote {len(insts)} instance(s) to {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_methods(args) -> int:
    """optalloc methods: the registered methods, or one in full (--describe); `args` as parsed."""
    from optalloc.problems import get_problem
    from optalloc.registry import all_methods, get_method

    if args.describe:
        return _describe(get_method(args.describe), args.json)
    if args.problem:
        get_problem(args.problem, "--problem")  # an unknown kind is a one-line error listing the kinds
    ms = [m for m in all_methods() if not args.problem or m.accepts(args.problem)]
    if args.json:
        for m in ms:
            print(json.dumps({"name": m.name, "kind": m.kind, "backend": m.backend, "problems": list(m.problems),
                              "available": m.available(), "description": m.description}))
        return EXIT_OK
    rows = [[m.name, m.kind, m.backend, "yes" if m.available() else f"no (needs {', '.join(m.missing())})",
             ", ".join(m.problems), m.description] for m in ms]
    head = ["method", "kind", "backend", "available", "problems", "description"]
    if args.wide:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
        print("  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        return EXIT_OK
    # 100 columns: the method, its kind, backend and problems on one line, its description wrapped below
    import textwrap

    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head[:3])]
    print("  ".join(h.ljust(w) for h, w in zip(head[:3], widths)) + "  problems (available unless said)")
    for r in rows:
        left = "  ".join(c.ljust(w) for c, w in zip(r[:3], widths))
        problems = r[4] + ("" if r[3] == "yes" else f"; {r[3]}")
        print(textwrap.fill(problems, 100, initial_indent=left + "  ", subsequent_indent=" " * (len(left) + 2)))
        print(textwrap.fill(r[5], 100, initial_indent="    ", subsequent_indent="    "))
    print("\n'optalloc methods --describe METHOD' shows one in full; --wide, one line per method")
    return EXIT_OK


def cmd_export(args) -> int:
    """optalloc export: the LP/MIP (or CP-SAT model) a method solves, written as a file; `args` as parsed."""
    from optalloc.instances import load
    from optalloc.registry import check_usable, get_method

    insts = load(args.file)
    if args.instance:
        insts = [i for i in insts if i.name == args.instance]
        if not insts:
            raise OptionError(f"--instance {args.instance!r}: no instance of that name in {args.file}")
    inst = insts[0]
    m = get_method(args.method)
    check_usable(m, inst.problem)
    builder = m.linear_model
    if builder is None and m.cp_model is not None:
        return _export_cp(m, inst, args)
    if builder is None:
        from optalloc.registry import methods_for

        exportable = [x.name for x in methods_for(inst.problem) if x.linear_model is not None or x.cp_model is not None]
        raise UnsupportedProblemError(f"method {m.name} does not solve an LP/MIP; export one that does: "
                                      f"{', '.join(exportable) or 'none solves ' + inst.problem}")
    lm = builder(inst)
    if args.relax:
        lm = lm.relaxed()
    lm.write(args.model_file, overwrite=args.force)
    rows, cols = lm.shape
    print(f"wrote {args.model_file}: {cols} columns ({int(lm.integer.sum())} integer), {rows} rows", file=sys.stderr)
    return EXIT_OK


def _export_cp(m, inst, args) -> int:
    """A CP-SAT model as its protobuf text (.pbtxt) or binary (.pb), written atomically."""
    import os
    import tempfile

    from optalloc.files import atomic_write_bytes

    suffix = Path(args.model_file).suffix.lower()
    if suffix not in (".pbtxt", ".pb"):
        raise OptionError(f"{args.model_file}: a CP-SAT model file must end in .pbtxt (text) or .pb (binary)")
    model = m.cp_model(inst)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model" + (".pb.txt" if suffix == ".pbtxt" else ".pb"))
        model.ExportToFile(path)
        atomic_write_bytes(args.model_file, Path(path).read_bytes(), overwrite=args.force)
    stats = model.Proto()
    print(f"wrote {args.model_file}: CP-SAT model, {len(stats.variables)} variables, {len(stats.constraints)} "
          "constraints", file=sys.stderr)
    return EXIT_OK


def cmd_suites(args) -> int:
    """optalloc suites: the manifest's suites and whether their files are here; `args` as parsed."""
    from optalloc.bench.suites import load_manifest

    suites = load_manifest(args.manifest)
    if args.json:
        for s in suites.values():
            print(json.dumps({"name": s.name, "origin": s.origin, "available": s.available, "reader": s.reader,
                              "files": [str(f) for f in s.files], "instances": s.declared,
                              "reference_kind": s.reference_kind, "provenance": s.provenance}))
        return EXIT_OK
    rows = [[s.name, s.origin, "yes" if s.available else f"no ({s.unsupported or 'needs ../shared/data'})", s.reader,
             str(len(s.files)), "-" if s.declared is None else str(s.declared), s.reference_kind]
            for s in suites.values()]
    print(render(["suite", "origin", "available", "reader", "files", "instances", "reference"], rows))
    return EXIT_OK


def cmd_bench(args) -> int:
    """optalloc bench: suites x methods, rows to parquet, optionally checked; `args` as parsed."""
    import time

    from optalloc.bench import bench, check, read_rows, resolve

    suites = resolve(args.suites, args.manifest, reader=_reader(args), reader_options=_reader_options(args))
    names = [m.strip() for m in args.methods.split(",") if m.strip()]
    opts = _bench_options(args)
    output = args.output or f"runs/bench-{time.strftime('%Y%m%d-%H%M%S')}.parquet"
    from optalloc.files import check_output_target

    check_output_target(output, overwrite=True)  # a folder, or an unwritable place, fails before any run
    baseline = read_rows(args.baseline) if args.baseline else None
    run = bench(suites, names, options=opts, output=output, jobs=args.jobs, scheduler=args.scheduler,
                resume=args.resume, force=args.force, grace=args.grace, first=args.first, progress=not args.quiet)
    from optalloc.bench.report import TABLE_HEAD, gap_table

    print(render(TABLE_HEAD, gap_table(run.rows)))
    print(f"{run.ran} run(s) now, {run.skipped} already in {run.output}; {run.seconds:.1f} s")
    from optalloc.bench.report import failed

    bad = [r for r in run.rows if failed(r)]
    for r in bad[:5]:
        print(f"failed: {r['method']} on {r['suite']}/{r['position']}: {r.get('failure') or 'error'}", file=sys.stderr)
    if bad:
        print(f"optalloc bench: {len(bad)} of {len(run.rows)} run(s) failed (status error); exit 1"
              + (f"; {len(bad) - 5} more in {run.output}" if len(bad) > 5 else ""), file=sys.stderr)
    ok = not bad
    if args.check:
        rep = check(run.rows, baseline, args.tolerance)
        print(rep.render())
        ok = ok and rep.ok
    return EXIT_OK if ok else EXIT_NO_SOLUTION


def _bench_options(args) -> dict:
    from optalloc.options import SolveOptions

    opts = SolveOptions(time_limit=args.time_limit, threads=args.threads, seed=args.seed)  # validated when set
    return {k: v for k, v in opts.to_dict().items() if k in ("time_limit", "threads", "seed")}


def cmd_allocate(args) -> int:
    """optalloc allocate: one level per unit of a CSV table within the budget(s); `args` as parsed."""
    from pathlib import Path

    import pandas as pd

    from optalloc.allocation import allocate
    from optalloc.files import atomic_write_text, check_output_target

    if args.output:
        check_output_target(args.output, overwrite=args.force)  # before solving: no work is lost
    path = Path(args.table)
    if not path.is_file():
        raise FormatError("file", "cannot be read (no such file, or not a file)", source=str(path))
    try:
        df = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise FormatError("file", f"is not a CSV table ({str(e).splitlines()[0]})", source=str(path)) from None
    costs = args.cost or ["cost"]
    plan = allocate(df, args.budget if len(args.budget) > 1 else args.budget[0], unit=args.unit, level=args.level,
                    cost=costs if len(costs) > 1 else costs[0], value=args.value, sense=args.sense,
                    method=args.method, time_limit=args.time_limit, name=path.stem)
    r = plan.result
    if args.json:
        print(json.dumps({"status": str(r.status), "value": plan.value, "bound": plan.bound, "gap": plan.gap,
                          "budget_used": plan.budget_used, "marginal_value": plan.marginal_value,
                          "method": plan.method, "why": plan.why,
                          "table": None if plan.table is None else plan.table.to_dict("records")}))
    else:
        print(f"{path.name}: {r.status}, value {_fmt_num(plan.value)}, bound {_fmt_num(plan.bound)}, gap "
              f"{percent_text(plan.gap)}; budget used "
              f"{', '.join(_fmt_num(u) for u in plan.budget_used) or '-'} of {', '.join(_fmt_num(b) for b in args.budget)}; "
              f"marginal value {', '.join(_fmt_num(m) for m in plan.marginal_value)}")
        print(f"method {plan.method}: {plan.why}")
        if plan.table is not None:
            print(plan.table.to_string(index=False, max_rows=40))
    if args.output and plan.table is not None:
        atomic_write_text(args.output, plan.table.to_csv(index=False), overwrite=args.force)
    return EXIT_OK if r.has_solution or str(r.status) == "infeasible" else EXIT_NO_SOLUTION


def cmd_report(args) -> int:
    """optalloc report: tables, figures and an HTML page of a bench run; `args` as parsed."""
    from optalloc.bench import check, read_rows, write_report

    rows = read_rows(args.run)
    text = check(rows).render() if args.check else None
    written = write_report(rows, args.out, source=str(args.run), check_text=text, force=args.force,
                           tolerance=args.tolerance)
    for p in written.values():
        print(p)
    return EXIT_OK


COMMANDS = {"allocate": cmd_allocate, "solve": cmd_solve, "compare": cmd_compare, "validate": cmd_validate, "convert": cmd_convert,
            "generate": cmd_generate, "methods": cmd_methods, "export": cmd_export, "suites": cmd_suites,
            "bench": cmd_bench, "report": cmd_report}


def main(argv=None) -> int:
    """The command line: parse `argv` (default sys.argv), run the command, map errors to exit codes (2 bad input, 1
    no solution, 3 internal error, 130 Ctrl-C)."""
    import os


    try:
        parser = build_parser()  # finds the families: a broken plugin is reported here
    except OptallocError as e:
        print(f"optalloc: error: {e}", file=sys.stderr)
        return e.exit_code
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command's own parser, which knows its flags (and the one a typo meant)
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        run = COMMANDS.get(args.command) or resolve(args.run)  # a family's command: its declared run function
        return run(args)
    except OptallocError as e:
        print(f"optalloc: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("optalloc: interrupted; finished results were written", file=sys.stderr)
        if argv is None:  # the program itself, not a caller in Python: 0.1 s to the prompt instead of 0.7
            from optalloc.process import exit_now

            exit_now(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as e:  # a bug, not bad input: one line (OPTALLOC_DEBUG=1 shows the traceback), exit 3
        if os.environ.get("OPTALLOC_DEBUG"):
            raise
        print(f"optalloc: internal error: {type(e).__name__}: {e} (a bug; rerun with OPTALLOC_DEBUG=1 for the "
              f"traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
