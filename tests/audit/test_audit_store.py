"""The store contract, on both backends: appends, append-only, finals, access, erasure."""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import sqlite3
from typing import Any

import psycopg
import pytest
from audit_support import Made, Raw, RawDecision, decision_json, make_decisions
from hypothesis import given
from hypothesis import strategies as st

from decision_engine.audit import (
    AuditValidationError,
    DecisionEntry,
    FinalEntry,
    RecordFilter,
    RecordNotFound,
    Retention,
    SchemaError,
    Store,
    SubjectData,
    open_store,
)
from decision_engine.audit.canonical import GENESIS_HASH
from decision_engine.audit.db import SQLiteDatabase


def _append(store: Store, made: Made) -> Any:
    return store.append_decision(made.decision, made.subject, actor_role="officer",
                                 actor_id="o-1", service_area=made.service_area)


def _refused(raw: Raw, sql: str, params: tuple[Any, ...] = ()) -> None:
    """The database itself raises (sqlite3 or psycopg error) with the trigger's message."""
    with pytest.raises((sqlite3.DatabaseError, psycopg.Error),
                       match=r"refused|permitted|chain head|forward|deleted"):
        raw.execute(sql, params)


def test_audit_append_chains_records_and_acknowledges_with_ids(
        store: Store, decisions: list[Made]) -> None:
    refs = [_append(store, made) for made in decisions[:5]]
    assert [r.seq for r in refs] == [1, 2, 3, 4, 5]
    first = store.get(refs[0].id)
    assert first is not None and first.prev_hash == GENESIS_HASH
    for prev, ref in itertools.pairwise(refs):
        record = store.get(ref.id)
        assert record is not None
        assert record.prev_hash == prev.hash and record.hash == ref.hash
        assert record.computed_hash() == ref.hash
    record = store.get(refs[2].id)
    assert record is not None
    made = decisions[2]
    assert record.output == made.decision.canonical_json().decode()
    assert record.input_obj == decision_json(made)["input"]
    assert (record.family, record.policy_version, record.outcome) == (
        "gravity-matrix", made.decision.policy.version, made.decision.outcome)
    assert record.decision_date == made.decision.decision_date.isoformat()
    assert record.service_area == made.service_area and record.actor_role == "officer"
    assert store.head() == (5, refs[-1].hash)
    assert store.verify().ok


def test_audit_group_commit_is_all_or_nothing(store: Store, decisions: list[Made]) -> None:
    entries = [DecisionEntry(m.decision, m.subject, "officer", "o", m.service_area)
               for m in decisions[:5]]
    refs = store.append_decisions(entries)
    assert [r.seq for r in refs] == [1, 2, 3, 4, 5]
    assert [store.get(r.id).output for r in refs] == [  # type: ignore[union-attr]
        m.decision.canonical_json().decode() for m in decisions[:5]]
    bad = [*entries, DecisionEntry(decisions[5].decision, None, "", "o", "north")]
    with pytest.raises(AuditValidationError):
        store.append_decisions(bad)
    assert store.count() == 5 and store.verify().ok


def test_audit_identifiers_stay_out_of_the_chain(store: Store, decisions: list[Made]) -> None:
    made = decisions[0]
    ref = _append(store, made)
    record = store.get(ref.id)
    assert record is not None and record.pseudonym
    flat = record.body_bytes().decode()
    assert made.subject.case_reference not in flat
    assert made.subject.date_of_birth.isoformat() not in flat
    subject = store.subject(record.pseudonym)
    assert subject is not None
    assert subject.case_reference == made.subject.case_reference
    assert subject.date_of_birth == made.subject.date_of_birth.isoformat()
    assert subject.monitoring == made.subject.monitoring


