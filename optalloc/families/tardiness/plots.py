"""Tardiness pictures and tables: a Gantt chart of one schedule, and gap tables and plots per heuristic and per
(TF, RDD) class.

The gap convention is the seed paper's: 100 (heuristic - optimum) / optimum per instance, averaged over the
instances with a positive optimum. Because tiny optima dominate that mean, the tables also give the aggregate
gap (Σheuristic / Σoptimum - 1) and how many instances each heuristic solves to optimality."""
from __future__ import annotations

import numpy as np
import pandas as pd


def schedule_table(data, sequence) -> pd.DataFrame:
    """One row per job in processing order: start, end, due date, tardiness and weighted tardiness."""
    seq = np.asarray(sequence, dtype=np.int64)
    end = np.cumsum(data.p[seq])
    start = end - data.p[seq]
    tard = np.maximum(end - data.d[seq], 0)
    return pd.DataFrame({"job": seq, "start": start, "end": end, "due": data.d[seq], "weight": data.w[seq],
                         "tardiness": tard, "weighted_tardiness": data.w[seq] * tard})


def gantt(data, sequence, ax=None, title: str | None = None):
    """Bars on one machine in processing order; tardy jobs in red with a line back to their due date."""
    import matplotlib.pyplot as plt

    t = schedule_table(data, sequence)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(16, 2 + 0.25 * len(t)), 2.4))
    late = t["tardiness"].to_numpy() > 0
    colours = np.where(late, "#d62728", "#2ca02c")
    ax.barh(0, t["end"] - t["start"], left=t["start"], color=colours, edgecolor="white", height=0.6)
    span = float(t["end"].max() - t["start"].min()) or 1.0
    width_px = ax.figure.get_size_inches()[0] * ax.figure.dpi * 0.8  # about the axes' width in pixels
    for row, is_late in zip(t.itertuples(), late):
        # a job's number only where it fits (about 7 px a digit at fontsize 7): short jobs stay unlabelled
        # rather than printing over their neighbours; schedule_table(data, sequence) lists every job
        if (row.end - row.start) / span * width_px >= 7 * len(str(row.job)) + 4:
            ax.text((row.start + row.end) / 2, 0, str(row.job), ha="center", va="center", fontsize=7, color="white")
        if is_late:
            ax.plot([row.due, row.end], [0.38, 0.38], color="#d62728", lw=1)
            ax.plot([row.due], [0.38], marker="|", color="#d62728")
    ax.set_yticks([])
    ax.set_xlabel("time")
    total = float(t["weighted_tardiness"].sum())
    ax.set_title(title or f"{int(late.sum())} tardy jobs of {len(t)}, total weighted tardiness {total:g}")
    return ax


def gap_rows(instances, sequences: dict[str, list]) -> pd.DataFrame:
    """Tidy rows (instance, class, method, value, optimum, gap %) from {method: [sequence per instance]}."""
    rows = []
    for k, inst in enumerate(instances):
        opt = inst.reference.value if inst.reference is not None else np.nan
        for method, seqs in sequences.items():
            v = float(inst.data.cost(seqs[k]))
            rows.append({"instance": inst.name, "tf": inst.meta.get("tf"), "rdd": inst.meta.get("rdd"),
                         "method": method, "value": v, "optimum": opt,
                         "gap_pct": 100 * (v - opt) / opt if opt > 0 else np.nan})
    return pd.DataFrame(rows)


def gap_table(rows: pd.DataFrame, by=("method",)) -> pd.DataFrame:
    """Mean gap over opt > 0 (the seed's metric), aggregate gap, and instances solved to optimality."""
    def summary(g):
        return pd.Series({"mean_gap_pct": g["gap_pct"].mean(),
                          "aggregate_gap_pct": 100 * (g["value"].sum() / g["optimum"].sum() - 1)
                          if g["optimum"].sum() > 0 else 0.0,
                          "optimal": int((g["value"] <= g["optimum"] + 1e-9).sum()), "instances": len(g)})

    return rows.groupby(list(by)).apply(summary, include_groups=False)


def gap_plot(rows: pd.DataFrame, ax=None):
    """Mean gap per (TF, RDD) class, one line per method, log scale (gaps span four orders of magnitude)."""
    import matplotlib.pyplot as plt

    t = gap_table(rows, by=("method", "tf", "rdd")).reset_index()
    t["class"] = [f"{a:g}/{b:g}" for a, b in zip(t["tf"], t["rdd"])]
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.5))
    for method, g in t.groupby("method"):
        g = g.sort_values(["tf", "rdd"])
        ax.plot(g["class"], g["mean_gap_pct"], marker="o", label=method)
    # symlog: a zero gap (a rule optimal on every instance of a class) is drawn at 0, not lifted to a made-up 1e-3
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("class TF/RDD")
    ax.set_ylabel("mean gap % (opt > 0)")
    ax.tick_params(axis="x", rotation=60)
    ax.legend(fontsize=8)
    return ax
