"""Knapsack generators.

pisinger(t, n, R, i): Pisinger's classes ("Where are the hard knapsack problems?", C&OR 2005), drawing
  from the lrand48-style generator his genhard uses, so instance i of series (t, n, R) is his instance,
  item for item (checked against the official files in the tests).
mckp(...): multiple-choice classes in Pisinger's mcknap style (uncorrelated, weakly/strongly correlated,
  subset sum) and concave ("rollout") classes like Knapsack RL's.
mkp(...): Chu-Beasley style multidimensional instances.
bounded(...): bounded knapsack with random copy limits."""
from __future__ import annotations

import math

import numpy as np

from optalloc.instances.format import Instance, make_instance

PISINGER_TYPES = {1: "uncorrelated", 2: "weakly correlated", 3: "strongly correlated",
                  4: "inverse strongly correlated", 5: "almost strongly correlated", 6: "subset sum",
                  9: "uncorrelated with similar weights", 11: "uncorrelated spanner", 12: "weakly correlated spanner",
                  13: "strongly correlated spanner", 14: "multiple strongly correlated", 15: "profit ceiling",
                  16: "circle"}
_M32 = 0xFFFFFFFF


class _Lrand48:
    """The 48-bit linear congruential generator of lrand48, kept as two 32-bit words as genhard does."""

    def __init__(self, seed: int):
        self.h = seed & _M32
        self.l = 0x330E

    def draw(self) -> int:
        h = (self.h * 0xDEECE66D + self.l * 0x5DEEC) & _M32
        l = (self.l * 0xE66D + 0xB) & _M32
        h = (h + (l >> 16)) & _M32
        self.h, self.l = h, l & 0xFFFF
        return h >> 1

    def randm(self, x: int) -> int:
        return self.draw() % x


