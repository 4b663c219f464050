"""Notebooks are part of the product: each runs top to bottom and ends with its own assertions."""
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "all checks passed" in outputs


def test_notebooks_are_built_from_their_text_sources():
    """notebooks/NAME.py (percent format) is the source; NAME.ipynb must be what it builds. A notebook edited in
    Jupyter fails here until its edits are carried back (build_notebooks.py --from-ipynb NAME)."""
    import subprocess
    import sys

    here = Path(__file__).resolve().parent.parent / "notebooks"
    p = subprocess.run([sys.executable, str(here / "build_notebooks.py"), "--check"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert sorted(x.stem for x in NOTEBOOKS) == sorted(x.stem for x in here.glob("*.py") if x.name != "build_notebooks.py")


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.py")),
                         ids=lambda p: p.name)
def test_notebook_sources_are_code(path):
    """Linted like code: each source compiles as Python, and names nothing it does not import or define
    (pyflakes' undefined-name check, when pyflakes is installed)."""
    source = path.read_text()
    compile(source, str(path), "exec")
    pyflakes = pytest.importorskip("pyflakes.api")
    from pyflakes.reporter import Reporter
    import io

    out = io.StringIO()
    pyflakes.check(source, str(path), Reporter(out, out))
    problems = [x for x in out.getvalue().splitlines() if "imported but unused" not in x]
    assert not problems, problems
