"""The report index is a faithful, derived copy: written at append (and by each final
decision), equal to one rebuilt from the chained records, and caught up for decisions
recorded before it existed, without changing any report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import orjson
import pytest

from decision_engine.audit import AccessContext, RecordFilter, Store
from decision_engine.audit import report_index as ri
from decision_engine.engine import decide
from decision_engine.engine.examples import examples
from decision_engine.policy.registry import Registry
from decision_engine.reports import REPORTS, Scope, generate
from decision_engine.reports.demo import fill
from decision_engine.reports.render import to_json

ACCESS = AccessContext("auditor", "test", "*", "report index test")
EVERYTHING = Scope(dt.date(2000, 1, 1), dt.date(2030, 12, 31))


def all_reports(store: Store, registry: Registry) -> dict[str, object]:
    """Every report over all time, without the parts that name the store's head."""
    out = {}
    for name in REPORTS:
        report = json.loads(to_json(generate(store, registry, name, EVERYTHING, ACCESS)))
        report.pop("through_seq", None)
        out[name] = report
    return out


def test_facts_read_off_a_decision_equal_those_parsed_from_its_json() -> None:
    """The two spellings of :func:`report_index.facts` (engine object, recorded JSON) agree
    on every example of every family, and the values the reports need are there."""
    registry = Registry.load()
    seen: set[str] = set()
    for example in examples(registry.root):
        request = example.request()
        _, decision = decide(example.family, request.case, request.decision_date,
                             registry=registry)
        direct = ri.facts_of_decision(decision)
        assert direct == ri.facts_of_json(orjson.loads(decision.canonical_json()))
        facts = orjson.loads(direct)
        assert facts["available"] == sorted(o for o, s in decision.outcomes.items()
                                            if s.available)
        seen.update(facts)
    assert {"duty_applies", "grounds_rejected", "refer_back_rules",
            "accommodation_requested"} <= seen


def test_the_index_matches_the_records_and_follows_the_latest_final(store: Store) -> None:
    registry = Registry.load()
    fill(store, 300, seed=11, registry=registry, workers=1)
    head = store.head()[0]
    with store.db.snapshot() as snap:
        assert ri.check(snap, head) == []
        indexed = snap.query("SELECT count(*), count(final_outcome) FROM report_index")
    decisions = store.count(RecordFilter(kind="decision"))
    assert int(indexed[0][0]) == decisions
    assert 0 < int(indexed[0][1]) < decisions
    # A replacing final decision moves the index to the newest one.
    rec = store.list_records(RecordFilter(kind="decision", family="gravity-matrix"),
                             limit=1)[0]
    store.append_final(rec.id, "charge", "panel chose charge", actor_role="panel",
                       actor_id="p1", service_area=rec.service_area)
    ref = store.append_final(rec.id, "youth_caution", "reconsidered after new information",
                             actor_role="panel", actor_id="p1",
                             service_area=rec.service_area)
    with store.db.snapshot() as snap:
        row = snap.query("SELECT final_seq, final_outcome FROM report_index WHERE seq = ?",
                         (rec.seq,))
        assert (int(row[0][0]), row[0][1]) == (ref.seq, "youth_caution")
        assert ri.check(snap, store.head()[0]) == []


def test_a_tampered_index_is_reported_by_check(store: Store) -> None:
    fill(store, 40, seed=2, workers=1)
    with store.db.write():
        store.db.execute("UPDATE report_index SET outcome = 'charge' WHERE seq = "
                         "(SELECT min(seq) FROM report_index WHERE outcome <> 'charge')")
    with store.db.snapshot() as snap:
        problems = ri.check(snap, store.head()[0])
    assert len(problems) == 1 and "!= records" in problems[0]


def test_decisions_recorded_before_the_index_are_caught_up_without_changing_reports(
        store: Store) -> None:
    """As after migration 0008 on an older store: the index is empty up to the head the
    migration saw. The first report indexes them (and finals recorded since), and every
    report reads exactly as it does over a store indexed at append."""
    registry = Registry.load()
    fill(store, 400, seed=4, registry=registry, workers=1)
    before = all_reports(store, registry)
    with store.db.write() as head:
        store.db.execute("DELETE FROM report_index")
        store.db.execute("UPDATE report_index_backlog SET through_seq = ?, done_seq = 0 "
                         "WHERE id = 1", (head[0],))
    # A final decision recorded after the migration for a decision not yet indexed.
    rec = store.list_records(RecordFilter(kind="decision", family="gravity-matrix"),
                             limit=1)[0]
    store.append_final(rec.id, "charge", "new information about the offence",
                       actor_role="panel", actor_id="p1", service_area=rec.service_area)
    after = all_reports(store, registry)
    with store.db.snapshot() as snap:
        assert ri.check(snap, store.head()[0]) == []
        backlog = snap.query("SELECT through_seq, done_seq FROM report_index_backlog")
    assert int(backlog[0][0]) == int(backlog[0][1])
    assert after != before  # the new final decision shows …
    fresh = all_reports(store, registry)
    assert fresh == after  # … and catching up again is a no-op
    assert ri.catch_up(store.db) == 0


@pytest.mark.parametrize("batch", [1, 7])
def test_catch_up_is_resumable_in_batches(store: Store, batch: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    fill(store, 30, seed=9, workers=1)
    with store.db.write() as head:
        store.db.execute("DELETE FROM report_index")
        store.db.execute("UPDATE report_index_backlog SET through_seq = ?, done_seq = 0 "
                         "WHERE id = 1", (head[0],))
    monkeypatch.setattr(ri, "_CATCH_UP_BATCH", batch)
    assert ri.catch_up(store.db) == store.count(RecordFilter(kind="decision"))
    with store.db.snapshot() as snap:
        assert ri.check(snap, store.head()[0]) == []


def test_audit_verify_report_index_names_a_tampered_row(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from decision_engine.audit import open_store
    from decision_engine.cli.main import app

    url = f"sqlite:///{tmp_path / 'v.db'}"
    with open_store(url) as store:
        fill(store, 25, seed=3, workers=1)
    runner = CliRunner()
    good = runner.invoke(app, ["audit", "verify", "--report-index", "--database-url", url])
    assert good.exit_code == 0, good.output
    assert "report index: matches the records" in good.output
    with open_store(url) as store, store.db.write():
        store.db.execute("UPDATE report_index SET age = 99 WHERE seq = "
                         "(SELECT min(seq) FROM report_index)")
    bad = runner.invoke(app, ["audit", "verify", "--report-index", "--json",
                              "--database-url", url])
    assert bad.exit_code == 1
    problems = json.loads(bad.output)["report_index_problems"]
    assert len(problems) == 1 and "99" in problems[0]
