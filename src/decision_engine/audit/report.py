"""Replay reports as a table, CSV or JSON, written while results stream in.

Replays can cover a million decisions, so reported decisions are written as they
arrive instead of being collected; the table keeps only the first few for display.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal, Protocol, TextIO

from decision_engine.audit.export import SafeCSVWriter
from decision_engine.audit.replay import ReplayItem, ReplayReport

ReportFormat = Literal["table", "csv", "json"]

CSV_COLUMNS = ("status", "seq", "decision_id", "pseudonym", "family", "decision_date",
               "recorded_version", "replay_version", "recorded_outcome", "replayed_outcome",
               "path", "change", "recorded", "replayed", "error")


class ReportSink(Protocol):
    def item(self, item: ReplayItem) -> None: ...

    def finish(self, report: ReplayReport) -> None: ...


def _cell(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False)


class CSVSink:
    """One row per differing field (reproduce), per changed case (impact) or per error."""

    def __init__(self, out: TextIO) -> None:
        self.writer = SafeCSVWriter(out)
        self.writer.writerow(CSV_COLUMNS)

    def item(self, item: ReplayItem) -> None:
        head = [item.status, item.seq, item.decision_id, item.pseudonym, item.family,
                item.decision_date, item.recorded_version, item.replay_version,
                item.recorded_outcome, item.replayed_outcome]
        if not item.diffs:
            self.writer.writerow([*head, None, None, None, None, item.error])
        for diff in item.diffs:
            self.writer.writerow([*head, diff.path, diff.change, _cell(diff.recorded),
                                  _cell(diff.replayed), None])

    def finish(self, report: ReplayReport) -> None:
        return None


class JSONSink:
    """``{"items": [...], "summary": {...}}``, the items streamed as they come."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.first = True
        out.write('{"items":[')

    def item(self, item: ReplayItem) -> None:
        self.out.write(("\n" if self.first else ",\n")
                       + json.dumps(item.to_json(), ensure_ascii=False))
        self.first = False

    def finish(self, report: ReplayReport) -> None:
        summary = json.dumps(report.summary_json(), ensure_ascii=False, indent=1)
        self.out.write(f'\n],\n"summary":{summary}}}\n')


class TableSink:
    """A human-readable report; lists the first ``limit`` reported decisions."""

    def __init__(self, out: TextIO, limit: int = 25) -> None:
        self.out = out
        self.limit = limit
        self.items: list[ReplayItem] = []
        self.seen = 0

    def item(self, item: ReplayItem) -> None:
        self.seen += 1
        if len(self.items) < self.limit:
            self.items.append(item)

    def finish(self, report: ReplayReport) -> None:
        self.out.write("\n".join(render_table(report, self.items, self.seen)) + "\n")


def _rows(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return ["  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *rows]]


def render_table(report: ReplayReport, items: list[ReplayItem], seen: int) -> list[str]:
    sel = ", ".join(f"{k}={v}" for k, v in report.selection.items() if k != "kind") or "all"
    rate = report.processed / report.elapsed if report.elapsed else 0.0
    lines = [f"Replay ({report.mode}) of {report.selected:,} decisions [{sel}], engine "
             f"{report.engine}, {report.elapsed:.1f} s ({rate:,.0f}/s)"]
    if report.mode == "reproduce":
        lines += [f"  reproduced  {report.reproduced:,}", f"  differs     {report.differs:,}",
                  f"  errors      {report.errors:,}"]
    else:
        evaluated = report.processed - report.errors
        pct = 100.0 * report.outcome_changed / evaluated if evaluated else 0.0
        lines += [f"  replayed under {report.target_version}; recorded under: "
                  + ", ".join(f"{f} {v} ×{n:,}" for (f, v), n in sorted(report.versions.items())),
                  f"  outcome changed  {report.outcome_changed:,} ({pct:.1f}%)",
                  f"  unchanged        {evaluated - report.outcome_changed:,}",
                  f"  errors           {report.errors:,}", "",
                  "By family and outcome:"]
        rows = [(f, a, b if a != b else "(unchanged)", f"{n:,}")
                for (f, a, b), n in sorted(report.transitions.items())]
        lines += _rows(("family", "recorded", "replayed", "count"), rows)
    if items:
        title = {"reproduce": "Decisions that do not reproduce",
                 "impact": "Cases whose outcome changes"}[report.mode]
        more = f" (first {len(items)} of {seen:,}; --format csv/json lists all)" \
            if seen > len(items) else ""
        lines += ["", f"{title}{more}:"]
        for it in items:
            lines.append(f"  seq {it.seq}  {it.decision_id}  pseudonym {it.pseudonym or '-'}  "
                         f"{it.family} {it.decision_date} {it.recorded_version}")
            if it.status == "error":
                lines.append(f"      error: {it.error}")
            elif it.status == "changed":
                lines.append(f"      {it.recorded_outcome} → {it.replayed_outcome} "
                             f"(under {it.replay_version})")
            for diff in it.diffs[:10]:
                lines.append(f"      {diff.path}: {_cell(diff.recorded) or '(absent)'} → "
                             f"{_cell(diff.replayed) or '(absent)'}")
            if len(it.diffs) > 10:
                lines.append(f"      … {len(it.diffs) - 10} more fields")
    return lines


def make_sink(fmt: ReportFormat, out: TextIO) -> ReportSink:
    if fmt == "csv":
        return CSVSink(out)
    if fmt == "json":
        return JSONSink(out)
    return TableSink(out)
