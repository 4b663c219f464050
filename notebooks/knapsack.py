# ---
# optalloc notebook source (percent format): "# %%" starts a code cell, "# %% [markdown]" a text cell.
# notebooks/knapsack.ipynb is built from this file: python notebooks/build_notebooks.py
# ---

# %% [markdown]
# # Knapsack budgets with optalloc
#
# **Why.** Many budget splits are knapsacks: each item (a prompt to roll out, a feature to ship, a job to
# admit) has a value and a cost, and the budget cannot be exceeded. A greedy rule gives an answer in
# microseconds, an exact method may take longer, and a number on its own says nothing about how good it is.
# optalloc answers with a *certificate*: the objective recomputed from the data, a proven bound on the optimum,
# and the gap between them. A heuristic's 0.3 % gap is then a fact, not a hope.
#
# **How.** We build one of Pisinger's classic instances, solve it, compare five methods on a small suite, change
# the model with a rule of our own, and split a rollout budget across prompts (Knapsack RL).
#
# **What you get.** A table you can trust: exact methods agree, every heuristic gap covers its true distance to
# the optimum. The notebook runs in CI on small data and ends with assertions that check exactly that.

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

import optalloc
from optalloc.families.knapsack import generators as gen
from optalloc.families.knapsack import models as models

# %% [markdown]
# ## 1. Build an instance, solve it, read the certified result

# %%
inst = gen.pisinger(3, 200, 1000, 50)   # Pisinger's strongly correlated class, instance 50
res = optalloc.solve(inst, "knapsack.dp")
print(res.summary())

# %% [markdown]
# Every result carries why the method stopped (`status`), what it returned (`solution_status`), the
# objective recomputed from the data, a proven bound and the gap between them. `optimal` is never taken on the
# method's word: the gap must be closed by a bound the method proved. A method stopped by a time limit keeps
# only what it proved, so its gap is honest even when it is not zero.

# %% [markdown]
# ## 2. Compare methods on the same instances

# %%
suite = [gen.pisinger(t, 200, 1000, 50) for t in (1, 2, 3, 5, 13, 15)]
methods = ["knapsack.dp", "knapsack.mip", "knapsack.cpsat", "knapsack.greedy", "knapsack.lp_round"]
rows = []
for inst in suite:
    for m in methods:
        r = optalloc.solve(inst, m, time_limit=20)
        rows.append({"instance": inst.name, "method": m, "status": str(r.status), "objective": r.objective,
                     "bound": r.bound, "gap %": 100 * r.gap, "time s": r.time})
table = pd.DataFrame(rows)
table.pivot(index="instance", columns="method", values="gap %").round(4)

# %%
exact = table[table.method.isin(["knapsack.dp", "knapsack.mip", "knapsack.cpsat"])]
optimum = table[table.method == "knapsack.dp"].set_index("instance").objective
table["distance to optimum %"] = 100 * (1 - table.objective / table.instance.map(optimum))
table.groupby("method")[["gap %", "distance to optimum %", "time s"]].mean().round(4)

# %% [markdown]
# Reading the two tables: the exact methods (the dedicated DP, HiGHS and CP-SAT) agree on every
# instance, and the DP is usually fastest by far. The heuristics' *certified* gap (from the LP bound) is always at
# least their true distance to the optimum: on the strongly correlated classes it overstates the distance, because
# the LP bound is loose there, which is the price of not solving the instance exactly.
#
# ## 3. The model is declarative: print it, change it, solve it through optalloc

# %%
small = optalloc.make_instance("knapsack", "small", {"values": [6, 10, 12], "weights": [1, 2, 3], "capacity": 5})
m = models.mip(small)
m.capacity.pprint()

# %% [markdown]
# Adding a rule of our own changes the model, not the trust: `optalloc.solve_model` recomputes every row
# (ours included) from the model's data, speaks in the instance's terms, and knows the instance's own optimum
# is a bound for a model that only restricts it.

# %%
import pyomo.environ as pyo

m.not_both = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)   # a side rule of our own
out = optalloc.solve_model(m)
print(out.status, out.solution["items"], out.objective, out.reference, out.extra["base_optimum"])

# %% [markdown]
# ## 4. Knapsack RL: split a rollout budget across prompts
#
# Each prompt with success rate p gets N rollouts; the value of N is (1 − p^N − (1 − p)^N)·p(1 − p)².
# A multiple-choice knapsack, solved exactly.

# %%
from optalloc.families.knapsack.knapsack_rl import allocate_rollouts

rng = np.random.default_rng(0)
p = np.clip(rng.beta(0.5, 0.5, 256), 0.01, 0.99)
alloc = allocate_rollouts(p, budget=2048, n_min=2, n_max=128)
print(alloc.result.status, f"value {alloc.value:.4f} vs uniform {alloc.uniform_value:.4f}",
      f"(+{100 * (alloc.value / alloc.uniform_value - 1):.1f} %)")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].scatter(p, alloc.rollouts, s=10)
axes[0].set(xlabel="success rate p", ylabel="rollouts", title="exact allocation of 2048 rollouts")
g = table[table.method.isin(["knapsack.greedy", "knapsack.lp_round"])]
for name, part in g.groupby("method"):
    axes[1].bar(np.arange(len(part)) + (0.4 if name.endswith("round") else 0), part["gap %"], width=0.4, label=name)
axes[1].set(xticks=np.arange(len(suite)) + 0.2, xticklabels=[i.name.split("_")[1] for i in suite],
            xlabel="Pisinger class", ylabel="certified gap %", title="heuristic gaps (LP bound)")
axes[1].legend()
fig.tight_layout()

# %% [markdown]
# Rollouts go where they teach the most: prompts with success rates near 0 or 1 give little signal and get
# few, the uncertain middle gets many. The exact allocation beats the uniform split at the same budget, and
# because it is a certified optimum, no other allocation of 2048 rollouts does better under this value model.
#
# ## 5. Checks

# %%
assert (exact["status"] == "optimal").all(), exact
assert (table[table.method == "knapsack.mip"].objective.values == optimum.values).all()
assert (table["distance to optimum %"] >= -1e-9).all()           # no heuristic beats the optimum
assert (table["gap %"] >= table["distance to optimum %"] - 1e-9).all()   # the certified gap covers it
assert alloc.rollouts.sum() <= 2048 and alloc.value > alloc.uniform_value
assert out.solution["items"] == [0, 2] and out.objective == 18 and str(out.status) == "optimal"
assert out.extra["model_changed"] and out.extra["base_optimum"] == 22
print("all checks passed")
