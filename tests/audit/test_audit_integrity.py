"""What the hash chain cannot see: damage to the database's own structures (indexes,
schema) and columns outside the chained records (``subjects.created_at``).

Issue 13 defects 3, 4 and 5, each reproduced first: a byte flipped in the unique index
on ``id`` made lookups miss a decision while ``verify`` said ok; a corrupted schema
printed a traceback; a changed ``subjects.created_at`` passed verification.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from audit_support import Made, Raw
from typer.testing import CliRunner

from decision_engine.audit import Store, open_store
from decision_engine.cli.audit import audit_app

runner = CliRunner()


def _fill(store: Store, decisions: list[Made], count: int = 8) -> list[str]:
    return [store.append_decision(m.decision, m.subject, actor_role="officer", actor_id="o",
                                  service_area=m.service_area).id for m in decisions[:count]]


def _id_index_page(path: Path) -> tuple[int, int]:
    """(root page, page size) of the UNIQUE index on audit_records.id."""
    conn = sqlite3.connect(path)
    try:
        for name, root in conn.execute("SELECT name, rootpage FROM sqlite_master WHERE "
                                       "type = 'index' AND tbl_name = 'audit_records'"):
            columns = [r[2] for r in conn.execute(f"PRAGMA index_info('{name}')")]
            unique = any(r[1] == name and r[2] for r in
                         conn.execute("PRAGMA index_list('audit_records')"))
            if columns == ["id"] and unique:
                return int(root), int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()
    raise AssertionError("no unique index on audit_records(id)")


def test_audit_verify_names_a_corrupted_id_index(tmp_path: Path, decisions: list[Made]) -> None:
    path = tmp_path / "audit.db"
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        ids = _fill(store, decisions)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root, page_size = _id_index_page(path)
    data = bytearray(path.read_bytes())
    target = ids[3].encode()
    start = (root - 1) * page_size
    at = data.find(target, start, start + page_size)
    assert at > 0, "the id is not in the index's root page"
    data[at + 10] = ord("0") if data[at + 10] != ord("0") else ord("1")  # one byte
    path.write_bytes(bytes(data))

    with open_store(url) as store:
        assert store.get(ids[3]) is None  # the symptom: GET answers 404
        result = store.verify()
    assert result.broken is None  # the chain itself is intact ...
    assert not result.ok  # ... but verify no longer says ok
    assert result.database_check == "sqlite integrity_check"
    assert result.database_problems
    assert any("audit_records(id)" in p for p in result.database_problems), \
        result.database_problems

    out = runner.invoke(audit_app, ["verify", "--database-url", url])
    assert out.exit_code == 1
    assert "DATABASE: " in out.stdout and "audit_records(id)" in out.stdout
    assert "REINDEX" in out.stdout


def test_audit_verify_reports_the_database_check_it_ran(store_url: str, store: Store,
                                                        decisions: list[Made]) -> None:
    _fill(store, decisions, 3)
    result = store.verify()
    assert result.ok and not result.database_problems
    if store.backend == "sqlite":
        assert result.database_check == "sqlite integrity_check"
    else:  # amcheck where installed, otherwise said to be skipped
        assert result.database_check.startswith(("postgresql amcheck",
                                                 "skipped: the amcheck extension"))
    out = runner.invoke(audit_app, ["verify", "--database-url", store_url])
    assert out.exit_code == 0 and result.database_check in out.stdout


@pytest.mark.postgres
def test_audit_verify_runs_amcheck_when_installed(store_url: str, store: Store,
                                                  decisions: list[Made]) -> None:
    if store.backend != "postgresql":
        pytest.skip("PostgreSQL only")
    raw = Raw(store_url)
    try:
        raw.execute("CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public")
    except Exception as exc:  # privilege, or a concurrent creation
        pytest.skip(f"cannot install amcheck: {exc}")
    finally:
        raw.close()
    _fill(store, decisions, 3)
    result = store.verify()
    assert result.ok and result.database_check.startswith("postgresql amcheck: ")
    assert "indexes checked" in result.database_check


def test_audit_corrupted_schema_is_one_line_and_exit_2(tmp_path: Path,
                                                       decisions: list[Made]) -> None:
    path = tmp_path / "audit.db"
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        _fill(store, decisions, 2)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE subjects (' "
                 "WHERE name = 'subjects'")
    conn.close()
    for command in (["verify"], ["migrate"], ["checkpoint", "--out", str(tmp_path / "c")]):
        out = runner.invoke(audit_app, [*command, "--database-url", url])
        assert out.exit_code == 2, (command, out.stdout, out.stderr, out.exception)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
        assert "malformed database schema" in lines[0] and str(path) in lines[0]
        assert "Traceback" not in out.stdout + out.stderr


def test_audit_subject_created_at_is_covered(store_url: str, store: Store,
                                             decisions: list[Made]) -> None:
    ids = _fill(store, decisions, 4)
    first = store.get(ids[0])
    second = store.get(ids[1])
    assert first is not None and second is not None
    assert first.pseudonym and second.pseudonym
    store.erase([second.pseudonym], reason="request", justification="SAR", actor_role="dpo",
                actor_id="d")
    assert store.verify().ok
    raw = Raw(store_url)
    raw.disable_triggers()
    for pseudonym in (first.pseudonym, second.pseudonym):  # unerased and erased alike
        (old,) = raw.execute("SELECT created_at FROM subjects WHERE pseudonym = ?",
                             (pseudonym,))[0]
        raw.execute("UPDATE subjects SET created_at = ? WHERE pseudonym = ?",
                    ("2019-01-01T00:00:00.000000Z", pseudonym))
        problems = store.verify().subject_problems
        assert any(pseudonym in p and "created_at" in p for p in problems), problems
        raw.execute("UPDATE subjects SET created_at = ? WHERE pseudonym = ?", (old, pseudonym))
    raw.close()
    assert store.verify().ok
