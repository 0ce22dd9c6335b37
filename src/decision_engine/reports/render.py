"""A report as JSON, as CSV (one file per table) or as one self-contained HTML page.

The HTML carries its styles and its charts inline (SVG drawn by pygal, with pygal's
JavaScript left out), so it opens on a closed network and loads nothing from anywhere.
CSV cells that a spreadsheet would run as formulas are neutralised (the store's
:class:`SafeCSVWriter`): group names and rationales are free text.
"""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

import pygal
from pygal.style import Style

from decision_engine.audit.export import SafeCSVWriter
from decision_engine.reports.model import Chart, Report, Table

_STYLE = Style(background="white", plot_background="white", font_family="sans-serif",
               colors=("#1d4e89", "#c0392b", "#2e8b57", "#d4a017", "#6a3d9a", "#555555",
                       "#e67e22", "#117a8b"))


def to_json(report: Report) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n"


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = SafeCSVWriter(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(row)
    return out.getvalue()


def to_csv(report: Report) -> dict[str, str]:
    """``{file name: CSV text}``, one file per table."""
    return {f"{report.name}-{t.name}.csv": table_csv(t) for t in report.tables}


def chart_svg(chart: Chart) -> str:
    """The chart as an inline ``<svg>`` element (no XML declaration, no scripts)."""
    bar = pygal.Bar(style=_STYLE, js=[], disable_xml_declaration=True, width=900,
                    height=380, x_label_rotation=20, legend_at_bottom=True,
                    print_values=False, title=chart.title, y_title=chart.y_title,
                    show_minor_y_labels=False, explicit_size=True)
    bar.x_labels = chart.labels
    for name, values in chart.series.items():
        bar.add(name.replace("_", " "), values)
    # pygal writes its tooltip configuration as an inline <script> even with js=[];
    # nothing reads it without pygal's JavaScript, so the page carries no script at all.
    # Its comments (a timestamp, pygal's home page) go too.
    return _SCRIPT_OR_COMMENT.sub("", str(bar.render(is_unicode=True)))


_SCRIPT_OR_COMMENT = re.compile(r"<script\b.*?</script>|<!--.*?-->", re.S)


_CSS = """
body{font-family:sans-serif;margin:2em auto;max-width:70em;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em}
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#eef2f7}.sup{color:#777;font-style:italic}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}
dl.meta dt{font-weight:bold}.note{color:#444;max-width:60em}
figure{margin:1em 0}
"""


def _cell(value: Any) -> str:
    if value is None:
        return "<td class=n>–</td>"
    if value == "suppressed":
        return "<td class='n sup'>suppressed</td>"
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int | float):
        text = f"{value:,}" if isinstance(value, int) else f"{value:.4f}".rstrip("0").rstrip(".")
        return f"<td class=n>{html.escape(text)}</td>"
    return f"<td>{html.escape(str(value))}</td>"


def table_html(table: Table, limit: int | None = None) -> str:
    rows = table.rows if limit is None else table.rows[:limit]
    head = "".join(f"<th scope=col>{html.escape(c.replace('_', ' '))}</th>"
                   for c in table.columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    more = (f"<p class=note>First {len(rows):,} of {len(table.rows):,} rows; the CSV and "
            "JSON have them all.</p>" if len(rows) < len(table.rows) else "")
    note = f"<p class=note>{html.escape(table.note)}</p>" if table.note else ""
    empty = "<p>No rows.</p>" if not table.rows else ""
    return (f"<section id='{html.escape(table.name)}'><h2>{html.escape(table.title)}</h2>"
            f"{note}{empty}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            f"</table>{more}</section>")


def body_html(report: Report, *, level: int = 1) -> str:
    """The report without ``<html>``: the auditor page puts it inside its own layout,
    with headings one *level* down (``h2`` for the title) under its own ``h1``."""
    s = report.scope
    meta = [("Period", f"{s.date_from.isoformat()} to {s.date_to.isoformat()} "
                       "(decision dates, inclusive)"),
            ("Service area", s.service_area or "all"),
            ("Family", s.family or "–"),
            ("Grouped by", s.group_by),
            ("Policy versions covered", ", ".join(report.policy_versions) or "none"),
            ("Decisions", f"{report.decisions:,}"),
            ("Suppression threshold", f"counts below {s.threshold} are suppressed"),
            ("Audit chain", f"records up to seq {report.through_seq:,}"),
            ("How indices are computed", report.method)]
    parts = [f"<h1>{html.escape(report.title)}</h1><dl class=meta>"]
    parts += [f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in meta]
    parts.append("</dl>")
    parts += [f"<p class=note>{html.escape(n)}</p>" for n in report.notes]
    parts += [f"<figure>{chart_svg(c)}</figure>" for c in report.charts
              if any(v is not None for vs in c.series.values() for v in vs)]
    parts += [table_html(t, limit=500) for t in report.tables]
    text = "\n".join(parts)
    if level > 1:
        text = re.sub(r"<(/?)h([1-5])\b", lambda m: f"<{m[1]}h{int(m[2]) + level - 1}", text)
    return text


def to_html(report: Report) -> str:
    """A complete, self-contained HTML document."""
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{html.escape(report.title)}</title><style>{_CSS}</style></head>"
            f"<body>{body_html(report)}</body></html>\n")
