"""The bad-input corpus (issue 16): every case ends in exit 2 with one line on stderr naming the file and the
field, line or flag, and no traceback."""
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KP = {"problem": "knapsack", "name": "k", "data": {"values": [6, 10, 12], "weights": [1, 2, 3], "capacity": 5}}


def _run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "optalloc", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def _one_line_exit_2(p, *needles):
    err = p.stderr.strip()
    assert p.returncode == 2, (p.returncode, err[-800:])
    assert err.splitlines() == [err], err  # one line, no traceback
    assert "Traceback" not in err
    for n in needles:
        assert n in err, (n, err)


def _safetensors(path, header: dict, data: bytes):
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


FILES = {
    "deep.json": ("[" * 3000 + "]" * 3000, ["deep.json: json: nested too deeply"]),
    "digits.json": (json.dumps(KP).replace("[6,", "[" + "9" * 5000 + ",").replace("[6, ", "[" + "9" * 5000 + ", "),
                    ["digits.json: json: a number has more than 4300 digits"]),
    "d400.json": (json.dumps(KP).replace("[6, ", "[" + "9" * 400 + ", "),
                  ["d400.json: data.values[0]: must be a non-negative finite number"]),
    "dup.json": ('{"problem": "knapsack", "name": "a", "name": "b", "data": {}}',
                 ["dup.json: json: key 'name' appears twice in one object"]),
    "wt40.txt": ("1 2 3\n4 5 6\n", ["wt40.txt: file: truncated: 6 numbers is not a whole number of instances of "
                                    "3 x 40 (read as orlib-wt because of the file name; --from READER"]),
    "notes.txt": ("1 2 3\n4 5 6\n", ["notes.txt: json: malformed JSON", "pass --from READER"]),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_malformed_instance_files(tmp_path, name):
    text, needles = FILES[name]
    (tmp_path / name).write_text(text)
    _one_line_exit_2(_run("solve", tmp_path / name), *needles)


def test_a_directory_given_as_a_file(tmp_path):
    _one_line_exit_2(_run("solve", tmp_path), f"{tmp_path}: file: is a directory")
    _one_line_exit_2(_run("validate", tmp_path), "file: is a directory")
    _one_line_exit_2(_run("quantize", tmp_path, "--budget", 3),
                     "directory: holds neither model.safetensors.index.json nor a .safetensors file")


READER_CASES = [
    ("orlib-assign", "a.txt", "2\n1 99999999999999999999 3 4\n", "must be integers within int64"),
    ("orlib-assign", "a.txt", "-1 5\n", "n: must be a positive number of rows"),
    ("orlib-gap", "g.txt", "1\n1 2\n" + "9" * 5000 + " 1 1 1 5\n", "must be integers within int64"),
    ("yagiura-gap", "y.txt", "1 2\n3 99999999999999999999 1 1 5\n", "must be integers within int64"),
    ("orlib-wt", "wt0.txt", "1 2 3\n", "must end in a job count from 1 to 10^6"),
    ("orlib-wt", "wt1.txt", "1 99999999999999999999 3\n", "must be integers within int64"),
    ("smtt", "s.txt", "2 nan 0.2 1 5\n1 2\n3 4\n", "line 1: must be a header 'n RDD TF k OPT' with n >= 1 and finite"),
    ("smtt", "s.txt", "2 0.2 0.2 1 99999999999999999999\n1 2\n3 4\n", "line 1: must be a header 'n RDD TF k OPT'"),
    ("pisinger-large", "p", "-3 10\n", "line 1: must be 'n c' with n >= 1 items"),
    ("pisinger-large", "p", "2 10\n1 2\n3 4\n" + "5 " * 30 + "\n", "has 30 tokens after the 2 items"),
    ("jooken", "j.in", "2\n0 5 3\n1 4 2\n6\n" + "7\n" * 10, "line 5: follows the capacity line"),
]


@pytest.mark.parametrize("fmt,name,text,needle", READER_CASES)
def test_public_readers(tmp_path, fmt, name, text, needle):
    (tmp_path / name).write_text(text)
    _one_line_exit_2(_run("convert", "--from", fmt, tmp_path / name, tmp_path / "out.jsonl"), name, needle)


def test_jooken_in_its_own_folder(tmp_path):
    d = tmp_path / "n_2_c_6_inst"
    d.mkdir()
    (d / "test.in").write_text("2\n0 5 3\n1 4 2\n6\n")
    p = _run("convert", "--from", "jooken", "test.in", tmp_path / "o.jsonl", cwd=d)
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "o.jsonl").read_text())["name"] == "n_2_c_6_inst"


