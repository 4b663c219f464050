"""The notebooks' sources are the Python files beside them, in the percent format ("# %%" starts a code cell,
"# %% [markdown]" a text cell whose lines start with "# "): code that is read, diffed and linted like code. Each
notebooks/NAME.ipynb is built from NAME.py.

    python notebooks/build_notebooks.py            # write every .ipynb from its .py
    python notebooks/build_notebooks.py --check    # exit 1 when an .ipynb is not what its .py builds
    python notebooks/build_notebooks.py --from-ipynb NAME   # carry edits made in Jupyter back into NAME.py

A build never overwrites a notebook whose cells were edited in Jupyter since its source last changed: it stops
and says to run --from-ipynb first (or to delete the .ipynb to discard those edits)."""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CODE, TEXT = "# %%", "# %% [markdown]"


def sources() -> list[Path]:
    """The notebook sources: every .py here but this script."""
    return sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name)


def cells_of(source: str) -> list[tuple[str, str]]:
    """(kind, text) per cell of a percent-format source; the header comment before the first cell is dropped."""
    cells: list[tuple[str, list[str]]] = []
    for line in source.splitlines():
        if line == TEXT:
            cells.append(("md", []))
        elif line == CODE:
            cells.append(("code", []))
        elif cells:
            kind, lines = cells[-1]
            if kind == "md":
                line = line[2:] if line.startswith("# ") else line.lstrip("#")
            lines.append(line)
    return [(kind, "\n".join(lines).strip("\n")) for kind, lines in cells]


def source_of(name: str, cells) -> str:
    """The percent-format source of `cells` (the inverse of cells_of)."""
    out = ['# ---\n# optalloc notebook source (percent format): "# %%" starts a code cell, "# %% [markdown]" a '
           f'text cell.\n# notebooks/{name}.ipynb is built from this file: python notebooks/build_notebooks.py\n# ---\n']
    for kind, text in cells:
        if kind == "md":
            out.append(TEXT + "\n" + "\n".join(("# " + x) if x else "#" for x in text.split("\n")) + "\n")
        else:
            out.append(CODE + "\n" + text + "\n")
    return "\n".join(out)


def notebook(name: str, cells):
    import nbformat as nbf

    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src) for kind, src in cells]
    for k, cell in enumerate(nb.cells):
        cell.id = f"{name}-{k}"  # fixed ids: rebuilding a notebook changes nothing unless its cells did
    return nb


def cells_in(path: Path) -> list[tuple[str, str]]:
    """(kind, text) per cell of a built notebook."""
    import nbformat as nbf

    nb = nbf.read(path, as_version=4)
    return [("md" if c.cell_type == "markdown" else "code", c.source.strip("\n")) for c in nb.cells]


def stale() -> list[str]:
    """The notebooks that are not what their sources build (missing, or cells that differ)."""
    out = []
    for src in sources():
        ipynb = src.with_suffix(".ipynb")
        if not ipynb.exists() or cells_in(ipynb) != cells_of(src.read_text()):
            out.append(ipynb.name)
    return out


def build() -> int:
    import nbformat as nbf

    for src in sources():
        ipynb = src.with_suffix(".ipynb")
        cells = cells_of(src.read_text())
        if ipynb.exists():
            built = cells_in(ipynb)
            if built == cells:
                continue
            if ipynb.stat().st_mtime > src.stat().st_mtime:
                print(f"{ipynb.name} was edited after {src.name}: run 'python notebooks/build_notebooks.py "
                      f"--from-ipynb {src.stem}' to keep those edits (or delete {ipynb.name} to drop them)",
                      file=sys.stderr)
                return 1
        nbf.write(notebook(src.stem, cells), ipynb)
        print("wrote", ipynb)
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--check"]:
        bad = stale()
        for name in bad:
            print(f"{name} is not what its .py builds: run python notebooks/build_notebooks.py", file=sys.stderr)
        return 1 if bad else 0
    if argv[:1] == ["--from-ipynb"]:
        for name in argv[1:]:
            (HERE / f"{name}.py").write_text(source_of(name, cells_in(HERE / f"{name}.ipynb")))
            print("wrote", HERE / f"{name}.py")
        return 0
    return build()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
