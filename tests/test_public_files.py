"""Public files as users have them: --from on solve, compare, validate and bench, the format inferred when the
file name makes it certain, "-" for standard input, and a JSON error that points at --from."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WT40 = ROOT / "instances" / "tardiness" / "wt40.txt"


def _cli(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "optalloc", *map(str, args)], capture_output=True, text=True,
                          input=stdin, cwd=cwd, timeout=300)


def _head_of_wt40(folder, count=2):
    """The first `count` instances of the bundled wt40.txt, under the same name (the reader takes n from it)."""
    toks = WT40.read_text().split()
    path = folder / "wt40.txt"
    path.write_text(" ".join(toks[:count * 3 * 40]) + "\n")
    return path


def test_solve_reads_a_public_file_with_from_or_by_its_name(tmp_path):
    wt = _head_of_wt40(tmp_path)
    p = _cli("solve", wt, "--from", "orlib-wt", "-m", "tardiness.edd", "--json")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(x) for x in p.stdout.splitlines()]
    assert len(rows) == 2 and rows[0]["name"] == "wt40-1" and rows[0]["status"] == "completed"
    # wt40.txt can only be OR-Library's weighted tardiness: no --from needed
    q = _cli("solve", wt, "-m", "tardiness.edd", "--json")

    def untimed(out):
        return [{k: v for k, v in json.loads(x).items() if k != "time"} for x in out.splitlines()]

    assert q.returncode == 0 and untimed(q.stdout) == untimed(p.stdout)
    assert _cli("validate", WT40).stdout.splitlines()[-1] == "125 instance(s) valid"


def test_standard_input(tmp_path):
    text = (ROOT / "instances" / "knapsack" / "demo.jsonl").read_text()
    p = _cli("solve", "-", "-m", "knapsack.greedy", "--json", stdin=text)
    assert p.returncode == 0, p.stderr
    assert len(p.stdout.splitlines()) == 15
    lines = [x for x in (ROOT / "instances" / "tardiness" / "smtt_n20.txt").read_text().splitlines()
             if not x.startswith("#")]
    q = _cli("solve", "-", "--from", "smtt", "-m", "tardiness.edd", "--json", stdin="\n".join(lines[:42]) + "\n")
    assert q.returncode == 0, q.stderr
    assert len(q.stdout.splitlines()) == 2


def test_bench_takes_a_file_and_a_written_file_keeps_an_unknown_optimum_unknown(tmp_path):
    assert _cli("generate", "pisinger", tmp_path / "p.jsonl", "--type", 3, "--n", 50, "--instances", "1-3").returncode == 0
    assert _cli("convert", "--to", "pisinger", tmp_path / "p.jsonl", tmp_path / "p.csv").returncode == 0
    p = _cli("bench", tmp_path / "p.csv", "--from", "pisinger", "--methods", "knapsack.dp", "--output",
             tmp_path / "b.parquet", "--quiet")
    assert p.returncode == 0, p.stderr
    from optalloc.bench import read_rows

    rows = read_rows(tmp_path / "b.parquet")
    assert len(rows) == 3 and {r["status"] for r in rows} == {"optimal"}
    assert all(r["reference_value"] is None for r in rows)  # "z -1": no optimum was known, none is made up


def test_not_json_points_at_from(tmp_path):
    f = tmp_path / "instance.txt"
    f.write_text(_head_of_wt40(tmp_path).read_text())
    p = _cli("solve", f)
    assert p.returncode == 2
    assert "is it a public format? pass --from READER" in p.stderr
    bad = _cli("solve", f, "--from", "nosuch")
    assert bad.returncode == 2 and "--from: must be one of jooken, lp, mknap, mps" in bad.stderr


def test_reader_options_are_flags(tmp_path):
    """The sense of an OR-Library GAP file comes from its name (gapa..gapd min, else max); --sense says it for
    a renamed file. Every command that reads takes the reader's options, and refuses one the reader lacks."""
    gen = tmp_path / "g.jsonl"
    assert _cli("generate", "gap", gen, "--n", "8", "--m", "3", "--count", "2").returncode == 0
    renamed = tmp_path / "my_instances.txt"
    assert _cli("convert", "--to", "orlib-gap", gen, renamed).returncode == 0

    def solved(*flags):
        p = _cli("solve", renamed, "--from", "orlib-gap", "-m", "gap.cpsat", "--json", *flags)
        assert p.returncode == 0, p.stderr
        return [json.loads(x)["objective"] for x in p.stdout.splitlines()]

    as_max, as_min = solved(), solved("--sense", "min")
    assert len(as_max) == 2 and all(lo < hi for lo, hi in zip(as_min, as_max))
    assert solved("--sense", "max") == as_max
    back = tmp_path / "back.jsonl"
    assert _cli("convert", "--from", "orlib-gap", "--sense", "min", renamed, back).returncode == 0
    assert {json.loads(x)["data"]["sense"] for x in back.read_text().splitlines()} == {"min"}
    # a renamed wt file says how many jobs per instance
    wt = _head_of_wt40(tmp_path)
    renamed_wt = tmp_path / "weighted.txt"
    renamed_wt.write_text(wt.read_text())
    v = _cli("validate", renamed_wt, "--from", "orlib-wt", "--jobs-per-instance", "40")
    assert v.returncode == 0 and v.stdout.splitlines()[-1] == "2 instance(s) valid"
    b = _cli("bench", renamed_wt, "--from", "orlib-wt", "--jobs-per-instance", "40", "--methods", "tardiness.edd",
             "--jobs", "0", "--quiet", "--output", tmp_path / "r.parquet")
    assert b.returncode == 0, b.stderr

    def refused(*args):
        p = _cli(*args)
        assert p.returncode == 2 and p.stdout == "" and len(p.stderr.strip().splitlines()) == 1, p.stderr
        return p.stderr.strip()

    assert refused("solve", renamed, "--from", "orlib-wt", "--sense", "min") == (
        f"optalloc: error: {renamed}: --sense: the orlib-wt reader does not take it (it takes --jobs-per-instance)")
    assert refused("validate", gen, "--sense", "min") == (
        f"optalloc: error: {gen}: --sense: is a reader option; this file is read as optalloc JSON (pass --from READER)")
    assert refused("bench", "wt40", "--sense", "min", "--methods", "tardiness.edd") == (
        "optalloc: error: --sense: reader options apply to files given as suites; suite 'wt40' takes its reader's "
        "options from the manifest")
    assert "--sense: must be one of min, max, got 'maximum'" in refused("solve", renamed, "--from", "orlib-gap", "--sense", "maximum")
