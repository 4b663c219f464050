"""Reports of a run: gap tables (CSV, Markdown), and per suite a Dolan-Moré performance profile, gap-over-time
curves from the anytime traces with each method's primal integral, and the final gap of every run against
its time (PNG); one self-contained HTML page (images inlined) with all of them.

Solved. A run counts as solved on an instance when it returned a feasible solution and either proved it
optimal, or its objective is within `tolerance` (relative, default 10^-4) of the instance's reference value
(an optimum or best known value). A heuristic 50 % above the optimum has a solution, but has not solved the
instance; an infeasible point (a method allowed to return one) never counts.

Performance profile (Dolan & Moré 2002): for instance p and method s, r_ps = t_ps / min_s t_ps over the
methods that solved p; r_ps = inf when s did not solve p. The curve of s is the share of instances with
r_ps <= tau. One profile per suite: instances of different suites are not comparable.

Primal gap and integral (Berthold 2013): the primal gap of an incumbent z against the reference z* is
abs(z - z*) / max(abs(z), abs(z*)), 1 with no incumbent (or when signs differ); z* is the reference value, else the best
objective any run found. The primal integral of a run is the area under its primal gap over [0, T], T the
suite's horizon (its time limit, else its longest run): a method that gets within 0.1 % in one second scores
far lower than one that needs 59."""
from __future__ import annotations

import base64
import html
import io
import json
import math
import os
from pathlib import Path

from optalloc.files import OutputExistsError, atomic_write_bytes, atomic_write_text
from optalloc.gap import primal_gap
from optalloc.trace import primal_integral

from optalloc.result import SOLVED_TOLERANCE as DEFAULT_TOLERANCE
from optalloc.result import counts_as_solved

TABLE_HEAD = ["suite", "method", "kind", "runs", "errors", "with solution", "infeasible points", "proven", "solved",
              "reproduced", "mean ref gap %", "max ref gap %", "mean gap %", "mean primal integral",
              "mean time s", "total time s"]


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def has_solution(r: dict) -> bool:
    """Whether the row `r` returned a feasible solution (an infeasible point does not count)."""
    return r["solution_status"] in ("optimal", "feasible")


def failed(r: dict) -> bool:
    """Whether the run of row `r` failed: the method raised, its answer failed verification, or its worker died
    (status error). A run stopped by its limit has not failed."""
    return r["status"] == "error"