def _span_item(rng: _Lrand48, kind: int, R: int) -> tuple[int, int]:
    w = rng.randm(R) + 1
    if kind == 11:
        p = rng.randm(R) + 1
    elif kind == 12:
        p = rng.randm(2 * (R // 10) + 1) + w - R // 10
        p = 1 if p <= 0 else p
    else:
        p = w + R // 10
    return -(-w // 5), -(-p // 5)


def pisinger_arrays(t: int, n: int, R: int, i: int, S: int = 100) -> tuple[list[int], list[int], int]:
    """Values, weights and capacity of Pisinger's instance `i` of type `t` with `n` items and coefficients up to
    `R`, as his generator makes them (capacity i/(S+1) of the total weight; `S` = 100)."""
    if t not in PISINGER_TYPES:
        raise ValueError(f"type must be one of {sorted(PISINGER_TYPES)}, got {t}")
    rng = _Lrand48(i)
    values, weights = [], []
    spans = [_span_item(rng, t, R) for _ in range(2)] if t in (11, 12, 13) else []
    for _ in range(n):
        if t >= 11:
            rng.randm(R)  # genhard draws a weight for every item first; the hard classes draw again
        if spans:
            k1 = rng.randm(10) + 1
            k2 = rng.randm(2)
            w, p = k1 * spans[k2][0], k1 * spans[k2][1]
        else:
            w = rng.randm(R) + 1
            if t == 1:
                p = rng.randm(R) + 1
            elif t == 2:
                p = rng.randm(2 * (R // 10) + 1) + w - R // 10
                p = 1 if p <= 0 else p
            elif t == 3:
                p = w + R // 10
            elif t == 4:
                p = w
                w = p + R // 10
            elif t == 5:
                p = w + R // 10 + rng.randm(2 * R // 1000 + 1) - R // 1000
            elif t == 6:
                p = w
            elif t == 9:
                p = w
                w = rng.randm(R // 10) + 100 * R
            elif t == 14:
                p = w + (3 if w % 6 == 0 else 2) * (R // 10)
            elif t == 15:
                p = 3 * (-(-w // 3))
            else:  # 16, circle
                p = math.floor(2 * math.sqrt(4 * R * R - (w - 2 * R) ** 2) / 3)
        values.append(p)
        weights.append(w)
    c = i * sum(weights) // (S + 1)
    c = max(c, max(weights))
    return values, weights, c


def pisinger(t: int, n: int, R: int, i: int, reference: dict | None = None) -> Instance:
    """Pisinger's instance `i` of type `t` with `n` items and range `R` as an Instance; `reference` (an optimum) is
    attached when given."""
    values, weights, c = pisinger_arrays(t, n, R, i)
    return make_instance("knapsack", f"knapPI_{t}_{n}_{R}_{i}", {"values": values, "weights": weights, "capacity": c},
                         reference, {"generator": "pisinger", "type": t, "class": PISINGER_TYPES[t], "n": n, "R": R,
                                     "instance": i})


def mckp(k: int, options: int, *, kind: str = "uncorrelated", R: int = 1000, capacity_ratio: float = 0.5,
         seed: int = 0, name: str | None = None) -> Instance:
    """k classes of `options` options. capacity = min weights + ratio * (max - min weights), summed."""
    rng = np.random.default_rng(seed)
    if kind == "concave":
        # Knapsack-RL-like: option j costs j+1 units, value saturates with cost.
        p = np.clip(rng.beta(0.5, 0.5, k), 0.01, 0.99)
        N = np.arange(1, options + 1)
        v = np.rint(1e6 * (1 - p[:, None] ** N - (1 - p[:, None]) ** N) * (p * (1 - p) ** 2)[:, None]).astype(np.int64)
        w = np.tile(N, (k, 1))
    else:
        w = rng.integers(1, R + 1, (k, options))
        if kind == "uncorrelated":
            v = rng.integers(1, R + 1, (k, options))
        elif kind == "weakly":
            v = np.maximum(1, w + rng.integers(-(R // 10), R // 10 + 1, (k, options)))
        elif kind == "strongly":
            v = w + R // 10
        elif kind == "subset_sum":
            v = w.copy()
        else:
            raise ValueError(f"kind must be uncorrelated, weakly, strongly, subset_sum or concave, got {kind!r}")
    lo, hi = w.min(1).sum(), w.max(1).sum()
    cap = int(lo + capacity_ratio * (hi - lo))
    return make_instance("mckp", name or f"mckp_{kind}_{k}x{options}_s{seed}",
                         {"values": v.tolist(), "weights": w.tolist(), "capacity": cap}, None,
                         {"generator": "mckp", "kind": kind, "R": R, "capacity_ratio": capacity_ratio, "seed": seed})


def mkp(n: int, m: int, *, tightness: float = 0.5, seed: int = 0, name: str | None = None) -> Instance:
    """Chu-Beasley style: r_ij ~ U{0..1000}, b_i = tightness * sum_j r_ij, p_j = sum_i r_ij / m + 500 q_j."""
    rng = np.random.default_rng(seed)
    r = rng.integers(0, 1001, (m, n))
    b = np.floor(tightness * r.sum(1)).astype(np.int64)
    p = np.rint(r.sum(0) / m + 500 * rng.random(n)).astype(np.int64)
    return make_instance("mkp", name or f"mkp_{m}x{n}_a{tightness}_s{seed}",
                         {"values": p.tolist(), "weights": r.tolist(), "capacities": b.tolist()}, None,
                         {"generator": "mkp", "tightness": tightness, "seed": seed})


def bounded(n: int, *, R: int = 1000, max_copies: int = 10, capacity_ratio: float = 0.5, seed: int = 0,
            name: str | None = None) -> Instance:
    """A seeded bounded knapsack: `n` item types with weights up to `R` and values within R/10 of them, 1 to
    `max_copies` copies each, capacity `capacity_ratio` of the total weight; `seed`, `name`."""
    rng = np.random.default_rng(seed)
    w = rng.integers(1, R + 1, n)
    v = np.maximum(1, w + rng.integers(-(R // 10), R // 10 + 1, n))
    b = rng.integers(1, max_copies + 1, n)
    cap = int(capacity_ratio * (w * b).sum())
    return make_instance("bounded_knapsack", name or f"bkp_{n}_s{seed}",
                         {"values": v.tolist(), "weights": w.tolist(), "bounds": b.tolist(), "capacity": cap}, None,
                         {"generator": "bounded", "R": R, "max_copies": max_copies, "seed": seed})


def pisinger_set(type: int, n: int, R: int, instances: list[int]) -> list[Instance]:
    """Pisinger's instances `instances` (numbers 1..S) of class `type`: the command line's generator."""
    return [pisinger(type, n, R, i) for i in instances]


def instance_numbers(spec: str) -> list[int]:
    """'1-100' or '5,7' (or both, comma-separated) as a list of instance numbers."""
    out = []
    try:
        for part in str(spec).split(","):
            if "-" in part:
                a, b = part.split("-")
                out.extend(range(int(a), int(b) + 1))
            else:
                out.append(int(part))
    except ValueError:
        raise ValueError(f"must be numbers or ranges, e.g. 1-100 or 5,7, got {spec!r}") from None
    return out
