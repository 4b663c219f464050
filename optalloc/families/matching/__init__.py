"""Matching family: assignment, generalized assignment (GAP), makespan on unrelated machines, query
routing under a budget, b-matching and AdWords."""
from optalloc.family import POSITIVE, SHARE, Family, Format, Generator, Parameter

_N = Parameter("n", POSITIVE, 100, "tasks, jobs, queries or columns")
_M = Parameter("m", POSITIVE, 5, "agents, machines, models or rows")
_DENSITY = Parameter("density", SHARE, None, "share of allowed pairs")
_SENSE = ("min", "max")

FAMILY = Family(
    name="matching",
    package=__name__,
    description="assignment, GAP, makespan, routing, b-matching and AdWords",
    formats=(
        Format("orlib-assign", ".readers:read_assign", "OR-Library assignN (dense) / assignpN (sparse arcs)",
               ("assignment",), ".readers:write_assign", patterns=("assign[0-9]*.txt", "assignp[0-9]*.txt")),
        Format("orlib-gap", ".readers:read_orlib_gap", "OR-Library gap1..12 (max) and gapa..d (min), several "
               "instances per file", ("gap",), ".readers:write_orlib_gap", patterns=("gap[0-9]*.txt", "gap[a-d].txt"),
               options=(Parameter("sense", str, None, "min or max (default: by the file name, min for gapa..gapd, "
                                                  "max for any other name)", choices=_SENSE),)),
        Format("yagiura-gap", ".readers:read_yagiura_gap", "Yagiura's single-instance GAP files (min)",
               ("gap",), ".readers:write_yagiura_gap",
               options=(Parameter("sense", str, "min", "min or max", choices=_SENSE),)),
    ),
    generators=(
        Generator("assignment", ".generators:assignment", "n x n assignment (dense unless --density)",
                  params=(_N, _DENSITY)),
        Generator("gap", ".generators:gap", "generalized assignment, Chu & Beasley's types",
                  params=(_M, _N, Parameter("kind", str, "D", "type", choices=tuple("ABCDE")))),
        Generator("makespan", ".generators:makespan", "unrelated machines (R||Cmax)", params=(_M, _N)),
        Generator("routing", ".generators:routing", "queries to models under a cost budget",
                  params=(Parameter("n", POSITIVE, 100, "queries", keyword="queries"),
                          Parameter("m", POSITIVE, 5, "models", keyword="models"))),
        Generator("bmatching", ".generators:bmatching", "bipartite b-matching",
                  params=(Parameter("m", POSITIVE, 5, "rows", keyword="rows"),
                          Parameter("n", POSITIVE, 100, "columns", keyword="cols"), _DENSITY)),
        Generator("adwords", ".generators:adwords", "AdWords: budgets, bids, queries",
                  params=(Parameter("m", POSITIVE, 5, "advertisers", keyword="advertisers"),
                          Parameter("n", POSITIVE, 100, "queries", keyword="queries"), _DENSITY)),
    ),
    kernels=(".gap_bound", ".gap_dive", ".heuristics", "optalloc.engines.subgradient"),
)
