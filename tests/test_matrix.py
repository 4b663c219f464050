"""The conformance matrix: every registered method, on the known-answer cases of every problem kind it solves,
through every context a user runs it in: the Python API, a thread pool with several solves at once, a
multiprocessing.Pool (daemonic workers), the command line (optalloc compare), bench with two local workers,
bench on a Dask LocalCluster of 2 workers x 2 threads, and a Jupyter kernel. Every context must give the same
certified answer as the API: the same status and the same objective (exact methods: the known optimum).

The cells are grouped so that each context starts once (one CLI call, one pool, one cluster, one kernel): a few
seconds each for some 210 (method, case) cells."""
from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from optalloc.conformance import cases
from optalloc.gap import values_equal
from optalloc.instances import save
from optalloc.registry import all_methods

LIMIT = 20.0
ROOT = Path(__file__).resolve().parents[1]


def _cells():
    """(case index, method name) for every method and every case it takes (its problem, no excluded tag)."""
    out = []
    for i, c in enumerate(cases()):
        for m in all_methods():
            if m.available() and m.accepts(c.problem) and not set(c.tags) & set(m.excludes):
                out.append((i, m.name))
    return out


def _solve_cell(cell):
    """One cell solved through the API (module level: a Pool pickles it); (status, objective) or the error."""
    from optalloc.solve import solve

    i, method = cell
    try:
        r = solve(cases()[i].instance, method, time_limit=LIMIT)
    except Exception as e:  # noqa: BLE001 - the matrix reports it as the cell's answer
        return ("raised", f"{type(e).__name__}: {e}")
    return (str(r.status), r.objective)


@pytest.fixture(scope="module")
def matrix():
    cells = _cells()
    baseline = {cell: _solve_cell(cell) for cell in cells}
    return cells, baseline


def _same(got: dict, baseline: dict, context: str) -> None:
    wrong = []
    for cell, want in baseline.items():
        have = got.get(cell)
        if have is None:
            wrong.append(f"{cell}: no answer")
            continue
        if have[0] != want[0] or not ((have[1] is None and want[1] is None) or (
                have[1] is not None and want[1] is not None and values_equal(float(have[1]), float(want[1])))):
            wrong.append(f"{cases()[cell[0]].instance.name} / {cell[1]}: {have} where the API gives {want}")
    assert not wrong, f"{context}: {len(wrong)} of {len(baseline)} cells differ:\n" + "\n".join(wrong[:15])


def test_every_method_is_in_the_matrix(matrix):
    """The guard: a registered method that no cell runs escapes the matrix."""
    cells, _ = matrix
    covered = {m for _, m in cells}
    escaped = [m.name for m in all_methods() if m.available() and m.name not in covered]
    assert not escaped, f"methods in no matrix cell (add a conformance case): {escaped}"
    assert len(cells) >= 200


def test_api_answers_are_certified_and_exact(matrix):
    cells, baseline = matrix
    errors = {c: a for c, a in baseline.items() if a[0] in ("error", "raised")}
    assert not errors, errors
    for (i, method), (status, objective) in baseline.items():
        case, m = cases()[i], next(x for x in all_methods() if x.name == method)
        if m.kind == "exact" and case.optimum is not None:
            # HiGHS proves a non-dyadic float objective only to within its pruning margin: a gap limit, said so
            # (the conformance suite checks the margin); every other exact answer is a proven optimum
            allowed = ("optimal", "gap_limit") if m.backend == "highs" else ("optimal",)
            assert status in allowed and values_equal(objective, case.optimum), (case.instance.name, method)


def test_thread_pool(matrix):
    cells, baseline = matrix
    with ThreadPoolExecutor(4) as pool:  # each cell twice, so that equal solves overlap too
        answers = list(pool.map(_solve_cell, cells + cells))
    _same(dict(zip(cells, answers[:len(cells)])), baseline, "threads (first pass)")
    _same(dict(zip(cells, answers[len(cells):])), baseline, "threads (second pass)")


def test_multiprocessing_pool(matrix):
    cells, baseline = matrix
    with multiprocessing.get_context("fork").Pool(2) as pool:  # daemonic workers: no multiprocessing children
        answers = pool.map(_solve_cell, cells)
    _same(dict(zip(cells, answers)), baseline, "multiprocessing.Pool")


def _suite_files(tmp_path, cells):
    """One JSON Lines file per group of methods that take the same cases, so that bench and compare (which run
    every method on every instance of its problem kinds) run exactly the matrix's cells."""
    groups: dict[tuple, list[str]] = {}
    for m in sorted({m for _, m in cells}):
        groups.setdefault(tuple(sorted(i for i, mm in cells if mm == m)), []).append(m)
    files = []
    for k, (idx, methods) in enumerate(sorted(groups.items())):
        path = tmp_path / f"group{k}.jsonl"
        save([cases()[i].instance for i in idx], path)
        files.append((path, list(idx), methods))
    return files


def _rows_to_answers(rows, idx_by_name):
    return {(idx_by_name[r["instance"]], r["method"]): (r["status"], r["objective"]) for r in rows}


def _bench_everywhere(tmp_path, cells, **where):
    from optalloc.bench import bench, resolve

    got = {}
    for path, idx, methods in _suite_files(tmp_path, cells):
        run = bench(resolve([str(path)]), methods, options={"time_limit": LIMIT}, output=path.with_suffix(".parquet"),
                    progress=False, **where)
        got.update(_rows_to_answers(run.rows, {cases()[i].instance.name: i for i in idx}))
    return got


def test_bench_two_local_workers(matrix, tmp_path):
    cells, baseline = matrix
    _same(_bench_everywhere(tmp_path, cells, jobs=2), baseline, "bench --jobs 2")


def test_bench_on_a_dask_cluster(matrix, tmp_path):
    distributed = pytest.importorskip("distributed")
    cells, baseline = matrix
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster:
        got = _bench_everywhere(tmp_path, cells, scheduler=cluster.scheduler_address)
    _same(got, baseline, "bench on Dask (2 workers x 2 threads)")


def test_command_line(matrix, tmp_path):
    cells, baseline = matrix
    got = {}
    for path, idx, methods in _suite_files(tmp_path, cells):
        out = subprocess.run([sys.executable, "-m", "optalloc", "compare", str(path), "--methods", ",".join(methods),
                              "--time-limit", str(LIMIT), "--json"], capture_output=True, text=True, timeout=600,
                             cwd=ROOT)
        assert out.returncode in (0, 1), out.stderr
        by_name = {cases()[i].instance.name: i for i in idx}
        for line in out.stdout.splitlines():
            r = json.loads(line)
            got[(by_name[r["name"]], r["method"])] = (r["status"], r["objective"])
    _same(got, baseline, "optalloc compare")


def test_jupyter_kernel(matrix, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cells, baseline = matrix
    answers = tmp_path / "answers.json"
    code = (f"import json\nfrom optalloc.conformance import cases\nfrom optalloc.solve import solve\n"
            f"out = []\nfor i, m in {cells!r}:\n"
            f"    r = solve(cases()[i].instance, m, time_limit={LIMIT})\n"
            f"    out.append([i, m, str(r.status), r.objective])\n"
            f"json.dump(out, open({str(answers)!r}, 'w'))\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    env_path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    os.environ["PYTHONPATH"], old = env_path, os.environ.get("PYTHONPATH")
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    got = {(i, m): (s, o) for i, m, s, o in json.loads(answers.read_text())}
    _same(got, baseline, "Jupyter kernel")
