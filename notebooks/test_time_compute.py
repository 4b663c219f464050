# ---
# optalloc notebook source (percent format): "# %%" starts a code cell, "# %% [markdown]" a text cell.
# notebooks/test_time_compute.ipynb is built from this file: python notebooks/build_notebooks.py
# ---

# %% [markdown]
# # Test-time compute across the stages of an agent pipeline
#
# **Why.** An agent pipeline (retrieve, plan, write code, check it) can spend more compute at each stage by
# sampling several candidates and keeping the best one. Each stage's success rate rises with its samples and
# saturates, at its own rate and cost. The pipeline succeeds only when every stage does, so the budget should go
# where it raises the *product* of the stages' success rates (AgentTTS, 2025, studies exactly this search).
#
# **How.** Given each stage's accuracy-versus-samples curve and its cost per sample, maximising the product
# within a compute budget is a multiple-choice knapsack on the sum of the logs: `optalloc.budgets.
# test_time_compute` solves it exactly. We compare with uniform samples and with the greedy rule AgentTTS's
# search settles on (the next sample to the stage whose own accuracy gains most per unit of compute).
#
# The curves have the shape the AgentTTS paper reports: success rising with samples and saturating, a stage
# that needs many samples before it pays (code generation with a verifier), and stages of different cost (a small
# model for retrieval, a large one for planning).

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

from optalloc import budgets

samples = np.arange(1, 33)
stages = {   # (first-sample success, ceiling, samples to saturate, compute per sample in kilotokens)
    "retrieve": (0.80, 0.97, 3.0, 1.0),
    "plan": (0.55, 0.90, 6.0, 4.0),
    "code": (0.20, 0.85, 14.0, 3.0),
    "check": (0.70, 0.95, 4.0, 2.0),
}
curves = {s: {int(n): first + (top - first) * (1 - np.exp(-(n - 1) / tau)) for n in samples}
          for s, (first, top, tau, _) in stages.items()}
cost = {s: c for s, (*_, c) in stages.items()}
pd.DataFrame(curves).loc[[1, 2, 4, 8, 16, 32]].round(3)

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.3))
for s, curve in curves.items():
    ax.plot(list(curve), list(curve.values()), label=f"{s} ({cost[s]:g} kt/sample)")
ax.set(xlabel="samples", ylabel="stage success rate", xscale="log", title="accuracy against samples, per stage")
ax.legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## 1. The optimal split against the rules
#
# The budget is in kilotokens. The Allocation's value is the sum of log success rates; its exponential is the
# pipeline's success. `status` optimal is proven (the certificate covers the log objective exactly).

# %%
def success(split):
    return float(np.prod([curves[s][int(n)] for s, n in split.items()]))


def spent(split):
    return sum(cost[s] * n for s, n in split.items())


rows = []
for budget in (20, 40, 80, 160):
    plan = budgets.test_time_compute(curves, budget, cost=cost)
    assert str(plan.status) == "optimal"
    optimal = dict(zip(plan.table["unit"], plan.table["level"]))
    per_stage = max(n for n in samples if n * sum(cost.values()) <= budget)
    splits = {"optimal": optimal, "uniform": {s: per_stage for s in stages},
              "AgentTTS greedy": dict(budgets.agentts_greedy(curves, budget, cost=cost).values)}
    for rule, split in splits.items():
        rows.append({"budget": budget, "rule": rule, "pipeline success": success(split), "compute": spent(split),
                     **{s: int(split[s]) for s in stages}})
compared = pd.DataFrame(rows)
compared.round(4)

# %% [markdown]
# The greedy rule looks at each stage alone: a sample that lifts a stage from 0.20 to 0.25 is worth 0.05 to it,
# but to the pipeline it multiplies the success by 1.25, worth more than lifting another stage from 0.90 to 0.95.
# The optimum, working on the logs, sees that; at every budget its pipeline succeeds at least as often.
#
# ## 2. Choosing the budget

# %%
curve = budgets.value_curve(lambda b: budgets.test_time_compute(curves, b, cost=cost), range(10, 201, 5))
fig, ax = plt.subplots(figsize=(6.5, 3.3))
ax.plot(curve["budget"], np.exp(curve["value"]), marker=".")
ax.set(xlabel="compute budget (kilotokens)", ylabel="pipeline success", title="the optimum as the budget moves")
fig.tight_layout()

# %% [markdown]
# ## 3. Checks

# %%
by = compared.set_index(["budget", "rule"])
for budget in (20, 40, 80, 160):
    assert by.loc[(budget, "optimal"), "pipeline success"] >= by.loc[(budget, "AgentTTS greedy"), "pipeline success"]
    assert by.loc[(budget, "optimal"), "pipeline success"] >= by.loc[(budget, "uniform"), "pipeline success"]
assert (compared["compute"] <= compared["budget"] + 1e-9).all()
assert any(by.loc[(b, "optimal"), "pipeline success"] > by.loc[(b, "AgentTTS greedy"), "pipeline success"] + 0.01
           for b in (20, 40, 80, 160))
assert (curve["status"] == "optimal").all() and np.all(np.diff(curve["value"]) >= -1e-12)
print("all checks passed")
