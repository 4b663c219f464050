"""Declarative models. Each family module builds the same formulation two ways: as a Pyomo model to print,
change and solve through optalloc, and as arrays (`LinearModel`) straight into highspy for speed."""


def for_problem(problem: str):
    """The formulation module of a problem kind (it has mip(instance) and arrays(instance))."""
    from ..problems import get_problem

    family = get_problem(problem).family
    if family == "knapsack":
        from . import knapsack as module
    elif family == "bitalloc":
        from . import bitalloc as module
    elif family == "matching":
        from . import matching as module
    elif family == "scheduling":
        from . import tardiness as module
    else:
        from ..errors import UnsupportedProblemError

        raise UnsupportedProblemError(f"no MIP formulation for {problem!r}")
    return module