def test_audit_database_refuses_update_delete_and_forks(store_url: str, store: Store,
                                                         decisions: list[Made]) -> None:
    refs = [_append(store, made) for made in decisions[:3]]
    raw = Raw(store_url)
    try:
        _refused(raw, "UPDATE audit_records SET outcome = 'charge' WHERE seq = 2")
        _refused(raw, "DELETE FROM audit_records WHERE seq = 3")
        _refused(raw, "UPDATE chain_head SET seq = 1 WHERE id = 1")
        _refused(raw, "DELETE FROM chain_head")
        # an insert that does not extend the head (a fork from seq 1) is refused
        row = raw.execute("SELECT * FROM audit_records WHERE seq = 2")[0]
        forged = list(row)
        forged[1] = "forged-id"
        forged[-1] = "f" * 64
        marks = ", ".join("?" for _ in forged)
        _refused(raw, f"INSERT INTO audit_records VALUES ({marks})", tuple(forged))
        pseudonym = store.get(refs[0].id).pseudonym  # type: ignore[union-attr]
        _refused(raw, "UPDATE subjects SET case_reference = 'X' WHERE pseudonym = ?",
                 (pseudonym,))
        _refused(raw, "DELETE FROM subjects WHERE pseudonym = ?", (pseudonym,))
        if raw.backend == "postgresql":
            _refused(raw, "TRUNCATE audit_records")
    finally:
        raw.close()
    assert store.verify().ok


def test_audit_the_head_trigger_alone_refuses_a_fork_and_verify_names_a_copied_hash(
        store_url: str, store: Store, decisions: list[Made]) -> None:
    """prev_hash and hash are not UNIQUE (migration 11): the chain-head trigger is what
    refuses a second record after an earlier one, and a record that repeats a hash (which
    no UNIQUE index refuses now) is named by verify as altered."""
    for made in decisions[:3]:
        _append(store, made)
    raw = Raw(store_url)
    try:
        rows = raw.execute("SELECT * FROM audit_records ORDER BY seq")
        head = list(rows[-1])
        fork = [4, "fork-id", *head[2:]]  # next seq, but it follows seq 2, not the head
        fork[-2] = rows[1][-1]
        marks = ", ".join("?" for _ in fork)
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error),
                           match="does not extend the chain head"):
            raw.execute(f"INSERT INTO audit_records VALUES ({marks})", tuple(fork))
        copy = [4, "copy-id", *head[2:]]  # extends the head, repeating the head's hash
        copy[-2] = head[-1]
        raw.execute(f"INSERT INTO audit_records VALUES ({marks})", tuple(copy))
    finally:
        raw.close()
    result = store.verify()
    assert result.broken is not None and result.broken.seq == 4
    assert "does not match its hash" in result.broken.why


def test_audit_final_decision_needs_rationale_to_depart(store: Store,
                                                        decisions: list[Made]) -> None:
    made = decisions[0]
    ref = _append(store, made)
    recommended = made.decision.outcome
    other = "charge" if recommended != "charge" else "youth_caution"
    kwargs = {"actor_role": "panel", "actor_id": "p-1", "service_area": made.service_area}
    with pytest.raises(AuditValidationError) as info:
        store.append_final(ref.id, other, "  ", **kwargs)
    assert info.value.field == "rationale"
    agreed = store.append_final(ref.id, recommended, None, **kwargs)
    final = store.get(agreed.id)
    assert final is not None and final.kind == "final_decision" and final.ref_id == ref.id
    assert final.detail_obj["departs_from_recommendation"] is False
    with pytest.raises(AuditValidationError):  # replacing a final needs a rationale too
        store.append_final(ref.id, recommended, None, **kwargs)
    departed = store.append_final(ref.id, other, "Panel weighed the victim's view", **kwargs)
    finals = store.finals_for(ref.id)
    assert [f.id for f in finals] == [agreed.id, departed.id]
    assert finals[-1].outcome == other
    assert finals[-1].detail_obj == {
        "recommended_outcome": recommended, "departs_from_recommendation": True,
        "rationale": "Panel weighed the victim's view", "supersedes": agreed.id}
    assert finals[-1].pseudonym == store.get(ref.id).pseudonym  # type: ignore[union-attr]
    assert store.verify().ok


