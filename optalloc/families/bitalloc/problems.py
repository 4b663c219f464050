"""Bit allocation for quantization.

Groups j (columns, channel groups, tensors or layers) of n_j parameters each get a bit-width. Two ways to
say what a choice costs in error:

  model mode   loss_j(b) = c_j 2^(-2 b) with a sensitivity c_j > 0 (BAQ's rate-distortion model), on the
               grid "bits" (integers b_min..b_max) or "levels" (2^b levels rounded to an integer count N,
               bits log2 N, as BAQ's code does: N = 2^b_min .. 2^b_max);
  table mode   explicit options per group: bits, error and storage size (in bits).

The budget is an element-weighted average: sum_j n_j b_j + overhead_bits * groups <= budget * sum_j n_j
(model mode) or sum_j size_jk + overhead_bits * groups <= budget * sum_j n_j (table mode). Ties force
groups (fused q/k/v, say) to the same bits. Minimise the total error."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from optalloc.errors import InstanceError
from optalloc.numeric import sum_error_bound
from optalloc.problems import validate as v
from optalloc.problems.base import Evaluation, Problem, register_problem

GRIDS = ("bits", "levels")
_REL_TOL = 1e-9


@dataclass
class BitAllocData:
    """A bit-allocation instance's data: group sizes, the budget in average bits, overhead, ties, and either BAQ's
    model (sensitivity, b_min, b_max, grid) or option tables."""

    sizes: np.ndarray  # n_j, int64
    budget: float  # average bits per parameter
    overhead_bits: float = 0.0  # per group (scale, zero point), counted in the budget
    ties: list[list[int]] = field(default_factory=list)
    names: list[str] | None = None
    # model mode
    sensitivity: np.ndarray | None = None
    b_min: int = 2
    b_max: int = 8
    grid: str = "bits"
    # table mode: flat option arrays, options of group j at starts[j]:starts[j+1]
    opt_bits: np.ndarray | None = None
    opt_error: np.ndarray | None = None
    opt_size: np.ndarray | None = None
    opt_starts: np.ndarray | None = None

    @property
    def k(self) -> int:
        return len(self.sizes)

    @property
    def tables(self) -> bool:
        return self.opt_bits is not None

    @property
    def capacity_bits(self) -> float:
        """Bits available for the weights themselves: budget * params - overhead."""
        return self.budget * float(self.sizes.sum()) - self.overhead_bits * self.k

    def option_tables(self):
        """(bits, error, size, starts) for every group, whatever the mode (model mode is tabulated)."""
        if self.tables:
            return self.opt_bits, self.opt_error, self.opt_size, self.opt_starts
        grid_bits = self.grid_bits()
        m = len(grid_bits)
        bits = np.tile(grid_bits, self.k)
        err = (self.sensitivity[:, None] * np.exp2(-2.0 * grid_bits)[None, :]).ravel()
        size = (self.sizes[:, None] * grid_bits[None, :]).ravel()
        starts = np.arange(0, m * self.k + 1, m, dtype=np.int64)
        return bits, err, size, starts

    def grid_bits(self) -> np.ndarray:
        if self.grid == "bits":
            return np.arange(self.b_min, self.b_max + 1, dtype=np.float64)
        return np.log2(np.arange(2**self.b_min, 2**self.b_max + 1, dtype=np.float64))

    def bits_of(self, solution: dict) -> np.ndarray:
        """Bits per group of a solution."""
        if self.tables:
            opt = np.asarray(solution["option"], dtype=np.int64)
            return self.opt_bits[self.opt_starts[:-1] + opt]
        if self.grid == "levels":
            return np.log2(np.asarray(solution["levels"], dtype=np.float64))
        return np.asarray(solution["bits"], dtype=np.float64)

    def option_index(self, solution: dict) -> np.ndarray:
        if self.tables:
            return np.asarray(solution["option"], dtype=np.int64)
        if self.grid == "levels":
            return np.asarray(solution["levels"], dtype=np.int64) - 2**self.b_min
        return np.asarray(solution["bits"], dtype=np.int64) - self.b_min

    def solution_from_options(self, option: np.ndarray) -> dict:
        option = np.asarray(option, dtype=np.int64)
        if self.tables:
            return {"option": option}
        if self.grid == "levels":
            return {"levels": option + 2**self.b_min}
        return {"bits": option + self.b_min}


@register_problem("bitalloc", "min", fields=("sizes", "budget", "overhead_bits", "ties", "names", "sensitivity",
                                             "b_min", "b_max", "grid", "options"))
class BitAllocation(Problem):
    """bit allocation: min sum of quantization error, element-weighted average bits <= budget"""
    formulation = "optalloc.families.bitalloc.models:BIT_ALLOCATION"
    fuzz = "optalloc.families.bitalloc.conformance:random_bitalloc"

    field_docs = {"sizes": "one integer > 0 per group: its weights (elements)",
                  "budget": "average bits per element, overhead included",
                  "overhead_bits": "optional: bits per group for its scale and zero point (default 0)",
                  "ties": "optional: groups of group indices given the same bits",
                  "names": "optional: one name per group",
                  "sensitivity": "model mode: one number > 0 per group; error = sensitivity x 2^(-2 bits)",
                  "b_min": "model mode: fewest bits (default 2)", "b_max": "model mode: most bits (default 8, <= 16)",
                  "grid": "model mode: 'bits' (integers, default) or 'levels'",
                  "options": "table mode, instead of sensitivity: {bits, error, size}, each one list per group"}
    example = {"sizes": [64, 64, 256], "budget": 3, "sensitivity": [1.0, 4.0, 2.5], "b_min": 2, "b_max": 8}
    solution_doc = '{"bits": [bits per group]} (levels: {"levels": [...]}; table mode: {"option": [...]})'

    def parse_fields(self, d: dict, where: str) -> BitAllocData:
        sizes = v.array_of(v.field_of(d, "sizes", where), f"{where}.sizes", kind="int")
        bad = np.flatnonzero(sizes <= 0)
        if len(bad):
            raise InstanceError(f"{where}.sizes[{int(bad[0])}]", "must be a positive integer", int(sizes[bad[0]]))
        k = len(sizes)
        budget = float(v.finite_number(v.field_of(d, "budget", where), f"{where}.budget"))
        overhead = float(v.finite_number(d.get("overhead_bits", 0), f"{where}.overhead_bits", nonneg=True))
        names = d.get("names")
        if names is not None and (not isinstance(names, list) or len(names) != k
                                  or not all(isinstance(x, str) for x in names)):
            raise InstanceError(f"{where}.names", f"must be a list of {k} strings (one per group)")
        out = BitAllocData(sizes=sizes, budget=budget, overhead_bits=overhead, names=names)
        has_model, has_table = "sensitivity" in d, "options" in d
        if has_model == has_table:
            raise InstanceError(where, "must give either sensitivity (model mode) or options (table mode), not "
                                       + ("both" if has_model else "neither"))
        if has_model:
            sens = np.asarray(v.array_of(d["sensitivity"], f"{where}.sensitivity", kind="num", length=k, per="group"),
                              dtype=np.float64)
            bad = np.flatnonzero(sens <= 0)
            if len(bad):
                raise InstanceError(f"{where}.sensitivity[{int(bad[0])}]", "must be a positive finite number",
                                    _num(sens[bad[0]]))
            out.sensitivity = sens
            out.b_min = v.nonneg_int(d.get("b_min", 2), f"{where}.b_min")
            out.b_max = v.nonneg_int(d.get("b_max", 8), f"{where}.b_max")
            if out.b_max < out.b_min or out.b_max > 16:
                raise InstanceError(f"{where}.b_max", f"must lie in [b_min, 16] = [{out.b_min}, 16]", out.b_max)
            out.grid = d.get("grid", "bits")
            if out.grid not in GRIDS:
                raise InstanceError(f"{where}.grid", f"must be one of {', '.join(GRIDS)}", out.grid)
            lo, hi = out.b_min, out.b_max
        else:
            self._parse_tables(d["options"], k, f"{where}.options", out)
            lo = float(out.opt_bits.min())
            hi = float(out.opt_bits.max())
        # the numeric contract: bit totals and loss totals stay exact in float64 and int64
        v.total_within(sizes, f"{where}.sizes")
        if out.tables:
            s_ = out.opt_starts
            v.total_within([int(out.opt_size[s_[j]:s_[j + 1]].max()) for j in range(k)], f"{where}.options.size",
                           "must have group maxima that sum to at most")
            v.total_within([float(out.opt_error[s_[j]:s_[j + 1]].max()) for j in range(k)],
                           f"{where}.options.error", "must have group maxima that sum to at most")
        else:
            v.total_within([int(x) * max(out.b_max, 1) for x in sizes.tolist()], f"{where}.sizes",
                           "times b_max must sum to at most")
            v.total_within(out.sensitivity, f"{where}.sensitivity")
        if not (lo <= budget <= hi):
            raise InstanceError(f"{where}.budget", f"must lie in [b_min, b_max] = [{_num(lo)}, {_num(hi)}]",
                                _num(budget))
        out.ties = self._parse_ties(d.get("ties", []), out, f"{where}.ties")
        return out

    @staticmethod
    def _parse_tables(raw, k, where, out):
        t = v.mapping(raw, where)
        v.no_extra(t, {"bits", "error", "size"}, where)
        cols = {}
        for key in ("bits", "error", "size"):
            rows = v.field_of(t, key, where)
            if not isinstance(rows, list) or len(rows) != k:
                raise InstanceError(f"{where}.{key}", f"must be a list of {k} option lists (one per group)")
            cols[key] = rows
        bits, err, size, starts = [], [], [], [0]
        for j in range(k):
            b = v.array_of(cols["bits"][j], f"{where}.bits[{j}]", kind="nonneg")
            e = v.array_of(cols["error"][j], f"{where}.error[{j}]", kind="nonneg", length=len(b), per="option")
            s = v.array_of(cols["size"][j], f"{where}.size[{j}]", kind="int", length=len(b), per="option")
            bits.append(b.astype(np.float64))
            err.append(e.astype(np.float64))
            size.append(s)
            starts.append(starts[-1] + len(b))
        out.opt_bits = np.concatenate(bits)
        out.opt_error = np.concatenate(err)
        out.opt_size = np.concatenate(size).astype(np.int64)
        out.opt_starts = np.asarray(starts, dtype=np.int64)

    @staticmethod
    def _parse_ties(raw, out: BitAllocData, where) -> list[list[int]]:
        def same(first, j):
            if not out.tables:
                return None  # model mode: one grid for every group
            a = out.opt_bits[out.opt_starts[first]:out.opt_starts[first + 1]]
            b = out.opt_bits[out.opt_starts[j]:out.opt_starts[j + 1]]
            if len(a) != len(b) or not np.allclose(a, b):
                return f"group {j} must have the same options (bits) as group {first}"
            return None

        return v.tie_groups(raw, out.k, where, "group", same)

    def dump(self, t: BitAllocData) -> dict:
        out = {"sizes": v.to_json_list(t.sizes), "budget": v.to_json_number(t.budget)}
        if t.overhead_bits:
            out["overhead_bits"] = v.to_json_number(t.overhead_bits)
        if t.tables:
            s = t.opt_starts
            out["options"] = {key: [v.to_json_list(arr[s[j]:s[j + 1]]) for j in range(t.k)]
                              for key, arr in (("bits", t.opt_bits), ("error", t.opt_error), ("size", t.opt_size))}
        else:
            out.update(sensitivity=[float(x) for x in t.sensitivity], b_min=t.b_min, b_max=t.b_max, grid=t.grid)
        if t.ties:
            out["ties"] = [list(g) for g in t.ties]
        if t.names is not None:
            out["names"] = list(t.names)
        return out

    def evaluate(self, t: BitAllocData, solution) -> Evaluation:
        key = "option" if t.tables else ("levels" if t.grid == "levels" else "bits")
        raw = solution.get(key) if isinstance(solution, dict) else None
        if raw is None or len(raw) != t.k:
            return Evaluation(math.nan, [f"solution.{key}: must give one value for each of {t.k} groups"])
        problems = []
        if t.tables:
            opt = np.asarray(raw, dtype=np.int64)
            sizes = np.diff(t.opt_starts)
            bad = np.flatnonzero((opt < 0) | (opt >= sizes))
            if len(bad):
                return Evaluation(math.nan, [f"solution.option[{int(bad[0])}] outside the group's options"])
            pos = t.opt_starts[:-1] + opt
            loss = float(t.opt_error[pos].sum())
            used = float(t.opt_size[pos].sum())
            bits = t.opt_bits[pos]
        else:
            vals = np.asarray(raw, dtype=np.float64)
            if key == "levels":
                lo, hi = 2**t.b_min, 2**t.b_max
                ok = (vals == np.round(vals)) & (vals >= lo) & (vals <= hi)
                bits = np.log2(np.maximum(vals, 1))
            else:
                lo, hi = t.b_min, t.b_max
                ok = (vals == np.round(vals)) & (vals >= lo) & (vals <= hi)
                bits = vals
            bad = np.flatnonzero(~ok)
            if len(bad):
                return Evaluation(math.nan, [f"solution.{key}[{int(bad[0])}] = {vals[bad[0]]} is not an allowed "
                                             f"{key[:-1]} count in {lo}..{hi}"])
            loss = float(np.dot(t.sensitivity, np.exp2(-2.0 * bits)))
            used = float(np.dot(t.sizes, bits))
        cap = t.capacity_bits
        if used > cap + _REL_TOL * max(1.0, cap):
            avg = (used + t.overhead_bits * t.k) / float(t.sizes.sum())
            problems.append(f"budget exceeded: average {avg:.6g} bits > {t.budget:.6g}")
        for g, group in enumerate(t.ties):
            if len(set(np.round(bits[group], 9).tolist())) > 1:
                problems.append(f"tie group {g} (groups {group[:5]}...) has different bits")
        return Evaluation(loss, problems)

    def value_atol(self, t: BitAllocData) -> float:
        """The loss is a sum of nonnegative terms, so its noise is the proven rounding error of that sum at its
        largest (every group at its fewest bits), never an absolute 1e-9: sensitivities of 1e-6 and 8 bits give
        losses near 1e-11, where 1e-9 would call any two answers equal."""
        if t.tables:
            top = float(np.maximum.reduceat(t.opt_error, t.opt_starts[:-1]).sum())
        else:
            top = float(t.sensitivity.sum()) * 2.0 ** (-2.0 * float(t.grid_bits()[0]))
        return sum_error_bound(t.k + 2, top)

    def size(self, t: BitAllocData) -> dict:
        out = {"groups": t.k, "params": int(t.sizes.sum()), "budget": t.budget}
        out["mode"] = "tables" if t.tables else f"model/{t.grid} {t.b_min}..{t.b_max}"
        return out

    @staticmethod
    def average_bits(t: BitAllocData, solution: dict) -> float:
        """Achieved element-weighted average, overhead included."""
        if t.tables:
            pos = t.opt_starts[:-1] + np.asarray(solution["option"], dtype=np.int64)
            used = float(t.opt_size[pos].sum())
        else:
            used = float(np.dot(t.sizes, t.bits_of(solution)))
        return (used + t.overhead_bits * t.k) / float(t.sizes.sum())

    def candidates(self, d):
        """Every candidate solution (brute force on tiny instances; evaluate decides feasibility)."""
        for bits in itertools.product(range(d.b_min, d.b_max + 1), repeat=d.k):
            yield {"bits": list(bits)}


def _num(x):
    f = float(x)
    return int(f) if f.is_integer() else f
