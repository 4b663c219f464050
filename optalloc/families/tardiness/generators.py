"""Seeded single-machine tardiness instances (Potts & Van Wassenhove, 1982).

p_j ~ U{1..pmax}; P = Σp; d_j ~ U{⌊P(1-TF-RDD/2)⌋ .. ⌊P(1-TF+RDD/2)⌋} clipped at 0; weights ~ U{1..wmax} when
weighted. TF (tardiness factor) sets how late the due dates are, RDD (relative range) how spread."""
from __future__ import annotations

import math

import numpy as np

from optalloc.instances.format import Instance, make_instance


def potts_vw(n: int, tf: float, rdd: float, *, weighted: bool = False, seed: int = 0, pmax: int = 100,
             wmax: int = 10, name: str | None = None) -> Instance:
    """A seeded Potts-Van Wassenhove instance: `n` jobs, tardiness factor `tf`, due-date range `rdd`, times up to
    `pmax` and (when `weighted`) weights up to `wmax`; `seed`, `name`."""
    if n < 1:
        raise ValueError(f"n must be a positive integer, got {n}")
    if not (0 <= tf <= 1 and 0 <= rdd <= 2 and math.isfinite(tf) and math.isfinite(rdd)):
        raise ValueError(f"TF must lie in [0, 1] and RDD in [0, 2], got TF={tf}, RDD={rdd}")
    rng = np.random.default_rng(seed)
    p = rng.integers(1, pmax + 1, n)
    P = int(p.sum())
    lo, hi = int(P * (1 - tf - rdd / 2)), int(P * (1 - tf + rdd / 2))
    d = np.maximum(rng.integers(lo, hi + 1, n), 0)
    data = {"processing_times": p.tolist(), "due_dates": d.tolist()}
    if weighted:
        data["weights"] = rng.integers(1, wmax + 1, n).tolist()
    tag = "wt" if weighted else "smtt"
    return make_instance("tardiness", name or f"{tag}_{n}_tf{tf:g}_rdd{rdd:g}_s{seed}", data, None,
                         {"generator": "potts-vw", "tf": tf, "rdd": rdd, "seed": seed})
