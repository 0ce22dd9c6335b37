"""Departures: how often the panel's final outcome differed from the recommendation, in
which direction on the family's outcome ladder, by group and by recommended outcome,
with the rationales to read (never the child's identifiers or pseudonym)."""

from __future__ import annotations

import json
from collections import Counter

from decision_engine.policy.registry import Registry
from decision_engine.reports.disproportionality import ladder
from decision_engine.reports.model import Report, Scope, Table
from decision_engine.reports.source import Reader
from decision_engine.reports.stats import METHOD, cell
from decision_engine.reports.tables import choose_reference, rate_chart, rate_table, totals_table

RATIONALES_SHOWN = 500
"""Most rationales listed (the newest first)."""

KINDS = ["departed", "more_severe", "less_severe"]


def direction(order: list[str], recommended: str, final: str) -> str:
    """``same``, ``more_severe`` or ``less_severe`` on the outcome ladder *order*."""
    if final == recommended:
        return "same"
    if recommended in order and final in order:
        return "more_severe" if order.index(final) > order.index(recommended) else "less_severe"
    return "departed"


def build(reader: Reader, registry: Registry, scope: Scope) -> Report:
    family = scope.family or "gravity-matrix"
    groups = reader.groups(family)
    order = ladder(registry, family, {g.outcome for g in groups}
                   | {g.final for g in groups if g.final})
    by = scope.group_by
    th = scope.threshold
    counts: dict[str, Counter[str]] = {}
    finals: Counter[str] = Counter()
    by_rec: dict[str, Counter[str]] = {}
    moves: Counter[tuple[str, str]] = Counter()
    for g in groups:
        if g.final is None:
            continue
        group = g.group(by)
        finals[group] += g.count
        rec = by_rec.setdefault(g.outcome, Counter())
        rec["finals"] += g.count
        way = direction(order, g.outcome, g.final)
        if way == "same":
            continue
        moves[(g.outcome, g.final)] += g.count
        for key in ("departed", way):
            counts.setdefault(group, Counter())[key] += g.count
            rec[key] += g.count
    reference = choose_reference(dict(finals), scope.reference)
    report = Report("departures", f"Departures from the recommendation: {family}", scope,
                    sorted({g.version for g in groups}), reader.through_seq,
                    sum(g.count for g in groups), METHOD)
    report.tables.append(totals_table("finals", f"Decisions with a final outcome, by {by}",
                                      dict(finals), reference, th))
    table = rate_table("by_group", "Departures by group (of decisions with a final outcome)",
                       counts, dict(finals), KINDS, reference, th,
                       note="more_severe / less_severe: the final outcome is higher / lower "
                            "on the outcome ladder (" + " < ".join(order) + ").")
    report.tables.append(table)
    report.charts.append(rate_chart(table, "Departures: % of each group's final outcomes"))
    rec_table = Table("by_recommended", "Departures by recommended outcome",
                      ["recommended", "finals", "departed", "more_severe", "less_severe"])
    for outcome in order:
        if outcome in by_rec:
            c = by_rec[outcome]
            rec_table.rows.append([outcome, *(cell(c[k], th).to_json()
                                              for k in ("finals", *KINDS))])
    report.tables.append(rec_table)
    moved = Table("transitions", "Recommended → final outcome",
                  ["recommended", "final", "direction", "count"])
    for (was, fin), n in sorted(moves.items(), key=lambda kv: (order.index(kv[0][0])
                                                               if kv[0][0] in order else 99,
                                                               kv[0][1])):
        moved.rows.append([was, fin, direction(order, was, fin), cell(n, th).to_json()])
    report.tables.append(moved)
    report.tables.append(_rationales(reader, family, order))
    report.notes.append("A decision counts once, by its current final outcome (the latest "
                        "final decision recorded for it).")
    if not finals:
        report.notes.append("No final outcomes recorded in this period.")
    return report


def _rationales(reader: Reader, family: str, order: list[str]) -> Table:
    table = Table("rationales", f"Rationales for departures (newest first, up to "
                  f"{RATIONALES_SHOWN})",
                  ["decision_date", "policy_version", "recommended", "final", "direction",
                   "rationale"],
                  note="The panel's own words, as recorded with the final decision; the "
                       "store refuses a rationale holding the case's identifiers.")
    for day, version, rec, fin, detail in reader.rows(
            family, ["r.decision_date", "r.policy_version", "r.outcome", "r.final_outcome",
                     "f.detail"], "r.final_outcome IS NOT NULL AND r.final_outcome <> r.outcome",
            limit=RATIONALES_SHOWN):
        rationale = json.loads(detail).get("rationale") if detail else None
        table.rows.append([day, version, rec, fin, direction(order, rec, fin), rationale])
    return table
