"""The court officer's pathway check: refer-backs by group and by the checklist item that
was missed (the rules that sent the case back: ``refer_back_rules`` in the report index)."""

from __future__ import annotations

from collections import Counter

from decision_engine.policy.registry import Registry
from decision_engine.reports.disproportionality import ladder
from decision_engine.reports.model import Report, Scope, Table
from decision_engine.reports.source import Reader
from decision_engine.reports.stats import METHOD, cell
from decision_engine.reports.tables import (
    choose_reference,
    count_by,
    rate_chart,
    rate_table,
    totals_table,
)

FAMILY = "oocd-pathways"
REFER_BACK = ("refer_back_cps", "refer_back_police")


def item_code(rule: str) -> str:
    """``c3-admitted-nothing-considered`` → ``C3`` (the checklist item)."""
    head = rule.split("-", 1)[0]
    return head.upper() if head[:1] == "c" and head[1:].isdigit() else rule


def build(reader: Reader, registry: Registry, scope: Scope) -> Report:
    groups = reader.groups(FAMILY)
    by, th = scope.group_by, scope.threshold
    counts, totals = count_by((g.group(by), g.outcome, g.count) for g in groups)
    reference = choose_reference(totals, scope.reference)
    outcomes = ladder(registry, FAMILY, {g.outcome for g in groups})
    report = Report("refer-backs", "Court pathway check: refer-backs", scope,
                    sorted({g.version for g in groups}), reader.through_seq,
                    sum(g.count for g in groups), METHOD)
    report.tables.append(totals_table("groups", f"Cases checked by {by}", totals,
                                      reference, th))
    table = rate_table("by_group", "Result of the check by group", counts, totals, outcomes,
                       reference, th)
    report.tables.append(table)
    report.charts.append(rate_chart(table, "Refer-backs: % of each group's cases",
                                    REFER_BACK))
    items: Counter[str] = Counter()
    items_by_group: dict[str, Counter[str]] = {}
    for g in groups:
        for rule in g.facts.get("refer_back_rules", ()) if g.outcome in REFER_BACK else ():
            items[rule] += g.count
            items_by_group.setdefault(g.group(by), Counter())[rule] += g.count
    refer_backs = sum(counts.get(g, Counter())[o] for g in totals for o in REFER_BACK)
    item_table = Table("missed_items", "Refer-backs by the checklist item missed",
                       ["item", "rule", "refer_backs", "share_of_refer_backs"],
                       note="A refer-back can miss more than one item, so the shares can add "
                            "up to more than 1.")
    for rule, n in sorted(items.items(), key=lambda kv: (-kv[1], kv[0])):
        shown = cell(n, th)
        item_table.rows.append([item_code(rule), rule, shown.to_json(),
                                None if shown.suppressed or not refer_backs
                                else round(n / refer_backs, 4)])
    report.tables.append(item_table)
    by_group = Table("missed_items_by_group", f"Items missed by {by}",
                     ["group", "item", "rule", "refer_backs"])
    for group in sorted(items_by_group):
        for rule, n in sorted(items_by_group[group].items()):
            by_group.rows.append([group, item_code(rule), rule, cell(n, th).to_json()])
    report.tables.append(by_group)
    return report

