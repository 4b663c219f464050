"""Families are declared units: a toy family defined only under tests/ (tests/plugins/optalloc_toy, one
folder, one declaration) is seen by every command through OPTALLOC_PLUGINS, and nothing in optalloc lists
the families by hand."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = Path(__file__).resolve().parent / "plugins"


def _cli(*args, cwd=ROOT):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGINS), env.get("PYTHONPATH", "")])
    env["OPTALLOC_PLUGINS"] = "optalloc_toy"
    return subprocess.run([sys.executable, "-m", "optalloc", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def _ok(p):
    assert p.returncode == 0, p.stderr[-2000:]
    return p


def test_a_family_declared_outside_is_seen_by_every_command(tmp_path):
    methods = {json.loads(x)["name"]: json.loads(x) for x in _ok(_cli("methods", "--json")).stdout.splitlines()}
    assert methods["toy.sort"]["problems"] == ["pick"] and methods["toy.first"]["kind"] == "heuristic"
    assert "knapsack.dp" in methods  # the built-ins are still there

    gen = tmp_path / "g.jsonl"
    _ok(_cli("generate", "toy-random", gen, "--n", 6, "--k", 2, "--seed", 3, "--count", 2))
    rows = [json.loads(x) for x in gen.read_text().splitlines()]
    assert [r["name"] for r in rows] == ["pick_6_2_s3", "pick_6_2_s4"] and rows[0]["problem"] == "pick"
    assert _ok(_cli("validate", gen)).stdout.splitlines() == [
        "ok  pick_6_2_s3  pick (n=6, k=2)", "ok  pick_6_2_s4  pick (n=6, k=2)", "2 instance(s) valid"]

    txt = tmp_path / "t.txt"
    txt.write_text("2\n4\n9\n1\n7\n")
    conv = tmp_path / "t.jsonl"
    _ok(_cli("convert", "--from", "toy-txt", txt, conv))
    back = tmp_path / "back.txt"
    _ok(_cli("convert", "--to", "toy-txt", conv, back))
    assert back.read_text() == txt.read_text()

    solved = json.loads(_ok(_cli("solve", conv, "--json")).stdout)  # the default method: toy.sort
    assert (solved["method"], solved["status"], solved["objective"], solved["solution"]) == \
        ("toy.sort", "optimal", 16, {"items": [1, 3]})
    compared = [json.loads(x) for x in _ok(_cli("compare", conv, "--methods", "toy.sort,toy.first",
                                                "--json")).stdout.splitlines()]
    first = next(r for r in compared if r["method"] == "toy.first")
    assert (first["objective"], first["bound"], first["status"]) == (13, 16, "completed")

    manifest = tmp_path / "MANIFEST.json"
    manifest.write_text(json.dumps({"format": "optalloc-manifest", "version": 1, "suites": {"toy": {
        "files": ["t.txt"], "reader": "toy-txt", "problems": ["pick"], "reference_kind": "none",
        "provenance": "the toy family's test"}}}))
    out = tmp_path / "r.parquet"
    _ok(_cli("bench", "toy", "--manifest", manifest, "--methods", "toy.sort,toy.first", "--jobs", "1",
             "--output", out, "--quiet"))
    from optalloc.bench import read_rows

    assert sorted((r["method"], r["objective"]) for r in read_rows(out)) == [("toy.first", 13), ("toy.sort", 16)]


def test_bad_toy_file_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("k\n1\n")
    p = _cli("convert", "--from", "toy-txt", bad, tmp_path / "o.jsonl")
    assert p.returncode == 2 and p.stderr.strip().splitlines() == [p.stderr.strip()]
    assert "bad.txt: line 1: must be k, then one integer value per line" in p.stderr


def test_the_conformance_suite_runs_the_toy_family():
    code = ("from optalloc.conformance import run_conformance\n"
            "print(run_conformance('toy.sort'), run_conformance('toy.first'))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")]),
               OPTALLOC_PLUGINS="optalloc_toy")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.split() == ["2", "2"]


def test_two_families_with_one_name_are_an_error(tmp_path):
    (tmp_path / "clash.py").write_text("from optalloc_toy import FAMILY\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PLUGINS), str(tmp_path)]),
               OPTALLOC_PLUGINS="optalloc_toy,clash")
    p = subprocess.run([sys.executable, "-m", "optalloc", "methods"], capture_output=True, text=True, env=env,
                       timeout=300)
    assert p.returncode == 2, p.stderr
    assert "two families are named 'toy'" in p.stderr and "Traceback" not in p.stderr


# the names of the built-in families and their problem kinds: none may appear as a hand-written list
_FAMILY_NAMES = ("knapsack", "bitalloc", "matching", "tardiness", "model")


def test_no_hand_written_family_list_outside_the_declarations():
    """A line naming two or more families (as identifiers or strings) is a list of families; only the
    declarations under optalloc/families/<name>/__init__.py may say which family is which."""
    offenders = []
    for f in (ROOT / "optalloc").rglob("*.py"):
        if f.parent.parent.name == "families" and f.name == "__init__.py":
            continue
        for i, line in enumerate(f.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            named = {n for n in _FAMILY_NAMES if re.search(rf"[\"'.]{n}[\"'.\s,)]|\bimport {n}\b", code)}
            if len(named) >= 2 and "import" in code:
                offenders.append(f"{f.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("family", _FAMILY_NAMES)
def test_each_family_is_one_folder_with_one_declaration(family):
    from optalloc.family import families

    from optalloc.problems import family_of, get_problem, problem_names

    fam = families()[family]
    assert fam.origin == "built-in"
    kinds = [get_problem(k) for k in problem_names() if family_of(k).name == family]
    refs = [fam.problems, fam.methods, fam.conformance, fam.warmup, *(k.formulation for k in kinds),
            *(k.fuzz for k in kinds),
            *(f.read for f in fam.formats), *(f.write for f in fam.formats if f.write),
            *(g.make for g in fam.generators)]
    for ref in filter(None, refs):
        assert ref.startswith(f"optalloc.families.{family}."), ref
    for ref in fam.kernels:
        assert ref.startswith((f"optalloc.families.{family}.", "optalloc.engines.")), ref


def test_a_plugin_that_cannot_be_imported_is_one_line_exit_2():
    env = dict(os.environ, OPTALLOC_PLUGINS="no_such_plugin_module")
    p = subprocess.run([sys.executable, "-m", "optalloc", "methods"], capture_output=True, text=True, env=env,
                       timeout=300)
    assert p.returncode == 2 and p.stderr.strip().splitlines() == [p.stderr.strip()]
    assert "OPTALLOC_PLUGINS: cannot import 'no_such_plugin_module'" in p.stderr


def test_methods_describe_lists_declared_parameters():
    p = _ok(_cli("methods", "--describe", "tardiness.iterated_dynasearch"))
    lines = p.stdout.splitlines()
    assert lines[0].startswith("tardiness.iterated_dynasearch (heuristic, tardiness family): iterated dynasearch")
    assert "    max_kicks    int    default 5000 (at least 0): kicks before stopping" in lines
    doc = json.loads(_ok(_cli("methods", "--describe", "knapsack.mip", "--json")).stdout)
    assert doc["capabilities"] == ["export as a linear model"] and doc["family"] == ["knapsack"]
    assert doc["options"].startswith("the highs backend's own options")
    bad = _cli("methods", "--describe", "knapsack.nosuch")
    assert bad.returncode == 2 and "unknown method 'knapsack.nosuch'" in bad.stderr


def test_a_family_published_under_the_entry_point_group_is_found(tmp_path):
    """An installed distribution declaring `[optalloc.families] toy = optalloc_toy:FAMILY` (here a bare
    .dist-info on the path, as pip leaves one) is found without OPTALLOC_PLUGINS."""
    dist = tmp_path / "optalloc_toy-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: optalloc-toy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[optalloc.families]\ntoy = optalloc_toy:FAMILY\n")
    env = {k: v for k, v in os.environ.items() if k != "OPTALLOC_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join([str(PLUGINS), str(tmp_path)])
    p = subprocess.run([sys.executable, "-m", "optalloc", "methods", "--problem", "pick", "--json"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    assert sorted(json.loads(x)["name"] for x in p.stdout.splitlines()) == ["toy.first", "toy.sort"]


def test_every_method_follows_the_naming_rule():
    """A method is named prefix.method, the prefix being its family's name or one of the problem kinds it solves;
    Method.family is the family that declares those kinds (it once came from the prefix: wrong for gap.mip)."""
    from optalloc.problems import family_of, get_problem
    from optalloc.registry import all_methods

    for m in all_methods():
        prefix = m.name.split(".", 1)[0]
        fams = {family_of(p).name for p in m.problems}
        assert len(fams) == 1, (m.name, fams)
        assert m.family in fams
        assert prefix == m.family or (prefix in m.problems and get_problem(prefix).family == m.family), m.name
