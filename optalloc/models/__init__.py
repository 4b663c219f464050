"""The modelling bridge. Each family builds its formulation two ways (its declaration names the module): as
a Pyomo model to print, change and solve, and as arrays (`LinearModel`, in optalloc.models.linear) straight
into highspy for speed."""


def for_problem(problem: str):
    """The formulation module of a problem kind (it has mip(instance) and arrays(instance))."""
    import importlib

    from optalloc.problems import family_of

    fam = family_of(problem)
    if fam.formulations is None:
        from optalloc.errors import UnsupportedProblemError

        raise UnsupportedProblemError(f"no MIP formulation for {problem!r} (family {fam.name} declares none)")
    return importlib.import_module(fam.formulations)
