"""Disproportionality: outcomes by monitoring group, with rates and relative rate indices.

For any family: the recommended outcome and the outcome that stands (the panel's final
one where recorded) by group. For the gravity matrix also how often a charge was chosen
where an out-of-court outcome was open. The data come from the audit store only; the
monitoring data are never rule inputs (``tests/reports/test_monitoring_never_decides``).
"""

from __future__ import annotations

from collections import Counter

from decision_engine.policy.registry import Registry
from decision_engine.reports.model import Report, Scope, Table
from decision_engine.reports.source import Group, Reader
from decision_engine.reports.stats import METHOD
from decision_engine.reports.tables import (
    choose_reference,
    count_by,
    rate_chart,
    rate_table,
    totals_table,
)

GRAVITY = "gravity-matrix"
CHARGE = "charge"
OUT_OF_COURT = ("community_resolution", "youth_caution", "youth_conditional_caution")
"""Gravity-matrix outcomes that are out-of-court disposals (between NFA and charge)."""


def ladder(registry: Registry, family: str, seen: set[str]) -> list[str]:
    """The family's outcomes, least to most severe (the newest version's order), then any
    recorded outcome no version lists any more."""
    order: list[str] = []
    for pv in registry.versions(family):
        for outcome in pv.policy.outcomes:
            if outcome not in order:
                order.append(outcome)
    return order + sorted(seen - set(order))


def build(reader: Reader, registry: Registry, scope: Scope) -> Report:
    family = scope.family or GRAVITY
    groups = reader.groups(family)
    by = scope.group_by
    recommended, totals = count_by((g.group(by), g.outcome, g.count) for g in groups)
    standing, _ = count_by((g.group(by), g.current, g.count) for g in groups)
    reference = choose_reference(totals, scope.reference)
    outcomes = ladder(registry, family, {g.current for g in groups} | {g.outcome for g in groups})
    th = scope.threshold
    report = Report(
        "disproportionality", f"Disproportionality: {family} outcomes by {by}", scope,
        sorted({g.version for g in groups}), reader.through_seq,
        sum(g.count for g in groups), METHOD)
    report.tables.append(totals_table("groups", f"Decisions by {by}", totals, reference, th))
    rec = rate_table("recommended", "Recommended outcome by group", recommended, totals,
                     outcomes, reference, th)
    final = rate_table("final", "Outcome that stands (the panel's final outcome where "
                       "recorded, else the recommendation) by group", standing, totals,
                       outcomes, reference, th)
    report.tables += [rec, final]
    report.charts.append(rate_chart(rec, "Recommended outcome: % of each group"))
    report.charts.append(rate_chart(final, "Outcome that stands: % of each group"))
    if family == GRAVITY:
        report.tables.append(_charge_where_open(groups, by, reference, th))
        report.charts.append(rate_chart(report.tables[-1], "Charged although an "
                                        "out-of-court outcome was open: % of each group"))
    if reference is None:
        report.notes.append("No decisions in this period: nothing to compare.")
    else:
        report.notes.append(f"Reference group: {reference}"
                            + ("" if scope.reference else " (the largest group)") + ".")
    return report


def oocd_open(g: Group) -> bool:
    """An out-of-court outcome was open: the recommendation is one, or one was available."""
    return g.outcome in OUT_OF_COURT or any(o in OUT_OF_COURT
                                            for o in g.facts.get("available", ()))


def _charge_where_open(groups: list[Group], by: str, reference: str | None,
                       threshold: int) -> Table:
    charged: dict[str, Counter[str]] = {}
    totals: Counter[str] = Counter()
    for g in groups:
        if not oocd_open(g):
            continue
        group = g.group(by)
        totals[group] += g.count
        if g.current == CHARGE:
            charged.setdefault(group, Counter())[CHARGE] += g.count
    return rate_table(
        "charge_where_oocd_open", "Charge chosen where an out-of-court outcome was open",
        charged, dict(totals), [CHARGE], reference, threshold,
        note="Of the decisions where the gravity matrix left an out-of-court outcome open "
             "(community resolution, youth caution or youth conditional caution), how many "
             "ended in a charge (the final outcome where recorded, else the recommendation).")
