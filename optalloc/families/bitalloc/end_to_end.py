"""Judged by the model's output: quantize a BERT-family encoder with uniform bits and with the optimal
allocation of each sensitivity, run it on held-out sentences, and compare its sentence embeddings with the
full-precision ones (cosine similarity; squared distance as the output error)."""
from __future__ import annotations

import numpy as np

from optalloc.families.bitalloc import encoder
from optalloc.families.bitalloc.checkpoint import open_checkpoint
from optalloc.families.bitalloc.quantize import build_instance, quantize_matrix


def judge(directory, budgets=(2, 3, 4), *, granularity: str = "column", group_size: int = 128, b_min: int = 1,
          b_max: int = 8, calibration=None, held_out=None, method: str = "bitalloc.mckp") -> list[dict]:
    """One row per (budget, allocation) for the encoder checkpoint in `directory`: uniform bits, the optimum
    with weight-only sensitivity (measured errors) and with activation-aware sensitivity (errors weighted by
    the input energy of the `calibration` sentences; default: the bundled calibration text). Embeddings of
    `held_out` (default: the bundled held-out text) are compared with full precision. `granularity`,
    `group_size`, `b_min`, `b_max`: the allocation's unit and bit-widths; `method`: the exact method."""
    from optalloc.solve import solve

    calibration = calibration or encoder.sentences(encoder.CALIBRATION)
    held_out = held_out or encoder.sentences(encoder.HELD_OUT)
    mats = open_checkpoint(directory).linear_weights(include=r"encoder\.layer\.\d+\.")
    model = encoder.Encoder(directory)  # read once: every quantized variant shares its other tensors
    energy = encoder.input_energy(model, calibration)
    reference = model.embed(held_out)
    rows = []
    for budget in budgets:
        plans = {}
        weight_only = build_instance(mats, budget, granularity=granularity, group_size=group_size, b_min=b_min,
                                     b_max=b_max, proxy="measured")
        aware = build_instance(mats, budget, granularity=granularity, group_size=group_size, b_min=b_min,
                               b_max=b_max, proxy="activation", energy=energy)
        plans["uniform"] = (weight_only, np.full(weight_only.data.k, float(budget)), None)
        for label, inst in (("optimal, weight-only", weight_only), ("optimal, activation-aware", aware)):
            r = solve(inst, method)
            plans[label] = (inst, inst.data.bits_of(r.solution), r)
        for label, (inst, bits, r) in plans.items():
            quantized = {}
            for mod in inst.meta["modules"]:
                sl = slice(mod["first_group"], mod["first_group"] + mod["groups"])
                quantized[mod["name"]] = quantize_matrix(mats[mod["name"]], bits[sl], granularity, group_size)
            cos, dist, _ = encoder.cosine_to_reference(model, quantized, held_out, reference)
            avg = float(np.dot(inst.data.sizes, bits) / inst.data.sizes.sum())
            rows.append({"budget": budget, "allocation": label, "average_bits": avg, "cosine": cos,
                         "output_error": dist, "status": None if r is None else str(r.status)})
    return rows