def test_audit_append_finals_is_all_or_nothing_and_sees_its_own_batch(
        store: Store, decisions: list[Made]) -> None:
    made = decisions[0]
    ref = _append(store, made)
    recommended = made.decision.outcome
    other = "charge" if recommended != "charge" else "youth_caution"
    area = made.service_area
    before = store.count(RecordFilter(kind="final_decision"))
    head = store.verify().records
    # the second replaces the first within the same batch, so it needs a rationale: refused,
    # and the first (valid on its own) is not recorded either
    with pytest.raises(AuditValidationError) as info:
        store.append_finals([FinalEntry(ref.id, recommended, None, "panel", "p", area),
                             FinalEntry(ref.id, other, None, "panel", "p", area)])
    assert info.value.field == "rationale"
    assert store.count(RecordFilter(kind="final_decision")) == before
    assert store.verify().records == head
    refs = store.append_finals([
        FinalEntry(ref.id, recommended, None, "panel", "p", area),
        FinalEntry(ref.id, other, "Panel weighed the victim's view", "panel", "p", area)])
    finals = store.finals_for(ref.id)
    assert [f.id for f in finals] == [r.id for r in refs]
    assert finals[-1].detail_obj["supersedes"] == refs[0].id
    assert refs[1].seq == refs[0].seq + 1
    assert store.verify().ok


def test_audit_final_decision_scoped_to_service_area_and_existing_decision(
        store: Store, decisions: list[Made]) -> None:
    made = decisions[0]
    ref = _append(store, made)
    with pytest.raises(RecordNotFound):
        store.append_final(ref.id, made.decision.outcome, None, actor_role="panel",
                           actor_id="p", service_area="elsewhere")
    with pytest.raises(RecordNotFound):
        store.append_final("no-such-id", "charge", "x", actor_role="panel", actor_id="p",
                           service_area=made.service_area)
    access = store.log_access(actor_role="panel", actor_id="p", service_area="north",
                              justification="review", record_ids=[ref.id])
    with pytest.raises(RecordNotFound):  # only decisions can be finalised
        store.append_final(access.id, "charge", "x", actor_role="panel", actor_id="p",
                           service_area="north")
    assert store.count(RecordFilter(kind=None)) == 2  # nothing written by refusals


def test_audit_free_text_naming_the_child_is_refused(store: Store,
                                                     decisions: list[Made]) -> None:
    made = decisions[0]
    ref = _append(store, made)
    dob = made.subject.date_of_birth
    kwargs = {"actor_role": "panel", "actor_id": "p", "service_area": made.service_area}
    for text in (f"see {made.subject.case_reference.lower()}", f"born {dob.isoformat()}",
                 f"born {dob.day:02d}/{dob.month:02d}/{dob.year}"):
        with pytest.raises(AuditValidationError):
            store.append_final(ref.id, "charge", text, **kwargs)
        with pytest.raises(AuditValidationError):
            store.log_access(justification=text, record_ids=[ref.id], **kwargs)


def test_audit_read_logs_access_before_returning(store: Store, decisions: list[Made]) -> None:
    ref = _append(store, decisions[0])
    record = store.read(ref.id, actor_role="auditor", actor_id="a-1",
                        service_area=decisions[0].service_area, justification="spot check")
    assert record.id == ref.id
    with pytest.raises(RecordNotFound):
        store.read(ref.id, actor_role="auditor", actor_id="a-1", service_area="elsewhere",
                   justification="spot check")
    accesses = store.list_records(RecordFilter(kind="access"))
    assert len(accesses) == 2
    assert accesses[0].ref_id == ref.id and accesses[0].actor_id == "a-1"
    assert accesses[0].detail_obj["justification"] == "spot check"
    assert accesses[0].detail_obj["through_seq"] == 1
    assert store.get(ref.id, service_area="elsewhere") is None


