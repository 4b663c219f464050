"""Knapsack family: 0-1, bounded, multiple-choice and multidimensional knapsacks."""
from optalloc.family import POSITIVE, SHARE, Family, Format, Generator, Parameter, number

_R = number(int, 10, 10**12, what="a coefficient range from 10 to 10^12")
_MCKP_KINDS = ("uncorrelated", "weakly", "strongly", "subset_sum", "concave")


def _numbers(text):
    from optalloc.families.knapsack.generators import instance_numbers

    return instance_numbers(text)


FAMILY = Family(
    name="knapsack",
    package=__name__,
    description="0-1, bounded, multiple-choice (MCKP) and multidimensional (MKP) knapsacks",
    formats=(
        Format("pisinger", ".readers:read_pisinger", "Pisinger CSV blocks (knapPI_t_n_R.csv): name, n, c, "
               "z, time, then j,p,w,x lines, '-----'", ("knapsack",), ".readers:write_pisinger",
               patterns=("knapPI_*.csv",)),
        Format("pisinger-large", ".readers:read_pisinger_large", "Pisinger large_scale file: 'n c', n lines "
               "'p w', a 0/1 solution line", ("knapsack",), ".readers:write_pisinger_large",
               options=(Parameter("optimum-file", str, None, "a file whose first number is the optimum",
                              keyword="optimum_path"),)),
        Format("jooken", ".readers:read_jooken", "Jooken et al. 2022 test.in: n, n lines 'id p w', capacity",
               ("knapsack",), ".readers:write_jooken", patterns=("test.in",),
               options=(Parameter("optimum", int, None, "the known optimum (the files do not hold it)"),)),
        Format("mknap", ".readers:read_mknap", "OR-Library mknap1/mknapcb: K, then per problem 'n m opt', "
               "profits, m rows, capacities", ("mkp",), ".readers:write_mknap",
               patterns=("mknap1.txt", "mknapcb[0-9]*.txt")),
    ),
    generators=(
        Generator("pisinger", ".generators:pisinger_set", "Pisinger's 0-1 classes (his generator, "
                  "bit for bit)", seeded=False, params=(
                      Parameter("type", int, 1, "class 1-6, 9, 11-16"),
                      Parameter("n", POSITIVE, 100, "items"),
                      Parameter("R", _R, 1000, "coefficient range"),
                      Parameter("instances", _numbers, [1], "instance numbers, e.g. 1-100 or 5,7"))),
        Generator("mckp", ".generators:mckp", "multiple-choice knapsack", params=(
            Parameter("classes", POSITIVE, 100, "classes", keyword="k"),
            Parameter("options", POSITIVE, 10, "options per class"),
            Parameter("kind", str, "uncorrelated", "correlation of values and weights", choices=_MCKP_KINDS),
            Parameter("R", _R, 1000, "coefficient range"))),
        Generator("mkp", ".generators:mkp", "multidimensional knapsack", params=(
            Parameter("n", POSITIVE, 100, "items"),
            Parameter("m", POSITIVE, 5, "budgets"),
            Parameter("tightness", SHARE, 0.5, "capacity share"))),
        Generator("bounded", ".generators:bounded", "bounded knapsack", params=(
            Parameter("n", POSITIVE, 100, "items"),
            Parameter("R", _R, 1000, "coefficient range"))),
    ),
    kernels=(".knapsack01", "optalloc.engines.mckp"),
    warmup=".conformance:warmup",
)
