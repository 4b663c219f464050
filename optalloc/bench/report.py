"""Reports of a run: gap tables (CSV, Markdown), Dolan-Moré performance profiles and gap-against-time plots
(PNG), and one self-contained HTML page (images inlined) with all of them.

Performance profile (Dolan & Moré 2002): for each instance p and method s, r_ps = t_ps / min_s t_ps over
the methods that solved p; a run that did not solve p (no solution, or for exact methods not proven) has
r = inf. The curve of s is the share of instances with r_ps <= tau."""
from __future__ import annotations

import base64
import html
import io
import math
import os
from pathlib import Path

from optalloc.files import OutputExistsError, atomic_write_bytes, atomic_write_text

TABLE_HEAD = ["suite", "method", "kind", "runs", "solved", "proven", "reproduced", "mean ref gap %", "max ref gap %",
              "mean gap %", "mean time s", "total time s"]


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def gap_table(rows: list[dict]) -> list[list[str]]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["suite"], r["method"]), []).append(r)
    out = []
    for (suite, method), rs in sorted(groups.items()):
        ref = [float(r["reference_gap"]) for r in rs if _ok(r.get("reference_gap"))]
        gaps = [float(r["gap"]) for r in rs if _ok(r.get("gap"))]
        times = [float(r["time"]) for r in rs if _ok(r.get("time"))]
        out.append([suite, method, rs[0]["kind"], str(len(rs)),
                    str(sum(r["solution_status"] in ("optimal", "feasible") for r in rs)),
                    str(sum(r["status"] == "optimal" for r in rs)),
                    str(sum(r.get("reference_verdict") == "reproduced" for r in rs)),
                    f"{100 * sum(ref) / len(ref):.4f}" if ref else "-", f"{100 * max(ref):.4f}" if ref else "-",
                    f"{100 * sum(gaps) / len(gaps):.4f}" if gaps else "-",
                    f"{sum(times) / len(times):.4f}" if times else "-", f"{sum(times):.3f}" if times else "-"])
    return out


def to_csv(head, rows) -> str:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    w.writerows(rows)
    return buf.getvalue()


def to_markdown(head, rows) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _solved(r: dict) -> bool:
    if r["solution_status"] not in ("optimal", "feasible"):
        return False
    return r["status"] == "optimal" if r["kind"] == "exact" else True


def performance_ratios(rows: list[dict]) -> dict[str, list[float]]:
    """method -> r_ps over every (suite, instance) any method ran."""
    by_inst: dict[tuple[str, str], dict[str, dict]] = {}
    for r in rows:
        by_inst.setdefault((r["suite"], r["position"]), {})[r["method"]] = r
    methods = sorted({r["method"] for r in rows})
    ratios = {m: [] for m in methods}
    for runs in by_inst.values():
        ts = [max(float(r["time"]), 1e-6) for r in runs.values() if _solved(r)]
        best = min(ts) if ts else None
        for m in methods:
            r = runs.get(m)
            if r is None:
                continue
            ratios[m].append(max(float(r["time"]), 1e-6) / best if best and _solved(r) else math.inf)
    return ratios


def _figure_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def profile_png(rows: list[dict]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    ratios = performance_ratios(rows)
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
    ax.set_ylabel("share of instances within τ")
    ax.set_title("Performance profile (solved = a solution; exact: proven)")
    ax.legend(fontsize=7, loc="lower right")
    data = _figure_png(fig)
    plt.close(fig)
    return data


def gap_time_png(rows: list[dict]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    top = 0.0
    for m in sorted({r["method"] for r in rows}):
        pts = [(max(float(r["time"]), 1e-6), 100 * float(r["reference_gap"])) for r in rows
               if r["method"] == m and _ok(r.get("reference_gap")) and _ok(r.get("time"))]
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=10, alpha=0.7, label=m)
            top = max(top, *(p[1] for p in pts))
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_ylim(bottom=0, top=max(0.1, 2 * top))  # gaps to a reference are >= 0 (beaten ones sit at 0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("gap to the reference (%)")
    ax.set_title("Gap against time, one point per run")
    ax.legend(fontsize=7)
    data = _figure_png(fig)
    plt.close(fig)
    return data


def _html_table(head, rows) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def html_page(rows: list[dict], images: dict[str, bytes], check_text: str | None, source: str) -> str:
    table = gap_table(rows)
    imgs = "".join(f'<figure><img alt="{html.escape(k)}" src="data:image/png;base64,'
                   f'{base64.b64encode(v).decode()}"><figcaption>{html.escape(k)}</figcaption></figure>'
                   for k, v in images.items())
    versions = sorted({f"optalloc {r['optalloc_version']}, {r['backend']} {r['backend_version']}" for r in rows})
    machines = sorted({f"{r['host']}: {r['machine']}, Python {r['python']}" for r in rows})
    chk = f"<h2>Check</h2><pre>{html.escape(check_text)}</pre>" if check_text else ""
    # The script marks the page once every image has decoded, so a headless browser can confirm rendering.
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>optalloc report: {html.escape(source)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #bbb;padding:3px 7px;text-align:right}}td:first-child,td:nth-child(2){{text-align:left}}
figure{{display:inline-block;margin:1em}}img{{max-width:520px}}</style></head>
<body data-images-ok="pending">
<h1>optalloc report</h1>
<p>{len(rows)} runs from <code>{html.escape(source)}</code>.</p>
<h2>Gaps per suite and method</h2>
{_html_table(TABLE_HEAD, table)}
<h2>Figures</h2>
{imgs}
{chk}
<h2>Provenance</h2><ul>{''.join(f'<li>{html.escape(v)}</li>' for v in versions + machines)}</ul>
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


def write_report(rows: list[dict], out_dir: str | os.PathLike, *, source: str = "", check_text: str | None = None,
                 force: bool = False) -> dict[str, Path]:
    out = Path(out_dir)
    names = ["gaps.csv", "gaps.md", "profile.png", "gap_time.png", "report.html"]
    if not force:
        for n in names:
            if (out / n).exists():
                raise OutputExistsError(out / n)
    table = gap_table(rows)
    images = {"performance profile": profile_png(rows), "gap against time": gap_time_png(rows)}
    written = {
        "gaps.csv": atomic_write_text(out / "gaps.csv", to_csv(TABLE_HEAD, table), overwrite=force),
        "gaps.md": atomic_write_text(out / "gaps.md", to_markdown(TABLE_HEAD, table), overwrite=force),
        "profile.png": atomic_write_bytes(out / "profile.png", images["performance profile"], overwrite=force),
        "gap_time.png": atomic_write_bytes(out / "gap_time.png", images["gap against time"], overwrite=force),
        "report.html": atomic_write_text(out / "report.html", html_page(rows, images, check_text, source),
                                         overwrite=force),
    }
    return written
