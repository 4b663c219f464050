"""The command line as a user meets it: exit codes, one-line errors, JSON output, files."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from optalloc.cli import main

KP = {"problem": "knapsack", "name": "k", "data": {"values": [6, 10, 12], "weights": [1, 2, 3], "capacity": 5},
      "reference": {"value": 22, "kind": "optimal", "source": "hand"}}


def run(*args):
    """The installed entry point in a subprocess: what a shell user sees."""
    p = subprocess.run([sys.executable, "-m", "optalloc", *map(str, args)], capture_output=True, text=True,
                       timeout=300)
    return p.returncode, p.stdout, p.stderr


def _doc(**data):
    d = json.loads(json.dumps(KP))
    d["data"].update(data)
    return d


@pytest.mark.parametrize("content,message", [
    ('{"problem": "knapsack", "name": "k", "data": {"values": [1, 2]', "malformed JSON at line 1"),
    ({"problem": "knapsack", "name": "k", "data": {"values": [1], "weights": [1]}}, "data.capacity: is required"),
    (_doc(weights=[1, -2, 3]), "data.weights[1]: must be a non-negative integer, got -2"),
    (json.dumps(KP).replace("[6, 10, 12]", "[6, NaN, 12]"), "NaN is not a valid JSON number"),
    (_doc(values=[], weights=[]), "data.values: must not be empty"),
])
def test_bad_input_is_one_line_and_exit_2(content, message, write_json):
    code, out, err = run("solve", write_json(content))
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("optalloc: error: ") and message in err


def test_unknown_method(write_json):
    code, out, err = run("solve", write_json(KP), "--method", "knapsack.magic")
    assert code == 2 and err.count("\n") == 1
    assert "unknown method 'knapsack.magic'" in err and "optalloc methods" in err


def test_unknown_flag_is_exit_2_one_line(write_json):
    code, out, err = run("solve", write_json(KP), "--tim-limit", "3")
    assert code == 2 and err.count("\n") == 1 and "unrecognized arguments" in err


def test_capacity_below_every_weight_is_valid_and_empty(write_json):
    code, out, err = run("solve", write_json(_doc(capacity=0)), "--json")
    assert code == 0, err
    r = json.loads(out)
    assert (r["status"], r["objective"], r["solution"]) == ("optimal", 0, {"items": []})


def test_json_keys_and_values(write_json):
    code, out, _ = run("solve", write_json(KP), "--json", "--method", "knapsack.mip")
    r = json.loads(out)
    assert list(r) == ["name", "status", "solution_status", "objective", "bound", "gap", "time", "method",
                       "solution", "reference"]
    assert (r["status"], r["objective"], r["bound"], r["gap"]) == ("optimal", 22, 22, 0)
    assert r["reference"]["verdict"] == "reproduced" and code == 0


def test_no_solution_exit_1(write_json):
    inf = {"problem": "mckp", "name": "m", "data": {"values": [[1], [2]], "weights": [[5], [5]], "capacity": 7}}
    assert main(["solve", str(write_json(inf)), "--json"]) == 0  # infeasible is an answer, proven
    # a limit hit with no solution: CP-SAT with no time at all on a hard instance
    code = main(["solve", str(write_json(KP)), "--method", "knapsack.cpsat", "--time-limit", "0"])
    assert code in (0, 1)


def test_table_and_compare(write_json, capsys):
    p = write_json(KP)
    assert main(["compare", str(p), "--methods", "knapsack.dp,knapsack.greedy"]) == 0
    out = capsys.readouterr().out
    assert "knapsack.greedy" in out and "reproduced" in out and "proven optimal" in out


def test_results_file_atomic_and_not_overwritten(write_json, tmp_path, capsys):
    p = write_json(KP)
    out = tmp_path / "res.jsonl"
    assert main(["solve", str(p), "--output", str(out)]) == 0
    row = json.loads(out.read_text())
    assert row["objective"] == 22 and row["backend"] == "optalloc"
    assert main(["solve", str(p), "--output", str(out)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert main(["solve", str(p), "--output", str(out), "--force"]) == 0


def test_validate_convert_generate_export_methods(tmp_path, capsys, shared_data):
    g = tmp_path / "g.jsonl"
    assert main(["generate", "pisinger", str(g), "--type", "3", "--n", "50", "--instances", "1-3"]) == 0
    assert main(["validate", str(g)]) == 0
    assert "3 instance(s) valid" in capsys.readouterr().out
    src = shared_data / "knapsack/pisinger/official/hardinstances_pisinger/knapPI_14_20_1000.csv"
    conv = tmp_path / "c.jsonl"
    assert main(["convert", "--from", "pisinger", str(src), str(conv)]) == 0
    back = tmp_path / "back.csv"
    assert main(["convert", "--to", "pisinger", str(conv), str(back)]) == 0
    assert back.read_text() == src.read_text()
    assert main(["export", str(conv), str(tmp_path / "m.lp"), "--method", "knapsack.mip"]) == 0
    assert "capacity" in (tmp_path / "m.lp").read_text()
    assert main(["export", str(conv), str(tmp_path / "m.mps"), "--method", "knapsack.dp"]) == 2
    assert main(["methods", "--json"]) == 0
    names = [json.loads(line)["name"] for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert {"knapsack.dp", "knapsack.mip", "knapsack.cpsat", "knapsack.greedy"} <= set(names)


def test_generate_bad_type_is_exit_2(tmp_path, capsys):
    assert main(["generate", "pisinger", str(tmp_path / "x.jsonl"), "--type", "7"]) == 2
    assert "type must be one of" in capsys.readouterr().err


def test_every_flag_and_argument_has_help():
    import argparse

    from optalloc.cli import build_parser

    missing = []

    def walk(parser, name):
        for a in parser._actions:
            if isinstance(a, argparse._SubParsersAction):
                for n, sub in a.choices.items():
                    walk(sub, f"{name} {n}")
            elif not a.help and "-h" not in a.option_strings:
                missing.append(f"{name} {a.option_strings or a.dest}")

    walk(build_parser(), "optalloc")
    assert not missing, missing


@pytest.mark.parametrize("argv,said", [
    (["solve", "instances/knapsack/demo.jsonl", "--timelimit", "3"],
     "optalloc: error: unrecognized arguments: --timelimit 3; did you mean --time-limit? (see 'optalloc solve --help')"),
    (["solve", "instances/knapsack/demo.jsonl", "-m", "knapsack.dpp"],
     "optalloc: error: unknown method 'knapsack.dpp'; did you mean knapsack.dp? (run 'optalloc methods' for all"),
    (["solve", "instances/knapsack/demo.jsonl", "-m", "knapsak.dp"],
     "optalloc: error: unknown method 'knapsak.dp'; did you mean knapsack.dp?"),
])
def test_a_typo_gets_the_name_it_meant(argv, said, capsys):
    import os

    cwd = os.getcwd()
    os.chdir(Path(__file__).resolve().parents[1])
    try:
        code = main(argv)  # bad input: exit 2, from the parser (SystemExit) or from the command
    except SystemExit as e:
        code = e.code
    finally:
        os.chdir(cwd)
    assert code == 2 and capsys.readouterr().err.startswith(said)


def test_methods_fits_100_columns(capsys):
    assert main(["methods"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert max(map(len, out)) <= 100 and len(out) > 49


def test_a_terminal_sees_a_status_line_while_a_solve_runs(tmp_path):
    """On a terminal, a solve running over a second shows instance, method, seconds and the incumbent and bound
    so far on stderr; the line is erased before the result's row."""
    import os
    import pty
    import select

    from optalloc.families.knapsack.generators import pisinger
    from optalloc.instances import save

    f = tmp_path / "hard.jsonl"
    save([pisinger(16, 10_000, 10**6, 50)], f)
    pid, fd = pty.fork()
    if pid == 0:  # the child: optalloc on the terminal's side
        os.execv(sys.executable, [sys.executable, "-m", "optalloc", "solve", str(f), "-m", "knapsack.dp",
                                  "--time-limit", "2.5"])
    out = b""
    while True:
        try:
            ready, _, _ = select.select([fd], [], [], 60)
            data = os.read(fd, 4096) if ready else b""
        except OSError:
            break
        if not data:
            break
        out += data
    os.waitpid(pid, 0)
    text = out.decode(errors="replace")
    assert "solving knapPI_16_10000_1000000_50 / knapsack.dp: 1 s, incumbent" in text and ", bound " in text
    assert "knapPI_16_10000_1000000_50  knapsack.dp" in text  # the row itself, after the erased line
