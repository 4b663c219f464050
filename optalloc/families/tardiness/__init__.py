"""Single-machine tardiness family: 1||ΣT_j and 1||Σw_jT_j."""
from optalloc.family import POSITIVE, Family, Format, Generator, Parameter


FAMILY = Family(
    name="tardiness",
    package=__name__,
    description="single-machine total (weighted) tardiness",
    formats=(
        Format("orlib-wt", ".readers:read_orlib_wt", "OR-Library wt40/wt50/wt100 (125 x (p, w, d) blocks; "
               "optima from wtopt*/wtbest100b beside it)", ("tardiness",), ".readers:write_orlib_wt",
               patterns=("wt[0-9]*.txt",),
               options=(Parameter("jobs-per-instance", POSITIVE, None, "jobs per instance (default: the number that ends the file "
                                                      "name, 40 for wt40.txt)", keyword="n"),)),
        Format("smtt", ".readers:read_smtt", "unweighted tardiness sets: header 'n RDD TF k OPT' then n "
               "lines 'p d'", ("tardiness",), ".readers:write_smtt", patterns=("smtt_n[0-9]*.txt",)),
    ),
    generators=(
        Generator("potts-vw", ".generators:potts_vw", "Potts & Van Wassenhove's instances", params=(
            Parameter("n", POSITIVE, 100, "jobs"),
            Parameter("tf", float, 0.6, "tardiness factor"),
            Parameter("rdd", float, 0.4, "relative range of due dates"),
            Parameter("weighted", bool, False, "weights ~ U{1..10}", flag=True))),
    ),
    kernels=(".exact", ".heuristics", ".lawler", "optalloc.engines.subgradient"),
    warmup=".conformance:warmup",
)
