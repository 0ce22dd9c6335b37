"""Replay: recorded decisions reproduce byte-for-byte; changes show as JSON-path diffs;
another version gives an impact report by family and outcome."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from audit_support import Made, RawDecision, decision_json

from decision_engine.audit import (
    AccessContext,
    RecordFilter,
    ReplayOptions,
    ReplayReport,
    Store,
    replay,
)
from decision_engine.audit.diff import FieldDiff, json_diff
from decision_engine.audit.replay import ReplayItem

ACCESS = AccessContext("auditor", "a-1", "*", "quarterly reproducibility audit")


def _fill(store: Store, decisions: list[Made]) -> None:
    for made in decisions:
        store.append_decision(made.decision, made.subject, actor_role="officer",
                              actor_id="o", service_area=made.service_area)


def _run(store: Store, flt: RecordFilter = RecordFilter(), **options: Any,
         ) -> tuple[ReplayReport, list[ReplayItem]]:
    items: list[ReplayItem] = []
    report = replay(store, flt, ReplayOptions(**options), ACCESS, on_item=items.append,
                    progress=False)
    return report, items


def test_audit_every_recorded_decision_reproduces(store: Store, decisions: list[Made]) -> None:
    _fill(store, decisions)
    report, items = _run(store)
    assert (report.selected, report.reproduced, report.differs, report.errors) == (
        len(decisions), len(decisions), 0, 0)
    assert report.ok and items == []
    versions = {v for (_, v) in report.versions}
    assert len(versions) >= 2  # the sample spans several policy versions
    access = store.list_records(RecordFilter(kind="access"))
    assert access[-1].detail_obj["action"] == "replay"
    assert access[-1].detail_obj["justification"] == ACCESS.justification


def test_audit_replay_with_durable_engine_and_filters(store: Store,
                                                     decisions: list[Made]) -> None:
    _fill(store, decisions[:10])
    report, _ = _run(store, engine="durable")
    assert report.reproduced == 10 and report.ok
    north, _ = _run(store, RecordFilter(service_area="north"))
    assert north.selected == 5
    day = sorted(m.decision.decision_date for m in decisions[:10])[4]
    since, _ = _run(store, RecordFilter(date_from=day))
    assert since.selected == sum(m.decision.decision_date >= day for m in decisions[:10])


def test_audit_replay_names_the_fields_that_differ(store: Store,
                                                   decisions: list[Made]) -> None:
    made = decisions[0]
    data = decision_json(made)
    data["outcome"] = "charge" if data["outcome"] != "charge" else "no_further_action"
    data["warnings"] = [*data["warnings"], "a warning the engine no longer gives"]
    ref = store.append_decision(RawDecision(data), made.subject, actor_role="officer",
                                actor_id="o", service_area="north")
    _fill(store, decisions[1:4])
    report, items = _run(store)
    assert (report.reproduced, report.differs) == (3, 1) and not report.ok
    (item,) = items
    assert item.status == "differs" and item.decision_id == ref.id and item.seq == 1
    assert item.recorded_outcome == data["outcome"]
    assert item.replayed_outcome == made.decision.outcome
    paths = {d.path: d for d in item.diffs}
    assert paths["$.outcome"] == FieldDiff("$.outcome", "changed", data["outcome"],
                                           made.decision.outcome)
    assert paths[f"$.warnings[{len(data['warnings']) - 1}]"].change == "removed"


def test_audit_impact_report_under_another_version(store: Store,
                                                   decisions: list[Made]) -> None:
    from decision_engine.engine import evaluate

    _fill(store, decisions)
    report, items = _run(store, target_version="acpo-2013")
    assert report.mode == "impact" and report.processed == len(decisions)
    expected: dict[tuple[str, str, str], int] = {}
    changed = set()
    for made in decisions:
        new = evaluate("gravity-matrix", made.decision.input, made.decision.decision_date,
                       "acpo-2013", engine="fast").outcome
        key = ("gravity-matrix", made.decision.outcome, new)
        expected[key] = expected.get(key, 0) + 1
        if new != made.decision.outcome:
            changed.add(made.decision.outcome + "→" + new)
    assert dict(report.transitions) == expected
    assert report.outcome_changed == sum(n for (_, a, b), n in expected.items() if a != b)
    assert len(items) == report.outcome_changed
    assert {f"{i.recorded_outcome}→{i.replayed_outcome}" for i in items} == changed
    assert all(i.replay_version == "acpo-2013" and i.pseudonym for i in items)
    summary = report.summary_json()
    assert summary["outcome_changed"] == report.outcome_changed
    assert sum(t["count"] for t in summary["transitions"]) == len(decisions)


def test_audit_replay_reports_evaluation_errors(store: Store, decisions: list[Made]) -> None:
    _fill(store, decisions[:3])
    report, items = _run(store, target_version="no-such-version")
    assert report.errors == 3 and not report.ok
    assert all(i.status == "error" and i.error for i in items)


def test_audit_replay_in_worker_processes(store: Store, decisions: list[Made],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("decision_engine.audit.replay")
    _fill(store, decisions)
    monkeypatch.setattr(module, "_IN_PROCESS_BELOW", 0)
    report, _items = _run(store, workers=2, chunk=7)
    assert (report.processed, report.reproduced, report.differs) == (40, 40, 0)
    impact, changes = _run(store, workers=2, chunk=7, target_version="npcc-2025")
    serial, serial_changes = _run(store, workers=1, target_version="npcc-2025")
    assert impact.transitions == serial.transitions
    assert [c.seq for c in changes] == [c.seq for c in serial_changes]


def test_audit_json_diff_paths_and_types() -> None:
    assert json_diff({"a": [1, {"b": True}]}, {"a": [1, {"b": 1}]}) == [
        FieldDiff("$.a[1].b", "changed", True, 1)]
    assert json_diff({"x-y": 1, "k": 1}, {"k": 1, "n": 2}) == [
        FieldDiff("$.n", "added", None, 2), FieldDiff("$['x-y']", "removed", 1, None)]
    assert json_diff([1, 2], [1]) == [FieldDiff("$[1]", "removed", 2, None)]
    assert json_diff({"a": 1}, {"a": {"b": 1}}) == [FieldDiff("$.a", "changed", 1, {"b": 1})]
    assert json_diff({"a": 1.0}, {"a": 1}) == []  # the same canonical JSON
    assert json.dumps([d.to_json() for d in json_diff(1, 2)])


def test_consulted_versions_reads_the_policy_entries_of_a_stored_output() -> None:
    """Pins come from provenance entries of kind ``policy``; an output without one is not
    parsed at all (the quick check must not miss an entry, nor invent one)."""
    from decision_engine.audit.canonical import canonical
    from decision_engine.audit.replay import consulted_versions

    entry = {"kind": "policy", "name": "gravity-matrix@npcc-2025-r4", "verified": True}
    table = {"kind": "table", "name": "offences", "verified": True}
    with_entry = canonical({"outcome": "charge", "provenance": [table, entry]})
    without = canonical({"outcome": "charge", "provenance": [table],
                         "input": {"note": 'a "kind": "policy" in text'}})
    assert consulted_versions(with_entry) == {"gravity-matrix": "npcc-2025-r4"}
    assert consulted_versions(with_entry.decode()) == {"gravity-matrix": "npcc-2025-r4"}
    assert consulted_versions(without) == {}
