"""The multiple-choice knapsack as an engine several families share (knapsack's MCKP kind, bit allocation,
Knapsack RL's budget): its typed data, the tie reduction, and its formulation as arrays. The solver is
optalloc.engines.mckp."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from optalloc.errors import InstanceError
from optalloc.models.linear import INF, LazyNames, LinearModel, check_build, range_names, tie_rows


def _num(x):
    return x.item() if isinstance(x, np.generic) else x


def checked_mckp(values, weights, starts, capacity: int, where: str = "data") -> "MCKPData":
    """MCKPData from flat arrays (class i's options at starts[i]:starts[i+1]), checked in whole-array steps
    against the kind's contract (what parse_fields checks option by option: values finite and >= 0, weights
    integers >= 0, each total of class maxima within the exact range, capacity an integer >= 0), for callers that
    hold arrays of millions of options (optalloc.allocate)."""
    from optalloc.problems import validate as v

    values = np.asarray(values)
    weights = np.asarray(weights)
    starts = np.asarray(starts, dtype=np.int64)
    sizes = np.diff(starts)
    if len(sizes) == 0 or (sizes <= 0).any() or starts[0] != 0 or starts[-1] != len(values) \
            or len(weights) != len(values):
        raise InstanceError(f"{where}.values", "must hold one or more options in every class")
    fv = values.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(fv) | (fv < 0))
    if len(bad):
        raise InstanceError(f"{where}.values", "must be finite numbers >= 0", values[bad[0]])
    fw = weights.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(fw) | (fw < 0) | (fw != np.round(fw)))
    if len(bad):
        raise InstanceError(f"{where}.weights", "must be integers >= 0", weights[bad[0]])
    if values.dtype.kind != "f" and values.dtype.kind not in "iu":
        values = fv
    cap = v.nonneg_int(capacity, f"{where}.capacity")
    v.total_within(np.maximum.reduceat(fv, starts[:-1]).tolist(), f"{where}.values",
                   "must have class maxima that sum to at most")
    v.total_within(np.maximum.reduceat(weights.astype(np.int64), starts[:-1]).tolist(), f"{where}.weights",
                   "must have class maxima that sum to at most")
    return MCKPData(values, weights.astype(np.int64), starts, cap, [])


@dataclass
class MCKPData:
    """Classes stored flat: options of class i are positions starts[i]:starts[i+1]."""

    values: np.ndarray
    weights: np.ndarray
    starts: np.ndarray
    capacity: int
    ties: list[list[int]] = field(default_factory=list)  # classes forced to choose the same option index

    @property
    def k(self) -> int:
        return len(self.starts) - 1

    def class_values(self, i: int) -> np.ndarray:
        return self.values[self.starts[i]:self.starts[i + 1]]

    def class_weights(self, i: int) -> np.ndarray:
        return self.weights[self.starts[i]:self.starts[i + 1]]

    def sizes(self) -> np.ndarray:
        return np.diff(self.starts)

    @classmethod
    def from_lists(cls, values, weights, capacity, ties=None) -> "MCKPData":
        from optalloc.problems import get_problem

        return get_problem("mckp").parse({"values": [list(map(_num, x)) for x in values],
                                 "weights": [list(map(int, x)) for x in weights],
                                 "capacity": int(capacity), "ties": ties or []})



# ------------------------------------------------------------------ ties
def merge_ties(d: MCKPData) -> tuple[MCKPData, list[list[int]] | None]:
    """Classes tied to one option index become one class whose option j sums their option j.
    Returns the tie-free data and, per new class, the original classes it stands for (None: no ties, each class
    stands for itself)."""
    if not d.ties:
        return d, None
    grouped = {c: g for g, group in enumerate(d.ties) for c in group}
    members: list[list[int]] = []
    done = set()
    for i in range(d.k):
        if i in grouped:
            g = grouped[i]
            if g in done:
                continue
            done.add(g)
            members.append(list(d.ties[g]))
        else:
            members.append([i])
    vals, wts = [], []
    for group in members:
        vals.append(sum(d.class_values(c) for c in group))
        wts.append(sum(d.class_weights(c) for c in group))
    starts = np.concatenate([[0], np.cumsum([len(x) for x in vals])]).astype(np.int64)
    merged = MCKPData(np.concatenate(vals), np.concatenate(wts), starts, d.capacity, [])
    return merged, members


def expand_ties(choice: np.ndarray, members: list[list[int]] | None, k: int) -> list[int]:
    """The option of each of the `k` original classes from `choice`, the option of each merged class, and
    `members`, the original classes of each (None: the classes themselves)."""
    if members is None:
        return np.asarray(choice, dtype=np.int64).tolist()
    out = [0] * k
    for new_cls, group in enumerate(members):
        for c in group:
            out[c] = int(choice[new_cls])
    return out



# ------------------------------------------------------------------ formulation
def _option_names(starts) -> list[str]:
    return [f"x_{i}_{j}" for i in range(len(starts) - 1) for j in range(int(starts[i + 1] - starts[i]))]


def multiple_choice(starts, objective, sizes, capacity: float, ties, sense: str, budget_row: str,
                    deadline=None) -> LinearModel:
    """One option per class (choose_i), total size within the capacity (the budget row), tied classes on the
    same option index (tie rows); columns x_i_j. The multiple-choice knapsack and bit allocation share it."""
    N = len(objective)
    k = len(starts) - 1
    check_build(deadline, 2 * N)
    starts = np.asarray(starts, dtype=np.int64)
    names = LazyNames(lambda: _option_names(starts))
    # built straight in CSR (no COO pass): the budget row holds every column, choose_i its class's run
    columns = np.arange(N, dtype=np.int32)
    blocks = [sp.csr_matrix((np.concatenate([np.asarray(sizes, dtype=float), np.ones(N)]),
                             np.concatenate([columns, columns]), np.concatenate([[0], N + starts])),
                            shape=(k + 1, N))]
    row_parts = [[budget_row], range_names("choose", k)]
    row_lo = [np.array([-INF]), np.ones(k)]  # the first block holds the budget row and the k choose rows
    row_hi = [np.array([capacity]), np.ones(k)]
    tie_block, tnames = tie_rows(ties, starts, N)
    if tie_block is not None:
        blocks.append(tie_block)
        row_lo.append(np.zeros(tie_block.shape[0]))
        row_hi.append(np.zeros(tie_block.shape[0]))
        row_parts.append(tnames)
    A = blocks[0] if len(blocks) == 1 else sp.vstack(blocks, format="csr")
    A.eliminate_zeros()
    return LinearModel(sense, np.asarray(objective, dtype=float), A, np.concatenate(row_lo), np.concatenate(row_hi),
                       np.zeros(N), np.ones(N), np.ones(N, dtype=bool), names, LazyNames(*row_parts))
