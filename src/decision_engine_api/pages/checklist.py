"""The court officer's checklist: each item of the out-of-court pathway check, met or
missed, with the reasons its rules gave.

The pathways policies number their rules by checklist item (``c13-knife-possession``,
``c13-guidance-route-missed``), so the items are read from the policy itself: a new
version with a new item needs no change here. An item is

- **missed** when one of its rules that fired refers the case back (police or CPS);
- **noted** when one of its rules that fired asks for a note for the defence;
- **met** when its rules fired without either, or when it has only "missed" rules and
  none fired;
- **does not apply** when it has a rule saying it applies (one that only flags) and that
  rule did not fire (e.g. the looked-after protocol for a child not in care).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from decision_engine.engine.decision import Decision
from decision_engine.policy import model as m

_ITEM = re.compile(r"^c(\d+)-")


@dataclass(frozen=True)
class ChecklistItem:
    number: int
    title: str
    status: str  # missed | noted | met | does not apply
    reasons: list[tuple[str, str]]  # (rule id, reason text) of the item's rules that fired


def checklist(policy: m.Policy, decision: Decision) -> list[ChecklistItem]:
    """The checklist for a decision made under ``policy``; empty when the policy's rules
    are not numbered by checklist item (every family but the pathways check)."""
    groups: dict[int, list[m.Rule]] = {}
    for rule in policy.rules:
        found = _ITEM.match(rule.id)
        if found is None:
            return []
        groups.setdefault(int(found.group(1)), []).append(rule)
    fired = {r.rule: r.text for r in decision.reasons}
    items = []
    for number, rules in sorted(groups.items()):
        hits = [r for r in rules if r.id in fired]
        indicated = {r.indicate for r in hits if r.indicate}
        if any(o.startswith("refer_back") for o in indicated):
            status = "missed"
        elif "note_for_defence" in indicated:
            status = "noted"
        elif hits or all(r.indicate for r in rules):
            status = "met"
        else:
            status = "does not apply"
        items.append(ChecklistItem(number, _title(number, rules), status,
                                   [(r.id, fired[r.id]) for r in hits]))
    return items


def _title(number: int, rules: list[m.Rule]) -> str:
    """The item's name from its flag (``c13_knife_possession`` → "knife possession"), or
    from its first rule's id when no rule of the item flags."""
    prefix = f"c{number}_"
    for rule in rules:
        for flag in rule.flag or []:
            if flag.startswith(prefix):
                return flag.removeprefix(prefix).replace("_", " ")
    return rules[0].id.split("-", 1)[1].replace("-", " ")
