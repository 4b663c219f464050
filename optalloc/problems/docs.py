"""The problem kinds as a user reads them, written from their declarations (Problem.field_docs, example,
solution_doc): the README's table of kinds and the documentation's instance-format reference. Generated, so
they cannot drift from what validation accepts (tests compare the README's table and validate each example)."""
from __future__ import annotations

import json


def _kinds():
    from optalloc.problems.base import get_problem, problem_names

    return [get_problem(n) for n in problem_names()]


def kinds_table() -> str:
    """One Markdown row per problem kind: its family, sense, data fields and solution."""
    rows = ["| kind | family | sense | data fields | a solution |", "|---|---|---|---|---|"]
    for k in _kinds():
        fields = ", ".join(f"`{f}`" for f in k.field_docs)
        sense = "per instance (`sense`)" if "sense" in k.fields else k.sense
        rows.append(f"| `{k.name}` | {k.family} | {sense} | {fields} | `{k.solution_doc}` |")
    return "\n".join(rows) + "\n"


def kinds_page() -> str:
    """Every problem kind in full: what it is, each field's shape and meaning, a minimal instance that validates,
    and the shape of a solution."""
    out = ["# Problem kinds\n",
           "Every kind below is one `problem` of the instance format. Each example is a whole instance that "
           "`optalloc validate` accepts and `optalloc solve` solves (the tests check both).\n"]
    for k in _kinds():
        out.append(f"## `{k.name}`\n")
        out.append(f"{k.description[0].upper() + k.description[1:]}. Family `{k.family}`; sense: "
                   + ("given per instance by the `sense` field" if "sense" in k.fields else k.sense) + ".\n")
        out.append("| field | shape and meaning |\n|---|---|\n" + "".join(
            f"| `{f}` | {doc} |\n" for f, doc in k.field_docs.items()))
        doc = {"problem": k.name, "name": f"{k.name}-example", "data": k.example}
        out.append("```json\n" + json.dumps(doc) + "\n```\n")
        out.append(f"A solution: `{k.solution_doc}`.\n")
    return "\n".join(out)