def test_audit_list_filters_and_pages(store: Store, decisions: list[Made]) -> None:
    for made in decisions[:12]:
        _append(store, made)
    north = store.list_records(RecordFilter(service_area="north"), limit=4)
    assert len(north) == 4 and {r.service_area for r in north} == {"north"}
    rest = store.list_records(RecordFilter(service_area="north"), after_seq=north[-1].seq)
    assert len(north) + len(rest) == 6
    dates = sorted(m.decision.decision_date for m in decisions[:12])
    mid = dates[6]
    later = store.list_records(RecordFilter(date_from=mid))
    assert {r.decision_date for r in later} == {d.isoformat() for d in dates if d >= mid}
    assert store.count(RecordFilter(date_to=mid)) == sum(d <= mid for d in dates)
    with pytest.raises(AuditValidationError):
        store.list_records(limit=5000)


def test_audit_rejects_bad_arguments(store: Store, decisions: list[Made]) -> None:
    made = decisions[0]
    with pytest.raises(AuditValidationError) as info:
        store.append_decision(made.decision, made.subject, actor_role="", actor_id="x",
                              service_area="north")
    assert info.value.field == "actor_role"
    not_canonical = RawDecision({"x": 1})
    not_canonical.canonical_json = lambda: b'{"x": 1}'  # type: ignore[method-assign]
    with pytest.raises(AuditValidationError):
        store.append_decision(not_canonical, None, actor_role="a", actor_id="b",
                              service_area="c")
    with pytest.raises(AuditValidationError):
        store.append_decision(RawDecision({"policy": {}, "input": {}}), None,
                              actor_role="a", actor_id="b", service_area="c")
    assert store.count(RecordFilter(kind=None)) == 0


def test_audit_erasure_keeps_chain_and_replay(store: Store, decisions: list[Made]) -> None:
    from decision_engine.audit import AccessContext, ReplayOptions, replay

    refs = [_append(store, made) for made in decisions[:4]]
    target = store.get(refs[1].id)
    assert target is not None and target.pseudonym
    with pytest.raises(AuditValidationError):
        store.erase([target.pseudonym], reason="request", actor_role="dpo", actor_id="d",
                    justification=f"request re {decisions[1].subject.case_reference}")
    with pytest.raises(RecordNotFound):
        store.erase(["nope"], reason="request", justification="x", actor_role="dpo",
                    actor_id="d")
    erased = store.erase([target.pseudonym], reason="request", justification="SAR erasure",
                         actor_role="dpo", actor_id="d")
    assert len(erased) == 1
    subject = store.subject(target.pseudonym)
    assert subject is not None and subject.erased_at and subject.erasure_id == erased[0].id
    assert (subject.case_reference, subject.date_of_birth, subject.monitoring) == (
        None, None, None)
    record = store.get(erased[0].id)
    assert record is not None and record.kind == "erasure"
    assert record.pseudonym == target.pseudonym and record.ref_id == target.id
    assert record.service_area == target.service_area
    assert store.erase([target.pseudonym], reason="request", justification="again",
                       actor_role="dpo", actor_id="d") == []
    assert store.pseudonyms_for_case(decisions[1].subject.case_reference) == []
    result = store.verify()
    assert result.ok, result
    report = replay(store, RecordFilter(), ReplayOptions(workers=1),
                    AccessContext("auditor", "a", "*", "check"), progress=False)
    assert (report.reproduced, report.differs, report.errors) == (4, 0, 0)


def test_audit_retention_per_family(store: Store, decisions: list[Made]) -> None:
    refs = [_append(store, made) for made in decisions[:3]]
    now = dt.datetime.now(dt.UTC)
    assert store.due_for_erasure(Retention({"other-family": "1d"}), now) == []
    assert store.due_for_erasure(Retention({"gravity-matrix": "6y"}), now) == []
    later = now + dt.timedelta(days=6 * 366 + 2)
    due = store.due_for_erasure(Retention({"gravity-matrix": "6y"}), later)
    assert [p for p, _ in due] == [store.get(r.id).pseudonym for r in refs]  # type: ignore[union-attr]
    assert store.due_for_erasure(Retention({}, default="2190d"), later) == due


