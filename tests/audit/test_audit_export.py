"""Export: CSV neutralises formulas, JSON Lines carries verifiable records, and every
export is logged first."""

from __future__ import annotations

import csv
import io
import json

from audit_support import Made

from decision_engine.audit import AccessContext, RecordFilter, Store, export_decisions
from decision_engine.audit.canonical import canonical, sha256_hex
from decision_engine.audit.export import neutralise
from decision_engine.audit.records import hashed_body

ACCESS = AccessContext("auditor", "a-1", "*", "inspection sample")


def test_audit_neutralise_formula_cells() -> None:
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"x\")"):
        assert neutralise(bad) == "'" + bad
    for fine in ("ok", "1", "", " =x", "'=x"):
        assert neutralise(fine) == fine


def _fill(store: Store, decisions: list[Made]) -> list[str]:
    ids = []
    for index, made in enumerate(decisions[:6]):
        ref = store.append_decision(made.decision, made.subject, actor_role="officer",
                                    actor_id="=cmd|' /C calc'!A0" if index == 0 else "o",
                                    service_area=made.service_area)
        ids.append(ref.id)
    first = decisions[0]
    other = "charge" if first.decision.outcome != "charge" else "youth_caution"
    store.append_final(ids[0], other, "-panel departed: +risk @ school", actor_role="panel",
                       actor_id="p", service_area=first.service_area)
    return ids


def test_audit_csv_export(store: Store, decisions: list[Made]) -> None:
    ids = _fill(store, decisions)
    out = io.StringIO()
    assert export_decisions(store, RecordFilter(), "csv", out, ACCESS) == 6
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["record_id"] for r in rows] == ids
    first = rows[0]
    assert first["actor_id"] == "'=cmd|' /C calc'!A0"
    assert first["final_rationale"] == "'-panel departed: +risk @ school"
    assert first["departs_from_recommendation"] == "true"
    assert first["recommended_outcome"] == decisions[0].decision.outcome
    assert json.loads(first["output"]) == json.loads(decisions[0].decision.canonical_json())
    assert rows[1]["final_outcome"] == ""
    for row in rows:
        assert decisions[0].subject.case_reference not in ",".join(row.values())
    access = store.list_records(RecordFilter(kind="access"))
    assert access[-1].detail_obj["action"] == "export"
    assert access[-1].detail_obj["query"]["format"] == "csv"


def test_audit_jsonl_export_is_verifiable(store: Store, decisions: list[Made]) -> None:
    _fill(store, decisions)
    out = io.StringIO()
    north = RecordFilter(service_area="north")
    assert export_decisions(store, north, "jsonl", out, ACCESS) == 3
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    for line in lines:
        record = line["record"]
        assert record["service_area"] == "north" and record["kind"] == "decision"
        # Anyone can recompute the hash from the export with any RFC 8785 encoder.
        body = {k: v for k, v in record.items() if k != "hash"}
        assert sha256_hex(canonical(body)) == record["hash"]
        columns = {**record, **{k: None if record[k] is None else canonical(record[k]).decode()
                                for k in ("input", "output", "detail")}}
        assert hashed_body(columns) == canonical(body)
    assert lines[0]["final"]["kind"] == "final_decision"
