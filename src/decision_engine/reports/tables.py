"""Tables every report builds the same way: outcomes by group with rates and indices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from decision_engine.reports.model import Chart, Table
from decision_engine.reports.source import NOT_RECORDED
from decision_engine.reports.stats import cell, rate_index

RATE_COLUMNS = ["group", "outcome", "count", "total", "rate", "rri", "ci95_low", "ci95_high",
                "reference_group"]


def choose_reference(totals: Mapping[str, int], asked: str | None) -> str | None:
    """The reference group: the one asked for, else the largest recorded group."""
    if asked is not None:
        return asked
    known = [(n, g) for g, n in totals.items() if g != NOT_RECORDED]
    return max(known)[1] if known else None


def ordered_groups(totals: Mapping[str, int], reference: str | None) -> list[str]:
    """The reference first, then the others by name, "not recorded" last."""
    rest = sorted(g for g in totals if g not in (reference, NOT_RECORDED))
    head = [reference] if reference is not None and reference in totals else []
    tail = [NOT_RECORDED] if NOT_RECORDED in totals and reference != NOT_RECORDED else []
    return [*head, *rest, *tail]


def rate_table(name: str, title: str, counts: Mapping[str, Counter[str]],
               totals: Mapping[str, int], outcomes: Sequence[str], reference: str | None,
               threshold: int, note: str = "") -> Table:
    """One row per group and outcome: count, group total, rate and RRI with its 95% CI."""
    table = Table(name, title, list(RATE_COLUMNS), note=note)
    ref_total = totals.get(reference or "", 0)
    ref_counts = counts.get(reference or "", Counter())
    for group in ordered_groups(totals, reference):
        for outcome in outcomes:
            figures = rate_index(counts.get(group, Counter())[outcome], totals[group],
                                 ref_counts[outcome], ref_total, threshold)
            j = figures.to_json()
            is_ref = group == reference
            table.rows.append([group, outcome, j["count"], j["total"], j["rate"],
                               1.0 if is_ref and j["rate"] is not None else j["rri"],
                               None if is_ref else j["ci95_low"],
                               None if is_ref else j["ci95_high"], reference])
    return table


def totals_table(name: str, title: str, totals: Mapping[str, int], reference: str | None,
                 threshold: int) -> Table:
    table = Table(name, title, ["group", "decisions"])
    for group in ordered_groups(totals, reference):
        table.rows.append([group, cell(totals[group], threshold).to_json()])
    return table


def rate_chart(table: Table, title: str, outcomes: Iterable[str] | None = None) -> Chart:
    """Rates from a :func:`rate_table`: one series per outcome, one bar per group."""
    wanted = list(outcomes) if outcomes is not None else None
    labels: list[str] = []
    series: dict[str, list[float | None]] = {}
    for group, *_rest in table.rows:
        if group not in labels:
            labels.append(group)
    for group, outcome, _c, _t, rate, *_rest in table.rows:
        if wanted is not None and outcome not in wanted:
            continue
        values = series.setdefault(outcome, [None] * len(labels))
        values[labels.index(group)] = None if rate is None else round(100 * rate, 2)
    return Chart(title, labels, series, y_title="% of the group's decisions")


def count_by(items: Iterable[tuple[str, str, int]]) -> tuple[dict[str, Counter[str]],
                                                             dict[str, int]]:
    """(group, key, n) triples → per-group counters and per-group totals."""
    counts: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    for group, key, n in items:
        counts.setdefault(group, Counter())[key] += n
        totals[group] += n
    return counts, dict(totals)