def test_audit_decision_without_subject(store: Store, decisions: list[Made]) -> None:
    ref = store.append_decision(decisions[0].decision, None, actor_role="r", actor_id="i",
                                service_area="north")
    record = store.get(ref.id)
    assert record is not None and record.pseudonym is None and record.subject_digest is None
    plain = store.append_decision(decisions[1].decision, SubjectData("CR-X"), actor_role="r",
                                  actor_id="i", service_area="north")
    assert store.get(plain.id).pseudonym  # type: ignore[union-attr]
    assert store.verify().ok


def test_audit_migrations_are_versioned_and_checked(store_url: str, store: Store) -> None:
    from decision_engine.audit.migrate import applied_versions, shipped

    versions = [m.version for m in shipped(store.backend)]
    assert versions[0] == 1
    assert [v for v, _, _ in applied_versions(store.db)] == versions
    with open_store(store_url) as again:  # re-opening applies nothing
        assert [v for v, _, _ in applied_versions(again.db)] == versions
    raw = Raw(store_url)
    try:
        raw.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1")
        with pytest.raises(SchemaError):
            open_store(store_url)
        raw.execute("UPDATE schema_migrations SET checksum = ? WHERE version = 1",
                    (_shipped_checksum(store.backend),))
        raw.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x', 'now')")
        with pytest.raises(SchemaError):
            open_store(store_url)
    finally:
        raw.close()


def _shipped_checksum(backend: str) -> str:
    from decision_engine.audit.migrate import shipped

    return shipped(backend)[0].checksum


def _append_many(url: str, payloads: list[tuple[dict[str, Any], str]]) -> list[int]:
    with open_store(url) as store:
        return [store.append_decision(RawDecision(data), SubjectData(case_reference),
                                      actor_role="officer", actor_id="o",
                                      service_area="north").seq
                for data, case_reference in payloads]


def test_audit_concurrent_writers_never_fork_the_chain(store_url: str, store: Store) -> None:
    """Four processes append at once; every append lands, seqs are unique, chain verifies."""
    made = make_decisions(60, seed=7)
    payloads = [(decision_json(m), m.subject.case_reference) for m in made]
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = pool.starmap(_append_many,
                               [(store_url, payloads[w::4]) for w in range(4)])
    seqs = sorted(s for part in results for s in part)
    assert seqs == list(range(1, 61))
    result = store.verify()
    assert result.ok, result
    assert result.records == 60


def test_audit_sqlite_refuses_non_durable_settings(tmp_path: Any) -> None:
    import sqlite3

    from decision_engine.audit import DurabilityError
    from decision_engine.audit.db import SQLiteDatabase

    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("PRAGMA synchronous = NORMAL")
    with pytest.raises(DurabilityError):
        SQLiteDatabase._assert_durable(conn)
    conn.close()


def test_audit_sqlite_keeps_its_statement_journal_in_memory_only_for_a_write_turn(
        tmp_path: Any, decisions: list[Made]) -> None:
    """A write turn's statement journal stays in memory (temp_store = MEMORY, 2); reads
    keep the default (0), so a large sort can still spill to disk, after a turn that
    commits, one that fails and one that never began alike."""
    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as sqlite_store:
        db = sqlite_store.db
        assert isinstance(db, SQLiteDatabase)

        def temp_store() -> int:
            return int(db.conn.execute("PRAGMA temp_store").fetchone()[0])

        during = []
        with db.write():
            during.append(temp_store())
        assert during == [2] and temp_store() == 0
        with pytest.raises(RuntimeError), db.write():
            raise RuntimeError("a turn that fails")
        assert temp_store() == 0
        other = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # holds the write lock: the turn cannot begin
        db.conn.execute("PRAGMA busy_timeout = 0")
        with pytest.raises(sqlite3.OperationalError, match="locked"), db.write():
            pass
        other.execute("ROLLBACK")
        other.close()
        db.conn.execute("PRAGMA busy_timeout = 60000")
        assert temp_store() == 0
        _append(sqlite_store, decisions[0])
        assert temp_store() == 0 and sqlite_store.verify().ok


