"""optalloc.solve_model: any linear or mixed-integer model, solved and certified against itself.

A Pyomo model, a LinearModel or an .mps / .lp file becomes an instance of the problem kind `linear_model`
and goes through optalloc.solve like any instance: the answer is recomputed from the model's own rows,
bounds and integrality before it is reported (see optalloc.families.model.problems).

A Pyomo model built by a family's formulation (optalloc.families.<family>.models.mip(instance)) remembers its
instance. Then the Result also speaks in the instance's terms (the solution decoded, and checked against the
instance), the instance's reference is compared only when the model is unchanged (otherwise its verdict is
"model_changed"), and when the change only restricts the model (rows added, bounds tightened, objective and
columns unchanged) the family's exact optimum of the instance is a valid bound, reported with
extra["bound_source"]."""
from __future__ import annotations

import os

import numpy as np

from optalloc.errors import OptallocError, UnsupportedProblemError, VerificationError
from optalloc.instances.format import Instance
from optalloc.models.linear import LinearModel


def as_instance(model) -> tuple[Instance, list | None]:
    """The model as a linear_model instance, with the Pyomo variables in column order (None otherwise)."""
    if isinstance(model, (str, os.PathLike)):
        from optalloc.families.model.files import read_model

        return read_model(model)[0], None
    if isinstance(model, LinearModel):
        return Instance("linear_model", "model", model), None
    if hasattr(model, "component_data_objects"):
        from optalloc.models.linear import from_pyomo

        lm, variables = from_pyomo(model)
        return Instance("linear_model", getattr(model, "name", None) or "model", lm), variables
    raise UnsupportedProblemError(f"solve_model takes a Pyomo model, an optalloc LinearModel or the path of an "
                                  f".mps or .lp file, not {type(model).__name__}")


def solve_model(model, method=None, options=None, **option_values):
    """Solve `model` with `method` (default model.highs; model.cpsat for integer models) and certify the
    answer against the model itself. A Pyomo model gets the values loaded back into its variables. A time
    limit covers the whole call: the heuristic start and the instance's optimum take their share of it."""
    import time

    from optalloc.solve import _options, solve

    started = time.perf_counter()
    opts = _options(options, option_values)
    instance, variables = as_instance(model)
    built = getattr(model, "_optalloc_built", None)
    base = built.arrays() if built is not None else None
    order = None if base is None else _base_order(instance.data, base)
    start_source = None
    if built is not None and instance.data.integer.any():
        start_source = _heuristic_start(instance.data, built, order, opts)
    result = solve(instance, method or "model.highs", _left(opts, started))
    x = None if result.solution is None else result.solution.get("x")
    if variables is not None and x is not None:
        for var, value in zip(variables, x):
            var.set_value(value, skip_validation=True)
    if built is not None:
        if start_source:
            result.extra["mip_start"] = start_source
        _speak_in_instance_terms(result, instance.data, built, base, order, _left(opts, started))
    return result


HEURISTIC_SHARE = 0.1  # of a time limit, for the heuristic start (and at most HEURISTIC_SECONDS)
HEURISTIC_SECONDS = 1.0


def _left(opts, started):
    """The options with the time limit cut to what is left of it since `started` (None: no limit)."""
    import time

    from optalloc.options import SolveOptions

    out = SolveOptions.from_dict(opts.to_dict())
    if opts.time_limit is not None:
        out.time_limit = max(0.0, opts.time_limit - (time.perf_counter() - started))
    return out


def _heuristic_start(lm: LinearModel, built, order, opts) -> str | None:
    """Offer the family's best heuristic answer as a MIP start (lm.start) when the family can encode it and it
    satisfies every row of the model, added ones included. Returns the heuristic's name, or None."""
    from optalloc.families.model.problems import evaluate_point
    from optalloc.gap import better
    from optalloc.registry import methods_for
    from optalloc.solve import solve

    inst = built.instance
    encode = built.encode
    if encode is None or order is None or len(order) != lm.shape[1]:
        return None  # no encoder, or columns the family's model does not have: nothing to start from
    seconds = HEURISTIC_SECONDS if opts.time_limit is None else min(HEURISTIC_SECONDS,
                                                                    HEURISTIC_SHARE * opts.time_limit)
    heuristics = [m for m in methods_for(inst.problem) if m.kind == "heuristic" and m.available()]
    best = None
    for m in heuristics:
        try:
            r = solve(inst, m, time_limit=seconds / max(1, len(heuristics)), seed=opts.seed)
        except OptallocError:
            continue
        if r.has_solution and (best is None or better(r.objective, best.objective, inst.sense)):
            best = r
    if best is None:
        return None
    x_base = encode(best.solution)
    if x_base is None:
        return None
    x = np.empty(lm.shape[1])
    x[order] = x_base
    if not evaluate_point(lm, x.tolist()).feasible:
        return None  # it breaks a row the user added: no start
    lm.start = x
    return best.method


