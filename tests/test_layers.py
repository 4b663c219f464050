"""The import contract: dependencies point one way (the layers in pyproject.toml, [tool.importlinter]), and
no family imports another (what families share lives in optalloc.engines). The families are the ones
optalloc finds, so the contract never lists them by hand."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_contract_holds(tmp_path):
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(lint).exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    from optalloc.family import families

    built_in = [f"optalloc.families.{name}" for name, fam in families().items() if fam.origin == "built-in"]
    assert len(built_in) >= 4
    config = tmp_path / "contracts.toml"
    config.write_text((ROOT / "pyproject.toml").read_text() + (
        '\n[[tool.importlinter.contracts]]\nname = "no family imports another"\ntype = "independence"\n'
        f'modules = {built_in!r}\n').replace("'", '"'))
    p = subprocess.run([lint, str(config), "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in p.stdout


def test_no_code_branches_on_a_problem_kind_name():
    """A problem kind owns its formulation (Problem.formulation), its brute force (Problem.candidates) and its
    random instances (Problem.fuzz), and a method maps each kind it solves to a run function: so no code compares
    a value with a problem kind's name. Declarations name kinds in tuples and tables, never in comparisons."""
    import ast

    from optalloc.problems import problem_names

    kinds = set(problem_names())
    found = []
    for path in sorted((ROOT / "optalloc").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                names = [e for s in sides for e in (s.elts if isinstance(s, (ast.Tuple, ast.List, ast.Set)) else [s])]
                if any(isinstance(e, ast.Constant) and e.value in kinds for e in names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
