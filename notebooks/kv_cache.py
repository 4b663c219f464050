# ---
# optalloc notebook source (percent format): "# %%" starts a code cell, "# %% [markdown]" a text cell.
# notebooks/kv_cache.ipynb is built from this file: python notebooks/build_notebooks.py
# ---

# %% [markdown]
# # KV cache across attention heads
#
# **Why.** A decoder's KV cache grows with the context, and serving systems cap it: each KV head keeps a few
# *sink* tokens, a window of *recent* ones, and as many others as its share of the budget allows (H2O, Task-KV,
# AdaKV, PyramidKV). Heads are not alike: some attend to a few positions, others spread their attention over the
# whole context. How many tokens each head keeps is a budget split, and a rule of thumb (the same for every head,
# or full caches for the most spread-out heads) leaves attention on the table.
#
# **How.** We measure each KV head's *retention curve* on calibration text: the share of its attention mass a
# cache of *s* tokens keeps. Choosing one size per head, within a total of tokens, to keep the most attention
# mass is a multiple-choice knapsack; `optalloc.budgets.kv_cache` states it and solves it exactly. We compare with
# uniform sizes and with Task-KV's rule, on held-out sentences, by the attention mass kept and by how far the
# model's next-token predictions move from the full cache (KL divergence).
#
# The model is optalloc's bundled tiny decoder (a byte-level Llama of 3 layers with 4 query heads sharing 2 KV
# heads per layer, trained here), run in numpy: the notebook runs anywhere in seconds.

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

from optalloc import budgets
from optalloc.families.bitalloc import encoder
from optalloc.families.bitalloc.decoder import Decoder, KVCache, bundled_decoder, kl_sum

model = Decoder(bundled_decoder())
calibration = encoder.sentences(encoder.CALIBRATION)
held_out = encoder.sentences(encoder.HELD_OUT)
SINK, RECENT = 4, 4
group = model.heads // model.kv_heads   # query heads per KV head


def attention_by_kv_head(texts):
    """KV head -> the attention of the query heads sharing it (summed), one array per sentence."""
    out = {}
    for text in texts:
        layers = []
        model.logits(model.tokenizer.encode(text), attention=layers)
        for layer, probs in enumerate(layers):
            for g in range(model.kv_heads):
                out.setdefault(f"L{layer}.KV{g}", []).append(probs[g * group:(g + 1) * group].sum(axis=0))
    return out


calib_attention = attention_by_kv_head(calibration)
sizes = list(range(SINK + RECENT, 97, 2))
retention = budgets.retention_from_attention(calib_attention, sizes, sink=SINK, recent=RECENT)
retention.pivot(index="head", columns="size", values="kept").iloc[:, :8].round(3)

# %% [markdown]
# ## 1. Retention curves
#
# The first layer's heads spread their attention: with 8 tokens they keep about 60 % of it. The later layers'
# heads keep over 90 % with the same 8. A cache that treats them alike spends tokens where they buy little.

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for head, curve in retention.groupby("head"):
    ax.plot(curve["size"], curve["kept"], marker=".", label=head)
ax.set(xlabel="cache tokens (sink + recent + largest attention)", ylabel="attention mass kept",
       title="retention curves, calibration text")
ax.legend(ncol=2, fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## 2. The optimal split, and the rules it replaces
#
# `kv_cache` takes the curves and a total; `minimum` is the sink plus the recent window every head keeps. The
# Allocation it returns is certified like every optalloc answer: `status` optimal means proven. Task-KV's rule
# gives the most heterogeneous heads (highest attention entropy) their full cache, as many as the budget allows,
# and shares the rest equally.

# %%
def entropy(p):
    p = p / p.sum(axis=1, keepdims=True)
    return float((-(p * np.log(p + 1e-12)).sum(axis=1)).mean())


heterogeneity = {h: np.mean([entropy(p) for p in ps]) for h, ps in calib_attention.items()}
reference = [model.log_probs_of(model.tokenizer.encode(s)) for s in held_out]
held_retention = budgets.retention_from_attention(attention_by_kv_head(held_out), sizes, sink=SINK,
                                                  recent=RECENT).set_index(["head", "size"])["kept"]


def judge(split):
    """Attention mass kept and next-token KL from the full cache, on the held-out sentences."""
    cache = KVCache({(int(h[1]), int(h.split("KV")[1])): int(s) for h, s in split.items()}, sink=SINK, recent=RECENT)
    kl, tokens = 0.0, 0
    for text, full in zip(held_out, reference):
        kl += kl_sum(full, model.log_probs_of(model.tokenizer.encode(text), cache=cache))
        tokens += len(full)
    kept = np.mean([held_retention[(h, s)] for h, s in split.items()])
    return {"tokens": sum(split.values()), "attention kept": kept, "KL from full cache": kl / tokens}


rows = []
for budget in (60, 90, 120, 180, 240):
    plan = budgets.kv_cache(retention, budget, minimum=SINK + RECENT)
    assert str(plan.status) == "optimal" and plan.gap == 0
    splits = {"optimal": dict(zip(plan.table["unit"], plan.table["level"])),
              "uniform": dict(budgets.kv_uniform(retention, budget).values),
              "Task-KV": dict(budgets.kv_task_kv(retention, budget, heterogeneity, minimum=SINK + RECENT).values)}
    for rule, split in splits.items():
        rows.append({"budget": budget, "rule": rule, **judge(split)})
compared = pd.DataFrame(rows)
compared.pivot(index="budget", columns="rule", values=["attention kept", "KL from full cache"]).round(4)

# %% [markdown]
# From 90 tokens on (15 per KV head), the optimal split keeps more attention *and* moves the predictions less
# than either rule: at 90 tokens its KL is about a fifth of theirs. At 60 tokens (10 per head, 2 above the
# minimum) it keeps slightly more attention yet moves the predictions more: attention mass is a proxy, and at
# the tightest budgets it stops tracking what the model outputs. That is a finding about the objective, not the
# solver; with a measured KL per head and size as the value, the same call would optimise KL instead.
#
# ## 3. Choosing the budget
#
# `value_curve` solves at every budget (milliseconds each) and reports the optimum, its certified bound and the
# marginal value of one more token (the LP multiplier). The curve flattens past about 100 tokens: that is where a
# bigger cache stops paying.

# %%
curve = budgets.value_curve(lambda b: budgets.kv_cache(retention, b, minimum=SINK + RECENT), range(48, 241, 6))
fig, ax = plt.subplots(1, 2, figsize=(10, 3.4))
ax[0].plot(curve["budget"], curve["value"] / len(calib_attention), marker=".")
ax[0].set(xlabel="total cache tokens", ylabel="mean attention kept", title="the optimum as the budget moves")
ax[1].plot(curve["budget"], curve["marginal_value"], marker=".", color="tab:red")
ax[1].set(xlabel="total cache tokens", ylabel="value of one more token", title="marginal value (LP multiplier)")
fig.tight_layout()

# %% [markdown]
# ## 4. Checks

# %%
by = compared.set_index(["budget", "rule"])
for budget in (90, 120, 180, 240):   # the optimum beats Task-KV's rule on the model's own output
    assert by.loc[(budget, "optimal"), "KL from full cache"] < by.loc[(budget, "Task-KV"), "KL from full cache"]
    assert by.loc[(budget, "optimal"), "attention kept"] >= by.loc[(budget, "uniform"), "attention kept"]
assert (compared["tokens"] <= compared["budget"]).all()
assert (curve["status"] == "optimal").all() and curve["value"].is_monotonic_increasing
assert (curve["gap"] == 0).all()
print("all checks passed")
