"""Every example in the README and the documentation runs as written: each shell line of their ```bash blocks
(but the set-up ones, which CI runs itself: make, source, git, cd, pip and jupyter, and the opt-in long runs),
in a scratch folder that sees the repository's bundled instances, must exit 0; the Python blocks of the docs run
in one namespace (the README's own Python blocks run in tests/test_solve_model.py)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SET_UP = ("make ", "source ", "git ", "cd ", "pip ", ".venv/bin/pip ", ".venv/bin/jupyter", "jupyter ",
          "python benchmarks/")


def _blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(), flags=re.S)


def _shell_lines() -> list[tuple[str, str]]:
    out = []
    for path in SOURCES:
        for block in _blocks(path, "bash"):
            for line in block.splitlines():
                command = line.split("  #")[0].strip()  # the comment that explains it
                if command and not command.startswith("#") and not command.startswith(SET_UP):
                    out.append((f"{path.name}: {command[:60]}", command))
    return out


LINES = _shell_lines()


def test_the_readme_has_examples_to_run():
    assert sum(1 for where, _ in LINES if where.startswith("README.md")) >= 20


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A folder where the examples' relative paths (instances/...) resolve and their outputs land."""
    d = tmp_path_factory.mktemp("examples")
    (d / "instances").symlink_to(ROOT / "instances")
    (d / "runs").mkdir()
    return d


@pytest.mark.parametrize("command", [c for _, c in LINES], ids=[w for w, _ in LINES])
def test_shell_example_runs_as_written(command, scratch):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    # a command that reads what an earlier one wrote (sc.csv, runs/r.parquet) runs after it: the order is kept
    p = subprocess.run(["bash", "-c", command], cwd=scratch, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{command}\nexit {p.returncode}\n{p.stderr[-2000:]}"


def test_docs_python_blocks_run():
    namespace: dict = {}
    for path in SOURCES[1:]:
        for block in _blocks(path, "python"):
            exec(compile(block, str(path), "exec"), namespace)


def test_the_readme_table_of_kinds_is_the_declared_one():
    from optalloc.problems.docs import kinds_table

    assert kinds_table() in (ROOT / "README.md").read_text(), \
        "README's table of problem kinds differs from the declarations: paste optalloc.problems.docs.kinds_table()"


def test_every_problem_kind_is_documented_with_an_example_that_validates_and_solves():
    import optalloc
    from optalloc.problems import get_problem, problem_names

    names = problem_names()
    assert len(names) >= 13
    for name in names:
        kind = get_problem(name)
        assert kind.field_docs and set(kind.field_docs) == set(kind.fields), name  # every field, and only those
        assert kind.example is not None and kind.solution_doc, name
        inst = optalloc.make_instance(name, f"{name}-example", kind.example)
        r = optalloc.solve(inst, time_limit=20)
        assert str(r.status) == "optimal", (name, r.status)
        assert kind.evaluate(inst.data, r.solution).feasible


def test_validation_speaks_the_kind_s_terms():
    """A GAP written as jobs x agents is told that costs and weights are agents x jobs (it was told "one per
    item", knapsack's words)."""
    import optalloc
    from optalloc.errors import InstanceError

    with pytest.raises(InstanceError) as e:
        optalloc.make_instance("gap", "g", {"costs": [[3, 4], [5, 2], [4, 6]], "weights": [[2, 3], [3, 2], [2, 3]],
                                            "capacities": [4, 5]})
    assert str(e.value) == ("data.capacities: must have 3 entries (one per agent: costs and weights have one row per "
                            "agent and one column per job), has 2")
