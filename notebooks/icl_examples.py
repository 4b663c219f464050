# ---
# optalloc notebook source (percent format): "# %%" starts a code cell, "# %% [markdown]" a text cell.
# notebooks/icl_examples.ipynb is built from this file: python notebooks/build_notebooks.py
# ---

# %% [markdown]
# # In-context examples across queries
#
# **Why.** Few-shot prompting buys accuracy with prompt tokens. Easy queries are right with no example at all;
# hard ones need several; some stay wrong whatever the prompt. A fixed number of examples per query spends the
# same tokens on all of them. DynaICL (2023) trains a small meta-controller to predict, per query, how accuracy
# grows with the number of examples, and then spends a token budget where it helps most.
#
# **How.** Given those predicted curves and each query's cost per example (its demonstrations' length), choosing
# the number of examples per query under a token budget to maximise the expected accuracy is a multiple-choice
# knapsack: `optalloc.budgets.icl_examples` solves it exactly. We compare with the fixed rule at the same budget.
#
# The curves are simulated with the shapes DynaICL reports: a query's accuracy rises with examples and saturates
# at a ceiling that depends on how hard it is; examples cost 40 to 160 tokens.

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

from optalloc import budgets

rng = np.random.default_rng(7)
queries, shots = 60, np.arange(0, 9)
zero_shot = rng.beta(2, 2, queries)                    # accuracy without examples
ceiling = np.minimum(1.0, zero_shot + rng.beta(2, 3, queries) * (1 - zero_shot))
speed = rng.lognormal(0.0, 0.6, queries)               # how fast examples help
curves = {f"q{i:02d}": {int(k): float(ceiling[i] - (ceiling[i] - zero_shot[i]) * np.exp(-speed[i] * k)) for k in shots}
          for i in range(queries)}
tokens = {q: float(t) for q, t in zip(curves, rng.choice([40, 80, 120, 160], queries))}
pd.DataFrame(curves).T.iloc[:6, [0, 1, 2, 4, 8]].round(3)

# %% [markdown]
# ## 1. The optimal split against a fixed number of examples

# %%
def expected_accuracy(split):
    return float(np.mean([curves[q][int(k)] for q, k in split.items()]))


def spent(split):
    return sum(tokens[q] * k for q, k in split.items())


rows = []
for budget in (2000, 5000, 10000, 20000):
    plan = budgets.icl_examples(curves, budget, tokens=tokens)
    assert str(plan.status) == "optimal"
    splits = {"optimal": dict(zip(plan.table["unit"], plan.table["level"])),
              "fixed": dict(budgets.icl_fixed(curves, budget, tokens=tokens).values)}
    for rule, split in splits.items():
        rows.append({"budget": budget, "rule": rule, "expected accuracy": expected_accuracy(split),
                     "tokens": spent(split), "queries without examples": sum(int(k) == 0 for k in split.values())})
compared = pd.DataFrame(rows)
compared.round(4)

# %% [markdown]
# At the same budget the optimum answers more queries right: it gives no examples to queries that gain little
# from them (already easy, or hopeless) and cheap examples first. The fixed rule cannot do that.
#
# ## 2. Choosing the budget

# %%
curve = budgets.value_curve(lambda b: budgets.icl_examples(curves, b, tokens=tokens), range(0, 30001, 1500))
fig, ax = plt.subplots(figsize=(6.5, 3.3))
ax.plot(curve["budget"], curve["value"] / queries, marker=".", label="optimal")
fixed = [expected_accuracy(dict(budgets.icl_fixed(curves, b, tokens=tokens).values)) for b in curve["budget"]]
ax.step(curve["budget"], fixed, where="post", label="fixed examples per query")
ax.set(xlabel="prompt-token budget", ylabel="expected accuracy", title="the optimum as the budget moves")
ax.legend()
fig.tight_layout()

# %% [markdown]
# ## 3. Checks

# %%
by = compared.set_index(["budget", "rule"])
for budget in (2000, 5000, 10000, 20000):
    assert by.loc[(budget, "optimal"), "expected accuracy"] > by.loc[(budget, "fixed"), "expected accuracy"]
assert (compared["tokens"] <= compared["budget"] + 1e-9).all()
assert (curve["status"] == "optimal").all() and np.all(np.diff(curve["value"]) >= -1e-12)
assert all(o >= f - 1e-12 for o, f in zip(curve["value"] / queries, fixed))
print("all checks passed")
