"""Seeded instance generators, as the families declare them (Family.generators). The same arguments always
give the same instance."""
from __future__ import annotations
from optalloc.errors import OptionError


def generate(name: str, *, seed: int = 0, count: int = 1, **params) -> list:
    """The instances of generator `name` with `params` (a parameter left out, or None, takes its default);
    a seeded generator makes `count` instances of seeds seed..seed+count-1. A bad value raises ValueError."""
    from optalloc.family import generators, resolve

    gens = generators()
    if name not in gens:
        raise OptionError(f"generate: {name!r} is not a generator (choose from {', '.join(sorted(gens))})")
    g = gens[name]
    declared = {p.name: p for p in g.params}
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise OptionError(f"generate {name}: no parameter {unknown[0]!r} (it takes: {', '.join(declared) or 'none'})")
    kwargs = {}
    for p in g.params:
        value = params.get(p.name)
        why = p.problem(value)
        if why:
            raise OptionError(f"generate {name}: --{p.name} must be {why}, got {value!r}")
        if value is None:
            value = p.default
        if value is not None:
            kwargs[p.keyword or p.name] = value
    make = resolve(g.make)
    if not g.seeded:
        out = make(**kwargs)
    else:
        out = [make(**kwargs, seed=seed + k) for k in range(count)]
    return [x for item in (out if isinstance(out, list) else [out]) for x in (item if isinstance(item, list) else [item])]
