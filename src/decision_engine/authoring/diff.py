"""``decision-engine diff FAMILY V1 V2``: what changed between two versions, and which
cases it changes.

The structural part compares the documents (outcomes, resolution, monitoring, sources,
inputs, consults, parameters, table rows, derived facts, rules, outputs, properties).
The semantic part enumerates one reduced domain that both versions' reads refine (so a
class means the same under each), evaluates both on every class at the same decision
date, and lists the classes whose outcome changes as readable patterns.
Given a store, recorded decisions under V1 are re-evaluated under V2 and counted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from decision_engine.authoring import domain as dom
from decision_engine.authoring.evaluate import compiled, evaluate
from decision_engine.authoring.patterns import Described, describe
from decision_engine.authoring.prove import MAX_CASES
from decision_engine.policy import model as m


@dataclass
class Change:
    kind: str  # outcome | resolution | monitoring | document | input | consult |
    #             parameter | table | table-row | derived | rule | output | property
    name: str
    what: str  # added | removed | changed
    detail: str = ""

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "what": self.what, "detail": self.detail}


@dataclass
class Flow:
    """Cases whose outcome goes from ``before`` to ``after``."""

    before: str
    after: str
    count: int
    patterns: list[Described]


@dataclass
class Diff:
    family: str
    v1: str
    v2: str
    changes: list[Change] = field(default_factory=list)
    cases: int = 0
    changed: int = 0
    flows: list[Flow] = field(default_factory=list)
    refused: str | None = None
    recorded: dict[str, int] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "family": self.family, "from": self.v1, "to": self.v2,
            "changes": [c.as_json() for c in self.changes],
            "reduced_cases": self.cases, "changed_cases": self.changed,
            "refused": self.refused,
            "flows": [{"from": f.before, "to": f.after, "cases": f.count,
                       "patterns": [{"cases": p.count, "pattern": p.text} for p in f.patterns]}
                      for f in self.flows],
            "recorded_decisions": self.recorded,
        }


    def lines(self, limit: int = 20) -> list[str]:
        """The diff for a reader (``decision-engine diff`` and the approval gate)."""
        out = [f"{self.family}: {self.v1} → {self.v2}", f"Changes ({len(self.changes)}):"]
        out += [f"  {c.what:<8} {c.kind:<10} {c.name}" + (f"  ({c.detail})" if c.detail
                                                           else "") for c in self.changes]
        if self.refused:
            out.append(f"Cases: not enumerated: {self.refused}")
        else:
            out.append(f"Cases: {self.changed:,} of {self.cases:,} reduced cases change "
                       "outcome")
            for flow in self.flows:
                out.append(f"  {flow.before} → {flow.after}: {flow.count:,} case(s)")
                out += [f"    - {p.text}" for p in flow.patterns[:limit]]
                if len(flow.patterns) > limit:
                    out.append(f"    … {len(flow.patterns) - limit} more pattern(s) (--limit)")
        if self.recorded is not None:
            r = self.recorded
            out.append(f"Recorded decisions under {self.v1}: {r['decisions']:,}; "
                       f"{r['outcome_changes']:,} would change outcome under {self.v2}; "
                       f"{r['refused_by_new_version']:,} refused by {self.v2}")
        return out


def _dump(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _keyed(kind: str, a: Mapping[str, Any], b: Mapping[str, Any],
           changes: list[Change]) -> None:
    for name in a:
        if name not in b:
            changes.append(Change(kind, name, "removed"))
        elif _dump(a[name]) != _dump(b[name]):
            fields = ""
            if isinstance(a[name], BaseModel) and isinstance(b[name], BaseModel):
                da = a[name].model_dump(mode="json", by_alias=True)
                db = b[name].model_dump(mode="json", by_alias=True)
                fields = ", ".join(k for k in da if _dump(da[k]) != _dump(db.get(k)))
            elif isinstance(a[name], dict) and isinstance(b[name], dict):
                fields = ", ".join(sorted(k for k in {*a[name], *b[name]}
                                          if _dump(a[name].get(k)) != _dump(b[name].get(k))))
            changes.append(Change(kind, name, "changed", fields))
    changes.extend(Change(kind, name, "added") for name in b if name not in a)


def structural(p1: m.Policy, p2: m.Policy) -> list[Change]:
    changes: list[Change] = []
    if p1.outcomes != p2.outcomes:
        changes.append(Change("outcome", "outcomes", "changed",
                              f"{p1.outcomes} → {p2.outcomes}"))
    if p1.resolution != p2.resolution:
        changes.append(Change("resolution", "resolution", "changed"))
    if p1.monitoring != p2.monitoring:
        changes.append(Change("monitoring", "monitoring", "changed",
                              f"{p1.monitoring} → {p2.monitoring}"))
    _keyed("document", p1.documents, p2.documents, changes)
    _keyed("input", p1.inputs, p2.inputs, changes)
    _keyed("consult", p1.consults, p2.consults, changes)
    _keyed("parameter", p1.parameters, p2.parameters, changes)
    for tname in sorted({*p1.tables, *p2.tables}):
        if tname not in p2.tables or tname not in p1.tables:
            changes.append(Change("table", tname, "removed" if tname in p1.tables else "added"))
            continue
        rows: list[Change] = []
        _keyed("table-row", p1.tables[tname].rows, p2.tables[tname].rows, rows)
        for c in rows:
            c.name = f"{tname}.{c.name}"
        changes.extend(rows)
    _keyed("derived", p1.derived, p2.derived, changes)
    _keyed("rule", {r.id: r for r in p1.rules}, {r.id: r for r in p2.rules}, changes)
    _keyed("output", p1.outputs, p2.outputs, changes)
    _keyed("property", {p.id: p for p in p1.properties}, {p.id: p for p in p2.properties},
           changes)
    return changes


def semantic(out: Diff, p1: m.Policy, p2: m.Policy, window: dom.Window) -> None:
    """Fill the changed-case flows over a domain both versions' reads refine."""
    r1 = dom.reads(p1, rules=dom.outcome_rules(p1))
    extra = {k: v for k, v in r1.items() if k in p2.inputs or k == dom.DECISION_DATE}
    d = dom.build(p2, window, extra=extra, rules=dom.outcome_rules(p2), limit=MAX_CASES)
    if d.refused or d.size > MAX_CASES:
        out.refused = "; ".join(d.refused) or (f"{d.size:,} reduced cases exceed the limit "
                                               f"of {MAX_CASES:,}")
        return
    c1, c2 = compiled(p1), compiled(p2)
    exposed1 = {f for c in p1.consults.values() for f in c.expose}
    flows: dict[tuple[str, str], list[tuple[int, tuple[int, ...]]]] = {}
    for case in d.cases():
        out.cases += 1
        after = evaluate(c2, case.facts, case.day).outcome
        try:
            mine = c1.validate({k: v for k, v in case.facts.items() if k in p1.inputs})
            mine.update({k: v for k, v in case.facts.items() if k in exposed1})
            before = evaluate(c1, mine, case.day).outcome
        except Exception:  # a value V1 did not accept (e.g. a new offence row)
            before = f"(not accepted by {p1.version})"
        if before != after:
            out.changed += 1
            flows.setdefault((before, after), []).append((case.date, case.index))
    for (before, after), cases in sorted(flows.items(), key=lambda kv: -len(kv[1])):
        out.flows.append(Flow(before, after, len(cases), describe(d, cases)))


