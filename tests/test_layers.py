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
