"""Decision formats: every decision records the format it was written in (and the engine
version), and replay re-makes it in that format, byte for byte.

``fixtures/format-1.sqlite`` was written by main at ce7aef6, before formats were
numbered: the bundled examples decided on several dates per family (every version of
every family that an example fits), recorded with ``Store.append_decision``, plus one
final decision. Its decision records have ``detail = {}``. It must replay forever.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from audit_support import Made, RawDecision, decision_json

from decision_engine.audit import AccessContext, RecordFilter, ReplayOptions, Store, replay
from decision_engine.audit.replay import ReplayItem
from decision_engine.audit.store import open_store
from decision_engine.engine.decision import DECISION_FORMAT, ENGINE_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / "format-1.sqlite"
ACCESS = AccessContext("auditor", "a-1", "*", "decision format replay check")


@pytest.fixture
def format1_store(tmp_path: Path) -> Store:
    copy = tmp_path / "format-1.sqlite"
    shutil.copyfile(FIXTURE, copy)
    return open_store(f"sqlite:///{copy}")  # migrates it to the current schema


@pytest.mark.parametrize("engine", ["fast", "durable"])
def test_a_store_written_in_format_1_still_replays_byte_for_byte(format1_store: Store,
                                                                 engine: str) -> None:
    with format1_store as store:
        records = store.list_records(RecordFilter(kind="decision"), limit=1000)
        assert len(records) == 25
        assert {r.detail for r in records} == {"{}"}  # written before formats were numbered
        assert all('"format"' not in str(r.output)[:2000] for r in records)
        assert len({(r.family, r.policy_version) for r in records}) >= 8
        assert store.verify().ok
        report = replay(store, RecordFilter(), ReplayOptions(engine=engine),  # type: ignore[arg-type]
                        ACCESS, progress=False)
        assert (report.selected, report.reproduced, report.differs, report.errors) == (
            25, 25, 0, 0)


def test_new_decisions_record_their_format_and_the_engine_version(
        store: Store, decisions: list[Made]) -> None:
    made = decisions[0]
    ref = store.append_decision(made.decision, made.subject, actor_role="officer",
                                actor_id="o", service_area="north")
    (record,) = [r for r in store.list_records(RecordFilter(kind="decision")) if r.id == ref.id]
    assert record.detail_obj == {"decision_format": DECISION_FORMAT,
                                 "engine_version": ENGINE_VERSION}
    assert ENGINE_VERSION and ENGINE_VERSION != "unknown"
    assert store.verify().ok


def test_a_format_this_engine_does_not_write_is_a_replay_error_that_names_it(
        store: Store, decisions: list[Made]) -> None:
    data = decision_json(decisions[0])
    data["format"] = 99
    store.append_decision(RawDecision(data), decisions[0].subject, actor_role="officer",
                          actor_id="o", service_area="north")
    (record,) = store.list_records(RecordFilter(kind="decision"))
    assert json.loads(record.detail)["decision_format"] == 99
    items: list[ReplayItem] = []
    report = replay(store, RecordFilter(), ReplayOptions(), ACCESS, on_item=items.append,
                    progress=False)
    assert report.errors == 1 and not report.ok
    assert "decision format 99" in str(items[0].error)


def test_a_format_1_decision_has_no_format_member(decisions: list[Made]) -> None:
    from decision_engine.engine import evaluate

    made = decisions[0]
    d = made.decision
    again = evaluate(d.policy.family, d.input, d.decision_date, d.policy.version, fmt=1)
    assert "format" not in json.loads(again.canonical_json())
    assert again.format == 1
    with pytest.raises(ValueError, match="decision format 0"):
        evaluate(d.policy.family, d.input, d.decision_date, d.policy.version, fmt=0)
