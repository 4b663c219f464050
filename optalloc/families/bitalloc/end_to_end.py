"""Judged by the model's output: quantize a checkpoint with uniform bits and with the optimal allocation of
each sensitivity, run it on held-out sentences, and compare what it outputs with full precision.

  encoder (BERT family)   sentence embeddings: mean cosine similarity to full precision (higher is better) and
                          the mean squared distance as the output error
  decoder (Llama family)  next-token predictions: the perplexity of the full-precision model's own greedy text
                          (lower is better), of the held-out text, and the mean KL divergence of each next-token
                          distribution on the held-out text from full precision as the output error
                          (decoder.quality)"""
from __future__ import annotations

import numpy as np

from optalloc.families.bitalloc import decoder, encoder
from optalloc.families.bitalloc.calibrate import activation_energy, block_pattern, load_model
from optalloc.families.bitalloc.checkpoint import open_checkpoint
from optalloc.families.bitalloc.quantize import build_instance, quantize_matrix
from optalloc.solve import solve


class _Scorer:
    """The model's quality with replaced weights, against its full-precision output on `texts` (computed once)."""

    def __init__(self, model, texts):
        self.model, self.texts = model, texts
        if isinstance(model, decoder.Decoder):
            self.reference = decoder.reference(model, texts)
        else:
            self.reference = model.embed(texts)

    def __call__(self, weights) -> dict:
        if isinstance(self.model, decoder.Decoder):
            return decoder.quality(self.model, weights, self.reference)
        cos, dist, _ = encoder.cosine_to_reference(self.model, weights, self.texts, self.reference)
        return {"cosine": cos, "output_error": dist}


def judge(directory, budgets=(2, 3, 4), *, granularity: str = "column", group_size: int = 128, b_min: int = 1,
          b_max: int = 8, calibration=None, held_out=None, method: str = "bitalloc.mckp",
          full_precision: bool = False) -> list[dict]:
    """One row per (budget, allocation) for the checkpoint in `directory` (an encoder or a decoder): uniform bits,
    the optimum with weight-only sensitivity (measured errors) and with activation-aware sensitivity (errors
    weighted by the input energy of the `calibration` sentences; default: the bundled calibration text). The
    model's output on `held_out` (default: the bundled held-out text) is compared with full precision.
    `granularity`, `group_size`, `b_min`, `b_max`: the allocation's unit and bit-widths; `method`: the exact
    method; `full_precision`: add the unquantized model's row (budget None)."""
    calibration = calibration or encoder.sentences(encoder.CALIBRATION)
    held_out = held_out or encoder.sentences(encoder.HELD_OUT)
    model = load_model(directory)  # read once: every quantized variant shares its other tensors
    mats = open_checkpoint(directory).linear_weights(include=block_pattern(model))
    energy, energy_scale = activation_energy(model, calibration)
    score = _Scorer(model, held_out)
    rows = [{"budget": None, "allocation": "full precision", "average_bits": 16.0, **score({}), "status": None}] \
        if full_precision else []
    for budget in budgets:
        common = dict(granularity=granularity, group_size=group_size, b_min=b_min, b_max=b_max)
        weight_only = build_instance(mats, budget, proxy="measured", **common)
        aware = build_instance(mats, budget, proxy="activation", energy=energy, energy_scale=energy_scale, **common)
        plans = {"uniform": (weight_only, np.full(weight_only.data.k, float(budget)), None)}
        for label, inst in (("optimal, weight-only", weight_only), ("optimal, activation-aware", aware)):
            r = solve(inst, method)
            plans[label] = (inst, inst.data.bits_of(r.solution), r)
        for label, (inst, bits, r) in plans.items():
            quantized = {}
            for mod in inst.meta["modules"]:
                sl = slice(mod["first_group"], mod["first_group"] + mod["groups"])
                quantized[mod["name"]] = quantize_matrix(mats[mod["name"]], bits[sl], granularity, group_size)
            avg = float(np.dot(inst.data.sizes, bits) / inst.data.sizes.sum())
            rows.append({"budget": budget, "allocation": label, "average_bits": avg, **score(quantized),
                         "status": None if r is None else str(r.status)})
    return rows
