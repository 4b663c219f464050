"""Pages generated from the code at build time, so the docs cannot drift from it: one page per family (from
its declaration and the methods registered for its problem kinds), the command line (from the parser), and
the notebooks (copied from ../notebooks, executed by myst-nb)."""
from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "generated"


def _table(head, rows) -> str:
    def cell(x):
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]) + "\n"


def family_page(fam) -> str:
    from optalloc.problems import get_problem, problem_names
    from optalloc.registry import all_methods

    kinds = [get_problem(n) for n in problem_names() if get_problem(n).family == fam.name]
    out = [f"# Family `{fam.name}`\n", fam.description.strip() + "\n"]
    out.append("## Problem kinds\n")
    out.append(_table(["kind", "sense", "data fields", "what it is"],
                      [(f"`{k.name}`", k.sense, ", ".join(f"`{f}`" for f in sorted(k.fields)), k.description)
                       for k in kinds]))
    names = {k.name for k in kinds}
    methods = [m for m in all_methods() if set(m.problems) & names]
    out.append("## Methods\n")
    out.append("Exact methods prove their answer (status `optimal`) or return valid bounds; heuristics return a "
               "solution with a cheap proven bound whenever one exists, so their gap is certified too. "
               "`optalloc methods --describe NAME` shows one in full.\n")
    out.append(_table(["method", "kind", "backend", "problems", "what it does"],
                      [(f"`{m.name}`", m.kind, m.backend, ", ".join(m.problems), m.description) for m in methods]))
    params = [(m, p) for m in methods for p in (m.parameters or ())]
    if params:
        out.append("### Method options (`--option NAME=VALUE`)\n")
        out.append(_table(["method", "option", "type", "default", "meaning"],
                          [(f"`{m.name}`", f"`{p.name}`", getattr(p.type, "__name__", str(p.type)), p.default,
                            p.help) for m, p in params]))
    if fam.formats:
        out.append("## File formats\n")
        out.append("Read with `--from NAME` (or without it when the file name makes the format certain); written "
                   "with `optalloc convert --to NAME`.\n")
        out.append(_table(["format", "problem kinds", "file names read without --from", "reader options", "what it is"],
                          [(f"`{f.name}`", ", ".join(f.problems), ", ".join(f"`{p}`" for p in f.patterns) or "-",
                            ", ".join(f"`--{p.name}`: {p.help}" for p in f.options) or "-", f.help)
                           for f in fam.formats]))
    if fam.generators:
        out.append("## Generators\n")
        out.append("`optalloc generate NAME OUT.jsonl [--seed K --count C] [parameters]`\n")
        out.append(_table(["generator", "parameters", "what it makes"],
                          [(f"`{g.name}`", ", ".join(f"`--{p.name}`" for p in g.params) or "-", g.help)
                           for g in fam.generators]))
    return "\n".join(out)


def cli_page() -> str:
    from optalloc.cli import build_parser

    os.environ["COLUMNS"] = "110"  # argparse wraps to the terminal; a fixed width keeps the page stable
    parser = build_parser()
    out = ["# The command line\n",
           "Every command ends with one of these exit codes: 0 solved, 1 no solution (or a failed check), 2 bad "
           "input (one line on stderr naming the file and the field or line), 3 internal error, 130 "
           "interrupted (Ctrl-C: what finished is kept).\n",
           "```text\n" + parser.format_help() + "```\n"]
    examples = _readme_examples()
    for action in parser._actions:  # the sub-commands, in the order the parser declares them
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append(f"## `optalloc {name}`\n")
                mine = [x for x in examples if x.split()[:2] == ["optalloc", name] or f"| optalloc {name} " in x]
                if mine:  # the README's examples of this command (a test runs every one of them as written)
                    out.append("Examples:\n\n```bash\n" + "\n".join(mine) + "\n```\n")
                out.append("```text\n" + sub.format_help() + "```\n")
    return "\n".join(out)


def _readme_examples() -> list[str]:
    """The command lines of the README's bash blocks (without their comments)."""
    import re

    text = (HERE.parent / "README.md").read_text()
    lines = [x.split("  #")[0].rstrip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)
             for x in block.splitlines()]
    return [x for x in lines if "optalloc " in x and not x.lstrip().startswith("#")]


def write_all() -> None:
    from optalloc.family import families

    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "families").mkdir(parents=True)
    fams = sorted(families().values(), key=lambda f: f.name)
    for fam in fams:
        (OUT / "families" / f"{fam.name}.md").write_text(family_page(fam))
    (OUT / "families.md").write_text(
        "# Families\n\nA family is one folder under `optalloc/families/` with one declaration: its problem kinds, "
        "readers, generators, formulations, algorithms, heuristics, methods and conformance cases. These pages "
        "are generated from those declarations.\n\n```{toctree}\n:maxdepth: 1\n\n"
        + "".join(f"families/{f.name}\n" for f in fams) + "```\n")
    (OUT / "cli.md").write_text(cli_page())
    from optalloc.problems.docs import kinds_page

    (OUT / "kinds.md").write_text(kinds_page())
    nb_out = OUT / "notebooks"
    nb_out.mkdir()
    notebooks = sorted((HERE.parent / "notebooks").glob("*.ipynb"))
    for nb in notebooks:
        shutil.copy(nb, nb_out / nb.name)
    (OUT / "tutorials.md").write_text(
        "# Tutorials\n\nThe notebooks in `notebooks/`, executed when these pages are built (and by the tests): "
        "each explains why, shows how, and ends with assertions on what it found.\n\n```{toctree}\n:maxdepth: 1\n\n"
        + "".join(f"notebooks/{nb.stem}\n" for nb in notebooks) + "```\n")