def test_audit_sqlite_checkpoints_its_wal_every_10000_pages(tmp_path: Any) -> None:
    """Fewer, larger checkpoints (copying a page several commits changed once), and the
    store's connections say so to SQLite."""
    from decision_engine.audit.db import WAL_CHECKPOINT_PAGES

    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as sqlite_store:
        assert isinstance(sqlite_store.db, SQLiteDatabase)
        setting = sqlite_store.db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    assert setting == WAL_CHECKPOINT_PAGES == 10_000


def test_audit_verify_is_consistent_while_others_append(store_url: str, store: Store) -> None:
    """Verification reads one snapshot: concurrent appends are never reported as tampering."""
    made = make_decisions(80, seed=9)
    payloads = [(decision_json(m), m.subject.case_reference) for m in made]
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        pending = pool.starmap_async(_append_many, [(store_url, payloads[w::2])
                                                    for w in range(2)])
        checks = 0
        while not pending.ready() or checks == 0:
            result = store.verify()
            assert result.ok, result
            checks += 1
        pending.get()
    assert store.verify().records == 80


def test_audit_sqlite_query_plans_use_the_right_indexes(tmp_path: Any) -> None:
    """On a fresh database (no ANALYZE statistics) the hot queries must be index lookups
    or range scans; a wrong index made verification and replay quadratic."""
    from decision_engine.audit.records import RecordFilter as Filter
    from decision_engine.audit.replay import chunk_sql
    from decision_engine.audit.store import ERASE_LOOKUP_SQL
    from decision_engine.audit.subject_check import SUBJECTS_SQL

    def plan(store: Store, sql: str, params: list[Any]) -> str:
        return " | ".join(str(r[-1]) for r in store.db.query(f"EXPLAIN QUERY PLAN {sql}",
                                                              params))

    with open_store(f"sqlite:///{tmp_path / 'plans.db'}") as store:
        subjects = plan(store, SUBJECTS_SQL, [])
        assert "COVERING INDEX audit_records_subject (pseudonym=? AND kind=?)" in subjects, subjects
        erase = plan(store, ERASE_LOOKUP_SQL.format(marks="?"), ["p"])
        assert "audit_records_subject (pseudonym=? AND kind=?)" in erase, erase
        for flt in (Filter(), Filter(family="gravity-matrix"), Filter(service_area="north")):
            where, params = flt.where()
            chunk = plan(store, chunk_sql(where), [*params, 1, 10_000])
            assert "seq>? AND seq<?" in chunk and "TEMP B-TREE" not in chunk, chunk


def test_audit_engine_decisions_take_the_direct_path_with_identical_columns() -> None:
    """Columns read off an engine Decision equal those parsed from its canonical JSON."""
    import datetime as dt

    from decision_engine.audit import store as store_module
    from decision_engine.engine import evaluate

    d = evaluate("gravity-matrix", {"offence": "robbery", "age": 15, "sufficient_evidence": True,
                                    "admission": "no_comment", "mitigating": ["provocation"]},
                 dt.date(2024, 5, 1))

    class Wrapped:  # any other DecisionLike goes through the full parse
        def canonical_json(self) -> bytes:
            return d.canonical_json()

    assert store_module._parse_decision(d) == store_module._parse_decision(Wrapped())


def test_record_timestamps_keep_their_text_form() -> None:
    """utc_now builds its text with isoformat (faster); the form stays strftime's."""
    import datetime as _dt

    from decision_engine.audit.validation import utc_now

    text = utc_now()
    parsed = _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=_dt.UTC)
    assert parsed.strftime("%Y-%m-%dT%H:%M:%S.%fZ") == text
    assert abs((_dt.datetime.now(_dt.UTC) - parsed).total_seconds()) < 60


@given(st.lists(st.integers(min_value=0, max_value=2**62), min_size=1, max_size=5))
def test_record_timestamps_read_as_datetime_writes_them(moments: list[int]) -> None:
    """utc_text keeps the last second's text; each moment still reads as datetime says,
    in any order of seconds."""
    import datetime as _dt

    from decision_engine.audit.validation import utc_text

    for ns in moments:
        moment = (_dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
                  + _dt.timedelta(microseconds=ns // 1000))
        assert utc_text(ns) == moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