def _base_order(lm: LinearModel, base: LinearModel):
    """The model's column of each of the base's columns, matched by name (an array), or None when the model
    lost one of them."""
    column = {str(n): j for j, n in enumerate(lm.col_names)}
    order = [column.get(str(n)) for n in base.col_names]
    return None if any(j is None for j in order) else np.asarray(order, dtype=np.int64)


def _restricts(lm: LinearModel, base: LinearModel, changed_rows: set, order) -> bool:
    """True when `lm` only restricts `base`: the same columns and objective, every row of the base kept
    unchanged, every column bound at least as tight."""
    if lm.sense != base.sense or lm.offset != base.offset or lm.shape[1] != base.shape[1] or changed_rows:
        return False
    if order is None:
        return False
    return bool(np.array_equal(lm.c[order], base.c) and np.array_equal(lm.integer[order], base.integer)
                and np.all(lm.col_lo[order] >= base.col_lo) and np.all(lm.col_hi[order] <= base.col_hi))


def _speak_in_instance_terms(result, lm: LinearModel, built, base: LinearModel, order, opts) -> None:
    from optalloc.gap import gap, better
    from optalloc.registry import default_method
    from optalloc.result import compare_reference
    from optalloc.solve import solve

    inst = built.instance
    now, then = lm.canonical(), base.canonical()
    changed = now != then
    result.extra.update(built_from=inst.name, problem_kind=inst.problem, model_changed=changed)
    # rows of the base that are gone or different (a restriction keeps them all)
    changed_rows = {name for name, row in then["rows"].items() if now["rows"].get(name) != row}
    x = None if result.solution is None else result.solution.get("x")
    if x is not None:
        if order is not None:
            terms = built.decode(np.asarray(x, dtype=float)[order])
            ev = inst.spec.evaluate(inst.data, terms)
            if not changed and (not ev.feasible or not np.isclose(ev.objective, result.objective, rtol=1e-9, atol=1e-9)):
                # the unchanged model is the family's formulation: its optimum must be the instance's
                raise VerificationError(f"{inst.name}: the family's model and the instance disagree: model objective "
                                        f"{result.objective}, instance objective {ev.objective}, violations "
                                        f"{'; '.join(ev.violations) or 'none'}")
            result.solution = {**terms, "x": x}
            result.extra["instance_objective"] = ev.objective
            if ev.violations:  # a relaxed model may leave the instance's own rules: said, never hidden
                result.extra["instance_violations"] = ev.violations
    if not changed:
        result.reference = compare_reference(result.objective, result.bound, result.sense, inst.reference)
    elif inst.reference is not None:
        result.reference = {"value": inst.reference.value, "kind": inst.reference.kind,
                            "source": inst.reference.source, "verdict": "model_changed",
                            "note": "the model was changed after it was built from the instance: the instance's "
                                    "reference does not apply to it"}
    result.extra["bound_source"] = result.method if result.bound is not None else None
    if changed and _restricts(lm, base, changed_rows, order) and opts.time_limit != 0.0:
        # a restriction cannot do better than the instance's own optimum: a valid bound, proven by the family
        exact = default_method(inst.problem)
        r = solve(inst, exact, opts)
        if r.status.value == "optimal":
            result.extra.update(base_optimum=r.objective, base_method=exact.name)
            if result.bound is None or better(result.bound, r.objective, result.sense):
                result.bound = r.objective
                result.gap = gap(result.objective, result.bound, result.sense)
                result.extra["bound_source"] = f"the instance's optimum ({exact.name})"
