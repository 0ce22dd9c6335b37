"""Erasure really erases (issue 13 defect 1), checked in the raw bytes of the files.

Reproduced first: with a reader holding a snapshot, ``erase`` waited ~60 s, reported
success, and the case reference and date of birth were still in the ``-wal`` file
(``PRAGMA wal_checkpoint(TRUNCATE)``'s result was ignored); meanwhile every append
stalled behind the pending checkpoint. Now erasure succeeds only when the WAL has been
copied into the database file and truncated; otherwise it says so
(:class:`ErasureIncomplete`, CLI exit 3 with what to do) and never holds writers up.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from audit_support import Made
from typer.testing import CliRunner

from decision_engine.audit import ErasureIncomplete, Store, open_store
from decision_engine.cli.audit import audit_app

APPEND_BOUND_S = 2.0
"""Generous bound for one append while an erasure waits for a reader (it was ~60 s)."""


def _identifiers(store: Store, pseudonym: str) -> list[bytes]:
    (salt, case_reference, dob), = store.db.query(
        "SELECT salt, case_reference, date_of_birth FROM subjects WHERE pseudonym = ?",
        (pseudonym,))
    return [str(salt).encode(), str(case_reference).encode(), str(dob).encode()]


def _on_disk(path: Path, needles: list[bytes]) -> dict[str, list[bytes]]:
    """Which needles occur in the database file and in its WAL."""
    found: dict[str, list[bytes]] = {}
    for suffix in ("", "-wal"):
        file = Path(f"{path}{suffix}")
        data = file.read_bytes() if file.exists() else b""
        found[suffix or "db"] = [n for n in needles if n in data]
    return found


def _fill(store: Store, decisions: list[Made]) -> list[str]:
    """Decisions whose case references and dates of birth are unique in the store."""
    seen: set[str] = set()
    pseudonyms = []
    for made in decisions[:20]:
        dob = made.subject.date_of_birth.isoformat()
        if dob in seen:
            continue
        seen.add(dob)
        ref = store.append_decision(made.decision, made.subject, actor_role="officer",
                                    actor_id="o", service_area=made.service_area)
        record = store.get(ref.id)
        assert record is not None and record.pseudonym
        pseudonyms.append(record.pseudonym)
    return pseudonyms


def test_audit_erasure_without_readers_leaves_no_identifier_on_disk(
        tmp_path: Path, decisions: list[Made]) -> None:
    path = tmp_path / "audit.db"
    with open_store(f"sqlite:///{path}") as store:
        pseudonyms = _fill(store, decisions)
        needles = _identifiers(store, pseudonyms[2])
        assert _on_disk(path, needles)["-wal"] == needles  # the WAL holds them now
        store.erase([pseudonyms[2]], reason="request", justification="SAR",
                    actor_role="dpo", actor_id="d")
        assert _on_disk(path, needles) == {"db": [], "-wal": []}
        assert store.verify().ok


def test_audit_erasure_with_a_reader_says_it_could_not_finish_and_never_stalls_appends(
        tmp_path: Path, decisions: list[Made]) -> None:
    path = tmp_path / "audit.db"
    url = f"sqlite:///{path}"
    with open_store(url) as store, open_store(url) as recorder:
        pseudonyms = _fill(store, decisions[:12])
        needles = _identifiers(store, pseudonyms[1])
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM subjects").fetchone()  # holds a snapshot

        outcome: list[BaseException | None] = []

        def erase() -> None:
            try:
                store.erase([pseudonyms[1]], reason="request", justification="SAR",
                            actor_role="dpo", actor_id="d", scrub_wait=1.5)
                outcome.append(None)
            except BaseException as exc:  # handed to the test thread
                outcome.append(exc)

        eraser = threading.Thread(target=erase)
        eraser.start()
        latencies = []
        while eraser.is_alive():  # record decisions while the erasure tries to finish
            made = decisions[len(latencies) % len(decisions)]
            start = time.perf_counter()
            recorder.append_decision(made.decision, None, actor_role="officer",
                                     actor_id="o", service_area="north")
            latencies.append(time.perf_counter() - start)
        eraser.join()
        assert len(latencies) >= 3
        assert max(latencies) < APPEND_BOUND_S, latencies

        (failure,) = outcome
        assert isinstance(failure, ErasureIncomplete), failure
        assert len(failure.refs) == 1  # the erasure is recorded ...
        assert "audit scrub" in str(failure) and "snapshot" in str(failure)
        subject = store.subject(pseudonyms[1])
        assert subject is not None and subject.case_reference is None
        assert _on_disk(path, needles)["-wal"]  # ... and the copies are really still there

        with pytest.raises(ErasureIncomplete):  # still pinned: scrub says so too
            store.finish_erasure(wait=0.2)
        reader.execute("COMMIT")
        reader.close()
        store.finish_erasure(wait=5.0)
        assert _on_disk(path, needles) == {"db": [], "-wal": []}
        assert store.verify().ok


def test_audit_cli_erase_exit_3_names_what_to_do_then_scrub_finishes(
        tmp_path: Path, decisions: list[Made]) -> None:
    path = tmp_path / "audit.db"
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        pseudonyms = _fill(store, decisions[:6])
        needles = _identifiers(store, pseudonyms[0])
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM subjects").fetchone()
    runner = CliRunner()
    out = runner.invoke(audit_app, ["erase", "--justification", "SAR", "--pseudonym",
                                    pseudonyms[0], "--wait", "0.3", "--database-url", url])
    assert out.exit_code == 3, (out.stdout, out.stderr, out.exception)
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "decision-engine audit scrub" in lines[-1]
    out = runner.invoke(audit_app, ["scrub", "--wait", "0.2", "--database-url", url])
    assert out.exit_code == 3
    reader.execute("COMMIT")
    reader.close()
    out = runner.invoke(audit_app, ["scrub", "--database-url", url])
    assert out.exit_code == 0 and "write-ahead log is empty" in out.stderr
    assert _on_disk(path, needles) == {"db": [], "-wal": []}