def solved(r: dict, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """Proven optimal, or within `tolerance` of the reference value: optalloc.result.counts_as_solved on a row."""
    return counts_as_solved(r["status"], r["solution_status"], r.get("reference_kind"), r.get("reference_gap"),
                            tolerance)


def _trace(r: dict) -> list | None:
    t = r.get("trace")
    if t is None or (isinstance(t, float) and math.isnan(t)):
        return None
    return json.loads(t) if isinstance(t, str) else t


def _better(a: float, b: float, sense: str | None) -> bool:
    return a > b if sense == "max" else a < b


def references(rows: list[dict]) -> dict[tuple[str, str], float]:
    """(suite, position) -> z*: the instance's reference value (optimum or best known), else the best
    objective any run found on it (needs the rows' sense)."""
    out: dict[tuple[str, str], float] = {}
    for r in rows:
        if r.get("reference_kind") in ("optimal", "best_known") and _ok(r.get("reference_value")):
            out[(r["suite"], r["position"])] = float(r["reference_value"])
    published = set(out)
    for r in rows:
        key = (r["suite"], r["position"])
        if key not in published and has_solution(r) and _ok(r.get("objective")) and r.get("sense") in ("min", "max"):
            z = float(r["objective"])
            if key not in out or _better(z, out[key], r["sense"]):
                out[key] = z
    return out


def horizon(rows: list[dict]) -> float:
    """A suite's common time axis: its time limit when the runs had one, else its longest run."""
    limits = []
    for r in rows:
        try:
            limits.append(float(json.loads(r.get("options") or "{}").get("time_limit")))
        except (TypeError, ValueError):
            pass
    longest = max((float(r["time"]) for r in rows if _ok(r.get("time"))), default=0.0)
    return max(max(limits, default=0.0), longest, 1e-3)


def primal_integrals(rows: list[dict]) -> dict[str, float | None]:
    """row key -> its primal integral over the suite's horizon (None without a reference or a trace)."""
    refs = references(rows)
    out: dict[str, float | None] = {}
    for suite in sorted({r["suite"] for r in rows}):
        rs = [r for r in rows if r["suite"] == suite]
        T = horizon(rs)
        for r in rs:
            tr = _trace(r) if has_solution(r) else []
            out[r["key"]] = primal_integral(tr or [], refs.get((suite, r["position"])), T)
    return out


def gap_table(rows: list[dict], tolerance: float = DEFAULT_TOLERANCE) -> list[list[str]]:
    """One row of strings per (suite, method) of `rows` (TABLE_HEAD's columns); solved counts runs within
    `tolerance` of the reference or proven."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["suite"], r["method"]), []).append(r)
    integrals = primal_integrals(rows)
    out = []
    for (suite, method), rs in sorted(groups.items()):
        ref = [float(r["reference_gap"]) for r in rs if has_solution(r) and _ok(r.get("reference_gap"))]
        gaps = [float(r["gap"]) for r in rs if has_solution(r) and _ok(r.get("gap"))]
        times = [float(r["time"]) for r in rs if _ok(r.get("time"))]
        pis = [integrals[r["key"]] for r in rs if integrals.get(r["key"]) is not None]
        out.append([suite, method, rs[0]["kind"], str(len(rs)), str(sum(map(failed, rs))), str(sum(map(has_solution, rs))),
                    str(sum(r["solution_status"] == "infeasible_point" for r in rs)),
                    str(sum(r["status"] == "optimal" and has_solution(r) for r in rs)),
                    str(sum(solved(r, tolerance) for r in rs)),
                    str(sum(r.get("reference_verdict") == "reproduced" for r in rs)),
                    f"{100 * sum(ref) / len(ref):.4f}" if ref else "-", f"{100 * max(ref):.4f}" if ref else "-",
                    f"{100 * sum(gaps) / len(gaps):.4f}" if gaps else "-",
                    f"{sum(pis) / len(pis):.4g}" if pis else "-",
                    f"{sum(times) / len(times):.4f}" if times else "-", f"{sum(times):.3f}" if times else "-"])
    return out


def to_csv(head, rows) -> str:
    """`rows` under the header `head` as CSV text."""
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    w.writerows(rows)
    return buf.getvalue()


def to_markdown(head, rows) -> str:
    """`rows` under the header `head` as a Markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def performance_ratios(rows: list[dict], tolerance: float = DEFAULT_TOLERANCE) -> dict[str, list[float]]:
    """method -> r_ps over every instance of `rows` any method ran (pass one suite's rows). A method that did not
    run on an instance (it does not solve that kind) has not solved it: its ratio there is inf, so each method's
    profile is a share of the suite's instances, not of its own runs (knapsack.dp showed 1.0 on a suite whose MKP
    instances it cannot take)."""
    by_inst: dict[tuple[str, str], dict[str, dict]] = {}
    for r in rows:
        by_inst.setdefault((r["suite"], r["position"]), {})[r["method"]] = r
    methods = sorted({r["method"] for r in rows})
    ratios = {m: [] for m in methods}
    for runs in by_inst.values():
        ts = [max(float(r["time"]), 1e-6) for r in runs.values() if solved(r, tolerance)]
        best = min(ts) if ts else None
        for m in methods:
            r = runs.get(m)
            if r is None:
                ratios[m].append(math.inf)
                continue
            ratios[m].append(max(float(r["time"]), 1e-6) / best if best and solved(r, tolerance) else math.inf)
    return ratios


def gap_curves(rows: list[dict], points: int = 200) -> tuple[list[float], dict[str, list[float]]]:
    """Times on a log grid up to the horizon, and per method the mean primal gap (%) of its incumbents over the
    instances at each time (from the traces; a run's last answer holds until the horizon)."""
    import numpy as np

    refs = references(rows)
    T = horizon(rows)
    grid = np.logspace(math.log10(min(1e-3, T / 10)), math.log10(T), points)
    curves: dict[str, list[float]] = {}
    for m in sorted({r["method"] for r in rows}):
        acc = np.zeros(points)
        count = 0
        for r in rows:
            if r["method"] != m:
                continue
            z_star = refs.get((r["suite"], r["position"]))
            if z_star is None:
                continue
            count += 1
            tr = (_trace(r) or []) if has_solution(r) else []
            g = np.ones(points)
            for t, obj, _ in tr:
                if obj is None:
                    continue
                g[grid >= float(t)] = primal_gap(float(obj), z_star)
            acc += g
        if count:
            curves[m] = (100 * acc / count).tolist()
    return grid.tolist(), curves


def _figure_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files, not windows: the report runs headless
    import matplotlib.pyplot as plt

    return plt


def profile_png(rows: list[dict], tolerance: float = DEFAULT_TOLERANCE, title: str = "") -> bytes:
    """The performance profile of `rows` (one suite) as PNG bytes; solved as `tolerance` says; `title` prefixes the
    plot's title."""
    import numpy as np

    plt = _pyplot()
    ratios = performance_ratios(rows, tolerance)
    finite = [x for v in ratios.values() for x in v if math.isfinite(x)]
    top = max(2.0, max(finite) * 1.5) if finite else 2.0
    taus = np.logspace(0, math.log10(top), 200)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for m, v in ratios.items():
        a = np.asarray(v)
        ax.step(taus, [(a <= t).mean() if len(a) else 0 for t in taus], where="post", label=m)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("τ (time / best time on the instance)")
    ax.set_ylabel("share of instances solved within τ")
    ax.set_title(f"{title}performance profile\nsolved = proven optimal, or within {tolerance:g} of the reference",
                 fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower right")
    data = _figure_png(fig)
    plt.close(fig)
    return data


def gap_over_time_png(rows: list[dict], title: str = "") -> bytes:
    """The mean primal gap over time of each method in `rows` (one suite), from the traces, with each method's mean
    primal integral in the legend; PNG bytes; `title` prefixes the plot's title."""
    plt = _pyplot()
    grid, curves = gap_curves(rows)
    integrals = primal_integrals(rows)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for m, c in curves.items():
        pis = [integrals[r["key"]] for r in rows if r["method"] == m and integrals.get(r["key"]) is not None]
        label = f"{m} (primal integral {sum(pis) / len(pis):.3g})" if pis else m
        ax.step(grid, c, where="post", label=label)
    return _gap_axes_png(plt, fig, ax, 110, "mean primal gap (%)",
                         f"{title}gap over time (anytime traces; 100 % = no solution yet)")


def final_gap_png(rows: list[dict], title: str = "") -> bytes:
    """One point per run: its final gap to the reference against its time; infeasible points as red crosses
    on the top edge (they have no gap: they are not solutions)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    top = 0.0
    for m in sorted({r["method"] for r in rows}):
        pts = [(max(float(r["time"]), 1e-6), 100 * float(r["reference_gap"])) for r in rows
               if r["method"] == m and has_solution(r) and _ok(r.get("reference_gap")) and _ok(r.get("time"))]
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=10, alpha=0.7, label=m)
            top = max(top, *(p[1] for p in pts))
    ymax = max(0.1, 2 * top)
    bad = [max(float(r["time"]), 1e-6) for r in rows if r["solution_status"] == "infeasible_point" and _ok(r.get("time"))]
    if bad:
        ax.scatter(bad, [ymax] * len(bad), marker="x", color="red", s=30, label="infeasible point (not a solution)")
    # gaps to a reference are >= 0 (beaten ones sit at 0)
    return _gap_axes_png(plt, fig, ax, ymax * 1.05, "final gap to the reference (%)",
                         f"{title}final gap against time, one point per run")


def _gap_axes_png(plt, fig, ax, top: float, ylabel: str, title: str) -> bytes:
    """Gap (%) against time (s) on log axes (symlog for the gap, so 0 shows), then the figure as PNG."""
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_ylim(bottom=0, top=top)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if ax.get_legend_handles_labels()[0]:  # a suite with no reference and no trace draws nothing to name
        ax.legend(fontsize=7)
    data = _figure_png(fig)
    plt.close(fig)
    return data


def _html_table(head, rows) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def provenance(rows: list[dict]) -> list[str]:
    """Each version and machine once: optalloc's, each backend's, each host's."""
    ours = sorted({str(r["optalloc_version"]) for r in rows if r.get("optalloc_version")})
    # methods of optalloc's own name optalloc as their backend: its version is already said
    backends = sorted({f"{r['backend']} {r['backend_version']}" for r in rows
                       if r.get("backend") and r["backend"] != "optalloc"})
    machines = sorted({f"{r['host']}: {r['machine']}, Python {r['python']}" for r in rows if r.get("host")})
    return [f"optalloc {', '.join(ours)}"] * bool(ours) + [f"backends: {', '.join(backends)}"] * bool(backends) + \
        [f"machine {m}" for m in machines]


def suite_images(rows: list[dict], tolerance: float = DEFAULT_TOLERANCE) -> dict[str, dict[str, bytes]]:
    """suite -> {figure name: PNG}."""
    out = {}
    for suite in sorted({r["suite"] for r in rows}):
        rs = [r for r in rows if r["suite"] == suite]
        out[suite] = {"performance profile": profile_png(rs, tolerance, f"{suite}: "),
                      "gap over time": gap_over_time_png(rs, f"{suite}: "),
                      "final gap against time": final_gap_png(rs, f"{suite}: ")}
    return out


def html_page(rows: list[dict], images: dict[str, dict[str, bytes]], check_text: str | None, source: str,
              tolerance: float = DEFAULT_TOLERANCE) -> str:
    """The self-contained HTML report of `rows`: one section per suite with its table and `images` (suite -> figure
    name -> PNG), the `check_text` when given, provenance; `source` names the run; `tolerance` as in solved."""
    table = gap_table(rows, tolerance)
    sections = []
    for suite, figs in images.items():
        imgs = "".join(f'<figure><img alt="{html.escape(f"{suite}: {k}")}" src="data:image/png;base64,'
                       f'{base64.b64encode(v).decode()}"><figcaption>{html.escape(k)}</figcaption></figure>'
                       for k, v in figs.items())
        rs = [r for r in rows if r["suite"] == suite]
        n_inst = len({r["position"] for r in rs})
        sections.append(f'<section id="suite-{html.escape(suite)}"><h2>Suite {html.escape(suite)}</h2>'
                        f"<p>{n_inst} instances, {len(rs)} runs, horizon {horizon(rs):.3g} s.</p>"
                        f"{_html_table(TABLE_HEAD, [t for t in table if t[0] == suite])}{imgs}</section>")
    chk = f"<h2>Check</h2><pre>{html.escape(check_text)}</pre>" if check_text else ""
    # The script marks the page once every image has decoded, so a headless browser can confirm rendering.
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>optalloc report: {html.escape(source)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #bbb;padding:3px 7px;text-align:right}}td:first-child,td:nth-child(2){{text-align:left}}
figure{{display:inline-block;margin:1em}}img{{max-width:520px}}</style></head>
<body data-images-ok="pending">
<h1>optalloc report</h1>
<p>{len(rows)} runs from <code>{html.escape(source)}</code>. A run counts as <b>solved</b> when it proved its
answer optimal or came within {tolerance:g} (relative) of the instance's reference; a heuristic's answer far
from the optimum has a solution but has not solved the instance. Infeasible points are counted apart and never
as solutions. The primal integral is the area under a run's primal gap over the suite's horizon (lower is
better; 1 s at 100 % counts 1).</p>
{''.join(sections)}
{chk}
<h2>Provenance</h2><ul>{''.join(f'<li>{html.escape(v)}</li>' for v in provenance(rows))}</ul>
<script>
window.addEventListener('load', function () {{
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) {{ return i.complete && i.naturalWidth > 0; }}).length;
  document.body.setAttribute('data-images-ok', ok + '/' + imgs.length);
  document.body.setAttribute('data-tables', String(document.querySelectorAll('table tbody tr').length));
}});
</script>
</body></html>
"""


def _slug(s: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in s)


def write_report(rows: list[dict], out_dir: str | os.PathLike, *, source: str = "", check_text: str | None = None,
                 force: bool = False, tolerance: float = DEFAULT_TOLERANCE) -> dict[str, Path]:
    """The report of a run's `rows` (read_rows) in `out_dir`: gaps.csv, gaps.md, report.html and per suite
    <suite>_profile.png, <suite>_gap_over_time.png and <suite>_final_gap.png. `source` names the run on the
    page; `check_text` (a rendered regression check) is shown when given; a run counts as solved when proven
    or within `tolerance` (relative) of the reference. An existing file is OutputExistsError unless `force`."""
    out = Path(out_dir)
    suites = sorted({r["suite"] for r in rows})
    figure_files = {"performance profile": "profile", "gap over time": "gap_over_time",
                    "final gap against time": "final_gap"}
    names = ["gaps.csv", "gaps.md", "report.html"] + [f"{_slug(s)}_{f}.png" for s in suites
                                                      for f in figure_files.values()]
    if not force:
        for n in names:
            if (out / n).exists():
                raise OutputExistsError(out / n)
    table = gap_table(rows, tolerance)
    images = suite_images(rows, tolerance)
    written = {
        "gaps.csv": atomic_write_text(out / "gaps.csv", to_csv(TABLE_HEAD, table), overwrite=force),
        "gaps.md": atomic_write_text(out / "gaps.md", to_markdown(TABLE_HEAD, table), overwrite=force),
    }
    for suite, figs in images.items():
        for k, png in figs.items():
            name = f"{_slug(suite)}_{figure_files[k]}.png"
            written[name] = atomic_write_bytes(out / name, png, overwrite=force)
    written["report.html"] = atomic_write_text(out / "report.html",
                                               html_page(rows, images, check_text, source, tolerance), overwrite=force)
    return written
