"""The model family's methods: any linear or mixed-integer model, certified against its own rows.

model.highs   exact: HiGHS (LP or MIP); integer columns rounded, then every row, bound and integrality rechecked
model.cpsat   exact: CP-SAT on integer models (rows scaled exactly to integers, or a refusal that says why)"""
from __future__ import annotations

from optalloc.families.model.runs import cp_model_export, run_cpsat, run_highs
from optalloc.registry import Method, register

KINDS = ("linear_model",)


def _itself(instance):
    return instance.data


register(Method("model.highs", KINDS, "exact", "highs", run_highs, "HiGHS on the model as given (LP or MIP)",
                requires=("highspy",), distribution="highspy", linear_model=_itself, preferred=True))
register(Method("model.cpsat", KINDS, "exact", "ortools-cpsat", run_cpsat,
                "CP-SAT on integer models (rows scaled exactly to integers)", requires=("ortools",),
                distribution="ortools", cp_model=cp_model_export, excludes=("continuous",)))
