"""The suite runner: grid, executors (local pool and a real Dask LocalCluster), crash safety and resume,
the regression check, reports (rendered in headless Chromium when it is installed)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optalloc.bench import bench, check, read_rows, resolve, write_report
from optalloc.bench.runner import CIRCUMSTANTIAL, journal_path

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = Path(__file__).resolve().parent / "plugins"


def _cli(*args, env_extra=None, timeout=300):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGINS), env.get("PYTHONPATH", "")])
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "optalloc", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)


def _comparable(rows):
    return sorted(({k: v for k, v in r.items() if k not in CIRCUMSTANTIAL} for r in rows), key=lambda r: r["key"])


SMALL = dict(methods=["tardiness.dp", "tardiness.mddc", "tardiness.edd"], options={"time_limit": 20.0, "seed": 0})


def test_suites_lists_bundled_and_shared():
    p = _cli("suites", "--json")
    assert p.returncode == 0
    rows = {json.loads(x)["name"]: json.loads(x) for x in p.stdout.splitlines()}
    assert rows["wt40"]["available"] and rows["wt40"]["origin"] == "bundled" and rows["wt40"]["instances"] == 125
    assert {"smtt-n20", "gap-orlib", "assign-orlib", "wt100", "smtt-n500"} <= set(rows)


def test_unknown_suite_is_one_line_exit_2():
    p = _cli("bench", "nosuch", "--methods", "tardiness.dp")
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [p.stderr.strip()]
    assert "suite 'nosuch': unknown; run 'optalloc suites' for the list" in p.stderr


def test_local_and_dask_give_the_same_rows(tmp_path):
    distributed = pytest.importorskip("distributed")
    suites = resolve(["wt40", "smtt-n20"])
    local = bench(suites, first=4, output=tmp_path / "local.parquet", jobs=2, progress=False, **SMALL)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        remote = bench(suites, first=4, output=tmp_path / "dask.parquet", scheduler=cluster.scheduler_address,
                       progress=False, **SMALL)
    assert len(local.rows) == len(remote.rows) == 2 * 4 * 3
    assert _comparable(local.rows) == _comparable(remote.rows)
    assert _comparable(read_rows(tmp_path / "dask.parquet")) == _comparable(remote.rows)
    assert check(local.rows).ok


def test_existing_output_is_never_overwritten(tmp_path):
    out = tmp_path / "run.parquet"
    args = ("bench", "smtt-n20", "--methods", "tardiness.edd", "--first", "2", "--output", str(out), "--quiet",
            "--jobs", "0")
    assert _cli(*args).returncode == 0
    before = out.read_bytes()
    p = _cli(*args)
    assert p.returncode == 2
    assert p.stderr.strip() == (f"optalloc: error: {out}: already exists; pass --resume to continue that run or "
                                f"--force to start over (nothing was written)")
    assert out.read_bytes() == before
    p = _cli(*args, "--resume")
    assert p.returncode == 0 and "0 run(s) now, 2 already in" in p.stdout


def test_killed_run_resumes_to_the_same_table(tmp_path):
    """SIGKILL a run midway; --resume finishes it; the rows equal an uninterrupted run's."""
    common = ("bench", "wt40", "smtt-n20", "--methods", "tardiness.dp,tardiness.mddc", "--first", "8",
              "--time-limit", "20", "--jobs", "1", "--quiet")
    full = tmp_path / "full.parquet"
    assert _cli(*common, "--output", str(full)).returncode == 0
    out = tmp_path / "cut.parquet"
    env = dict(os.environ, PYTHONPATH=str(PLUGINS))
    proc = subprocess.Popen([sys.executable, "-m", "optalloc", *common, "--output", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    j = journal_path(out)
    t0 = time.time()
    while time.time() - t0 < 120 and (not j.exists() or len(j.read_text().splitlines()) < 8):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(read_rows(out))
    assert 8 <= done < 32
    p = _cli(*common, "--output", str(out), "--resume")
    assert p.returncode == 0 and f"{32 - done} run(s) now, {done} already in" in p.stdout
    assert _comparable(read_rows(out)) == _comparable(read_rows(full))


def test_check_names_a_broken_method_and_exits_1(tmp_path):
    p = _cli("bench", "wt40", "--methods", "tardiness.edd,testdouble.wrong_objective", "--first", "2", "--jobs", "0",
             "--output", str(tmp_path / "r.parquet"), "--check", "--quiet",
             env_extra={"OPTALLOC_PLUGINS": "optalloc_test_doubles"})
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert "check FAILED: 2 problem(s)" in lines
    assert any(x.startswith("  - wt40/wt40-1 by testdouble.wrong_objective: the solution failed verification: "
                            "testdouble.wrong_objective on wt40-1: reported objective") for x in lines)


def test_a_hung_method_is_killed_and_recorded_as_time_limit(tmp_path):
    out = tmp_path / "h.parquet"
    t0 = time.time()
    p = _cli("bench", "smtt-n20", "--methods", "testdouble.hang,tardiness.edd", "--first", "2", "--jobs", "2",
             "--time-limit", "0.5", "--grace", "1", "--output", str(out), "--quiet",
             env_extra={"OPTALLOC_PLUGINS": "optalloc_test_doubles"})
    assert p.returncode == 0, p.stderr
    assert time.time() - t0 < 60
    rows = {(r["instance"], r["method"]): r for r in read_rows(out)}
    assert len(rows) == 4
    hung = rows[("smtt_n20-0.2-0.2-1", "testdouble.hang")]
    assert hung["status"] == "time_limit" and hung["failure"].startswith("killed: no answer")
    assert rows[("smtt_n20-0.2-0.2-1", "tardiness.edd")]["solution_status"] in ("feasible", "optimal")


def _row(**kw):
    base = {"suite": "s", "instance": "i", "method": "m.x", "kind": "exact", "status": "optimal",
            "solution_status": "optimal", "objective": 10.0, "bound": 10.0, "gap": 0.0, "reference_value": 10.0,
            "reference_kind": "optimal", "reference_verdict": "reproduced", "reference_gap": 0.0, "failure": None}
    base.update(kw)
    return base


def test_check_rules():
    rep = check([_row(), _row(instance="j", status="time_limit", objective=12.0, gap=0.1, reference_verdict="missed",
                              reference_gap=0.17),
                 _row(instance="k", gap=0.01), _row(instance="b", objective=9.0, reference_verdict="beaten")])
    assert rep.failures == ["s/j by m.x: missed the proven optimum 10 (found 12, status time_limit)",
                            "s/k by m.x: claims optimal with gap 0.01"]
    assert rep.suspects == ["s/b: published optimal 10, m.x found 9 (status optimal)"]
    heur = lambda g: _row(method="m.h", kind="heuristic", status="completed", reference_gap=g,
                          reference_verdict="missed")
    assert check([heur(0.010)], baseline=[heur(0.0095)]).ok
    rep = check([heur(0.02)], baseline=[heur(0.01)])
    assert rep.failures == ["m.h on s: mean gap to the references regressed from 1.0000 % to 2.0000 % "
                            "(tolerance 0.1000 points)"]


def test_report_files_and_chromium_render(tmp_path):
    run = bench(resolve(["wt40", "smtt-n20"]), first=3, output=tmp_path / "r.parquet", jobs=0, progress=False, **SMALL)
    written = write_report(run.rows, tmp_path / "rep", source="r.parquet", check_text=check(run.rows).render())
    md = written["gaps.md"].read_text().splitlines()
    assert md[0].startswith("| suite | method | kind | runs | errors | with solution | infeasible points | proven | solved |")
    assert len(md) == 2 + 2 * 3
    dp = next(x for x in md if x.startswith("| wt40 | tardiness.dp |"))
    assert dp.startswith("| wt40 | tardiness.dp | exact | 3 | 0 | 3 | 0 | 3 | 3 | 3 | 0.0000 |")
    # MDDC has a schedule for each instance; it has solved one only where it is within 1e-4 of the optimum
    mddc = next(x for x in md if x.startswith("| wt40 | tardiness.mddc |")).split(" | ")
    ref_gaps = [r["reference_gap"] for r in run.rows if r["method"] == "tardiness.mddc" and r["suite"] == "wt40"]
    assert mddc[5] == "3" and mddc[8] == str(sum(g <= 1e-4 for g in ref_gaps))
    for suite in ("wt40", "smtt-n20"):
        for fig in ("profile", "gap_over_time", "final_gap"):
            assert written[f"{suite}_{fig}.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = written["report.html"].read_text()
    assert page.count("<section id=\"suite-") == 2 and page.count("optalloc 0.1.0") == 1
    with pytest.raises(Exception, match="already exists"):
        write_report(run.rows, tmp_path / "rep")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium is not installed (the Makefile installs Debian's chromium for this test)")
    page = written["report.html"].resolve().as_uri()
    p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'chrome'}", "--virtual-time-budget=5000", "--dump-dom", page],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert 'data-images-ok="6/6"' in p.stdout
    assert 'data-tables="6"' in p.stdout
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'chrome2'}", f"--screenshot={shot}", "--window-size=1200,1600", page],
                   capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_reads_what_solve_output_writes(tmp_path):
    """One row schema (Result.to_row): `optalloc compare --output` lines are rows the report reads, the file
    being the suite; the solved counts are the same as bench's on the same runs."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "runs.jsonl"
    p = subprocess.run([sys.executable, "-m", "optalloc", "compare", str(root / "instances/knapsack/demo.jsonl"),
                        "--methods", "knapsack.dp,knapsack.greedy", "--time-limit", "10", "--output", str(out)],
                       capture_output=True, text=True, cwd=root, timeout=300)
    assert p.returncode == 0, p.stderr
    rows = read_rows(out)
    assert len(rows) == 27 and {r["suite"] for r in rows} == {"runs"}
    from optalloc.bench.report import gap_table

    table = {r[1]: r for r in gap_table(rows)}
    assert table["knapsack.dp"][3:9] == ["12", "0", "12", "0", "12", "12"]  # runs, errors, with solution, ..., solved
    assert table["knapsack.greedy"][8] == "2"
    rep = subprocess.run([sys.executable, "-m", "optalloc", "report", str(out), "-o", str(tmp_path / "rep")],
                         capture_output=True, text=True, cwd=root, timeout=300)
    assert rep.returncode == 0, rep.stderr
    assert "| runs | knapsack.dp | exact | 12 | 0 | 12 |" in (tmp_path / "rep" / "gaps.md").read_text()
