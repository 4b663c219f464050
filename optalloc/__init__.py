"""optalloc: allocation problems stated once, solved exactly or heuristically, every answer certified.

    >>> import optalloc
    >>> inst = optalloc.make_instance("knapsack", "demo", {"values": [6, 10, 12], "weights": [1, 2, 3], "capacity": 5})
    >>> res = optalloc.solve(inst, "knapsack.dp")
    >>> (str(res.status), res.objective, res.solution)
    ('optimal', 22, {'items': [1, 2]})
"""
from optalloc.version import __version__  # noqa: E402,F401

from optalloc.errors import (InstanceError, MethodUnavailableError, OptallocError, OptionError, UnknownMethodError,  # noqa: E402
                     UnsupportedProblemError, VerificationError)
from optalloc.instances import Instance, Reference, load, make_instance, save  # noqa: E402
from optalloc.options import SolveOptions  # noqa: E402
from optalloc.registry import all_methods, get_method  # noqa: E402
from optalloc.result import Result  # noqa: E402
from optalloc.solve import solve  # noqa: E402
from optalloc.status import SolutionStatus, Status  # noqa: E402


def solve_model(model, method=None, options=None, **option_values) -> Result:
    """Solve a linear or mixed-integer model of your own, certified against its own rows.

    `model` is a Pyomo model (linear; its variables receive the values), a LinearModel, or the path of an
    .mps or .lp file. `method` is "model.highs" (the default) or "model.cpsat" (integer models whose rows
    scale exactly to integers). `options` and `option_values` are solve's: time_limit, threads, rel_gap,
    abs_gap, seed, verbose, log_file, backend_options. A model built by a family's formulation and then
    changed is also compared with the instance's own optimum (Result.extra: base_optimum, verdict
    model_changed or reproduced). See optalloc.families.model.api."""
    import importlib

    # found by name, like every family: the package root sits below the families in the import contract
    return importlib.import_module("optalloc.families.model.api").solve_model(model, method, options, **option_values)

def allocate(table, budget, **options):
    """Choose one level per unit within a budget (KV cache per head, samples per stage, examples per query, bits
    per module): `table` has a row per (unit, level) with its cost and value; returns an Allocation with the
    certified Result and the chosen levels. `options` are optalloc.allocation.allocate's keyword arguments (unit,
    level, cost, value, min_level, max_level, sense, time_limit, method, name)."""
    import importlib

    # found by name: the front door sits above the families in the import contract, like the command line
    return importlib.import_module("optalloc.allocation").allocate(table, budget, **options)


__all__ = ["allocate", "Instance", "InstanceError", "MethodUnavailableError", "OptallocError", "OptionError", "Reference", "Result",
           "SolutionStatus", "SolveOptions", "Status", "UnknownMethodError", "UnsupportedProblemError",
           "VerificationError", "all_methods", "get_method", "load", "make_instance", "save", "solve", "solve_model"]