def diff(registry: Any, family: str, v1: str, v2: str) -> Diff:
    a, b = registry.get(family, v1), registry.get(family, v2)
    from decision_engine.authoring.prove import load_side

    p1, _, _ = load_side(a.policy, a.path)
    p2, _, _ = load_side(b.policy, b.path)
    out = Diff(family, v1, v2, structural(p1, p2))
    starts = [a.entry.effective_from, b.entry.effective_from]
    ends = [a.entry.effective_to, b.entry.effective_to]
    end = None if None in ends else max(e for e in ends if e is not None)
    semantic(out, p1, p2, dom.registry_window(registry, min(starts), end))
    return out


def recorded_changes(store: Any, registry: Any, family: str, v1: str, v2: str,
                     policies_root: str | None = None) -> dict[str, int]:
    """Recorded decisions under V1 re-evaluated under V2 (fast evaluator, consults and
    all): how many there are, how many change outcome, how many V2 refuses."""
    from decision_engine.audit.records import RecordFilter
    from decision_engine.audit.replay import consulted_versions, core_evaluator
    from decision_engine.engine.decision import DECISION_FORMAT
    from decision_engine.errors import DecisionEngineError

    run = core_evaluator(policies_root, "fast")
    counts = {"decisions": 0, "outcome_changes": 0, "refused_by_new_version": 0}
    for rec in store.iter_records(RecordFilter(kind="decision", family=family,
                                               policy_version=v1)):
        counts["decisions"] += 1
        facts = json.loads(rec.input or "{}")
        try:
            new = run(family, facts, dt.date.fromisoformat(str(rec.decision_date)), v2,
                      DECISION_FORMAT, consulted_versions(rec.output or "{}"))
        except DecisionEngineError:
            counts["refused_by_new_version"] += 1
            continue
        if new.outcome != rec.outcome:
            counts["outcome_changes"] += 1
    return counts