@pytest.mark.parametrize("header,needle", [
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, "overlaps the tensor before it"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}, "leaves bytes 4..8 unused"),
])
def test_safetensors_offsets_must_tile(tmp_path, header, needle):
    _safetensors(tmp_path / "w.safetensors", header, bytes(12))
    _one_line_exit_2(_run("quantize", tmp_path / "w.safetensors", "--budget", 3), "w.safetensors", needle)


def test_safetensors_duplicate_names(tmp_path):
    raw = b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1], ' \
          b'"data_offsets": [0, 4]}}'
    (tmp_path / "w.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(4))
    _one_line_exit_2(_run("quantize", tmp_path / "w.safetensors", "--budget", 3), "names tensor 'a' twice")


@pytest.mark.parametrize("args,needle", [
    (["generate", "pisinger", "{tmp}/x.jsonl", "--R", "0"], "argument --R: must be a coefficient range"),
    (["generate", "adwords", "{tmp}/x.jsonl", "--density", "-1"], "argument --density: must be a share in (0, 1]"),
    (["methods", "--problem", "nosuch"], "--problem: must be one of"),
    (["quantize", "{tmp}/w.safetensors", "--budget", "3", "--group-size", "0"], "argument --group-size"),
    (["quantize", "{tmp}/w.safetensors", "--budget", "3", "--include", "("], "argument --include: is not a valid"),
    (["bench", "wt40", "--methods", "tardiness.edd", "--jobs", "-1"], "argument --jobs"),
    (["solve", "{kp}", "-m", "knapsack.cpsat", "--threads", "100000"], "argument --threads"),
    (["solve", "{kp}", "--method", ""], "argument --method/-m: must name a method"),
    (["solve", "{kp}", "--time-limit", "-1"], "argument --time-limit"),
    (["convert", "--to", "orlib-gap", "{kp}", "{tmp}/g.txt"], "orlib-gap holds gap instances; k is a knapsack"),
    (["solve", "{kp}", "-m", "knapsack.mip", "--option", "presolve=maybe"], "--option presolve='maybe': HiGHS rejects"),
    (["solve", "{kp}", "-m", "knapsack.mip", "--option", "time_limit=abc"], "--option time_limit='abc': HiGHS rejects"),
    (["solve", "{kp}", "-m", "knapsack.mip", "--option", "nosuch=1"], "--option nosuch=1: HiGHS rejects"),
    (["solve", "{kp}", "-m", "knapsack.dp", "--option", "nosuch=1"], "knapsack.dp has no such option (it takes: beam_width, max_nodes"),
    (["solve", "{kp}", "-m", "knapsack.dp", "--option", "max_states=abc"], "knapsack.dp needs an integer"),
    (["solve", "{kp}", "-m", "knapsack.cpsat", "--option", "nosuch=1"], "--option nosuch=1: CP-SAT rejects it"),
    (["solve", "{kp}", "-m", "knapsack.greedy", "--option", "nosuch=1"], "knapsack.greedy has no such option"),
    (["solve", "{kp}", "-m", "knapsack.pyomo", "--option", "nosuch=1"], "--option nosuch=1: HiGHS rejects"),
])
def test_command_arguments(tmp_path, args, needle):
    kp = tmp_path / "kp.json"
    kp.write_text(json.dumps(KP))
    _safetensors(tmp_path / "w.safetensors", {"a": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}},
                 bytes(4))
    args = [a.format(tmp=tmp_path, kp=kp) for a in args]
    p = _run(*args)
    _one_line_exit_2(p, needle)
    assert p.stdout == ""  # found before the first row (or a table's header) is printed


def test_option_for_a_method_that_takes_none(tmp_path):
    from optalloc.instances import save
    from optalloc.families.matching import generators as matching

    save([matching.assignment(3, seed=1)], tmp_path / "a.json")
    p = _run("solve", tmp_path / "a.json", "-m", "assignment.lapjv", "--option", "nosuch=1")
    _one_line_exit_2(p, "--option nosuch: assignment.lapjv takes no options")
    assert p.stdout == ""


def test_report_reads_a_solve_output_and_refuses_other_json_lines(tmp_path):
    """One row schema: what `solve --output` writes is a results file the report reads (it was bad input); JSON
    Lines of anything else still are, in one line."""
    kp = tmp_path / "kp.json"
    kp.write_text(json.dumps(KP))
    assert _run("solve", kp, "--output", tmp_path / "r.jsonl").returncode == 0
    p = _run("report", tmp_path / "r.jsonl", "-o", tmp_path / "rep")
    assert p.returncode == 0 and p.stderr == "" and (tmp_path / "rep" / "gaps.md").is_file()
    (tmp_path / "other.jsonl").write_text('{"a": 1}\n')
    _one_line_exit_2(_run("report", tmp_path / "other.jsonl", "-o", tmp_path / "rep2"),
                     "neither bench's results nor 'optalloc solve --output' lines")
