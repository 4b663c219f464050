# ---
# optalloc notebook source (percent format): "# %%" starts a code cell, "# %% [markdown]" a text cell.
# notebooks/modelling.ipynb is built from this file: python notebooks/build_notebooks.py
# ---

# %% [markdown]
# # Your own model, certified
#
# optalloc's families come with their formulations, but an allocation problem often has a rule no family
# knows. This notebook writes a model from scratch in Pyomo (KV-cache slots across attention heads: each head
# gets a number of cache blocks, a head's value grows with diminishing returns, layers share a memory cap, and
# two heads that serve the same tokens must get equal blocks), solves it through optalloc, and shows what the
# certificate checks. It runs in CI and ends with assertions.

# %%
import numpy as np
import pyomo.environ as pyo
import matplotlib.pyplot as plt

import optalloc

rng = np.random.default_rng(3)
heads, layers, levels = 24, 4, 8          # 6 heads per layer; 0..8 blocks per head
gain = np.round(np.sort(rng.uniform(0.2, 3.0, (heads, levels)), axis=1)[:, ::-1], 2)   # per extra block, decreasing
layer_of = np.repeat(np.arange(layers), heads // layers)

m = pyo.ConcreteModel(name="kv-cache")
m.H, m.L = pyo.RangeSet(0, heads - 1), pyo.RangeSet(0, levels - 1)
m.y = pyo.Var(m.H, m.L, domain=pyo.Binary)       # y[h, l]: head h gets its (l+1)-th block
m.value = pyo.Objective(expr=sum(float(gain[h, l]) * m.y[h, l] for h in m.H for l in m.L), sense=pyo.maximize)
m.budget = pyo.Constraint(expr=sum(m.y[h, l] for h in m.H for l in m.L) <= 96)
m.layer_cap = pyo.Constraint(pyo.RangeSet(0, layers - 1),
                             rule=lambda mm, k: sum(mm.y[h, l] for h in mm.H if layer_of[h] == k for l in mm.L) <= 30)
m.order = pyo.Constraint(m.H, pyo.RangeSet(1, levels - 1), rule=lambda mm, h, l: mm.y[h, l] <= mm.y[h, l - 1])
m.tied = pyo.Constraint(expr=sum(m.y[0, l] for l in m.L) == sum(m.y[1, l] for l in m.L))

# %% [markdown]
# ## 1. Solve it through optalloc
#
# `optalloc.solve_model` hands the model to HiGHS as arrays, rounds the integer columns, then recomputes every
# row, bound and integrality from the model's own data before it calls anything optimal. CP-SAT solves the same
# model (every coefficient is an integer) as a second opinion.

# %%
res = optalloc.solve_model(m, time_limit=30)
cp = optalloc.solve_model(m, "model.cpsat", time_limit=30)
blocks = np.array([sum(round(pyo.value(m.y[h, l])) for l in m.L) for h in m.H])   # loaded back into the model
print(res.summary())
print("CP-SAT:", cp.status, cp.objective, "| blocks per head:", blocks.tolist())

# %% [markdown]
# ## 2. What the certificate checks
#
# A method that hands back a point breaking a row is rejected, whatever it claims: here a test double returns
# every block to every head.

# %%
from optalloc.errors import VerificationError
from optalloc.registry import Method, register, unregister
from optalloc.result import Outcome
from optalloc.status import Status

register(Method("model.greedy_liar", ("linear_model",), "exact", "test",
                lambda inst, opts, deadline: Outcome(Status.OPTIMAL, {"x": [1.0] * inst.data.shape[1]}),
                "claims optimal with every block everywhere"))
try:
    optalloc.solve_model(m, "model.greedy_liar")
    rejected = None
except VerificationError as e:
    rejected = str(e)
finally:
    unregister("model.greedy_liar")
print(rejected[:160])

# %% [markdown]
# ## 3. The same model as a file
#
# `LinearModel.write` (or `optalloc export`) writes MPS or LP; `optalloc.solve_model("model.mps")` and
# `optalloc solve model.mps` read it back, certified the same way.

# %%
import tempfile, pathlib
from optalloc.models.linear import from_pyomo

path = pathlib.Path(tempfile.mkdtemp()) / "kv_cache.mps"
from_pyomo(m)[0].write(str(path))
again = optalloc.solve_model(path)
print(again.name, again.status, again.objective)

# %%
fig, ax = plt.subplots(figsize=(8, 3))
ax.bar(np.arange(heads), blocks, color=[f"C{k}" for k in layer_of])
ax.set(xlabel="head (coloured by layer)", ylabel="cache blocks", title=f"certified optimum {res.objective:.3f}")
fig.tight_layout()

# %% [markdown]
# ## What the certificate means for your model
#
# The certificate is about *the model you wrote*: every row, bound and integrality was recomputed from its data,
# so "optimal" means no other integer point of that model is better, whichever solver said so. It does not say
# the model is the right one for your problem; that is yours to judge, and the tutorial's rules (equal blocks
# for paired heads, a cap per layer) are exactly the kind of side rule a family does not know. When the model was
# built from a family's instance and then changed, optalloc also solves the instance itself and reports its
# optimum as `base_optimum`, so you see what your rule cost.
#
# ## Checks

# %%
assert str(res.status) == "optimal" and res.gap == 0.0
assert np.isclose(cp.objective, res.objective)                   # two exact methods agree
assert blocks.sum() <= 96 and blocks[0] == blocks[1]
assert all(blocks[layer_of == k].sum() <= 30 for k in range(layers))
assert rejected is not None and "infeasible solution" in rejected
assert np.isclose(again.objective, res.objective) and str(again.status) == "optimal"
print("all checks passed")
