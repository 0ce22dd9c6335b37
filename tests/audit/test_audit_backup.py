"""``audit backup``: a consistent online copy while decisions are being recorded; the copy
verifies, and verify ``--against`` a later checkpoint names exactly the records it lacks.
PostgreSQL: the documented pg_dump / pg_restore round trip, when those tools exist."""

from __future__ import annotations

import shutil
import subprocess
import threading
import uuid
from pathlib import Path

import psycopg
import pytest
from audit_support import PG_SKIP, Made, pg_base_url, with_search_path
from typer.testing import CliRunner

from decision_engine.audit import DecisionEntry, open_store
from decision_engine.cli.audit import audit_app

runner = CliRunner()


def _invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(audit_app, [*args, "--database-url", url])
    return result.exit_code, result.stdout, result.stderr


def test_backup_while_recording_verifies_and_names_what_it_lacks(
        tmp_path: Path, decisions: list[Made]) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    with open_store(url) as store:
        for made in decisions[:10]:
            store.append_decision(made.decision, made.subject, actor_role="officer",
                                  actor_id="o", service_area=made.service_area)
    stop = threading.Event()
    recorded: list[int] = []

    def record() -> None:  # another connection keeps recording during the copy
        with open_store(url) as writer:
            i = 0
            while not stop.is_set() and i < 100_000:  # until the copies are taken
                made = decisions[i % len(decisions)]
                ref = writer.append_decisions([DecisionEntry(
                    made.decision, made.subject, "officer", "o", made.service_area)])[0]
                recorded.append(ref.seq)
                i += 1

    thread = threading.Thread(target=record)
    thread.start()
    copies = []
    try:
        for n in range(3):  # several copies, each taken mid-stream
            while len(recorded) < 5 * (n + 1):
                threading.Event().wait(0.01)
            target = tmp_path / f"backup{n}.db"
            code, out, err = _invoke(url, "backup", str(target))
            assert code == 0, err
            copies.append((target, int(out.split("backup: ")[1].split(" ")[0].replace(",", ""))))
        # recording goes on after the last copy, so every copy lacks something
        done = len(recorded)
        while len(recorded) <= done + 5 and thread.is_alive():
            threading.Event().wait(0.01)
    finally:
        stop.set()
        thread.join()
    with open_store(url) as store:
        final = store.verify()
        assert final.ok
    checkpoint = tmp_path / "later.json"
    assert _invoke(url, "checkpoint", "--out", str(checkpoint))[0] == 0
    for target, held in copies:
        copy_url = f"sqlite:///{target}"
        code, out, _ = _invoke(copy_url, "verify")
        assert code == 0, out
        assert f"ok: {held:,} records" in out
        assert 10 < held < final.records  # taken while recording went on
        # The copy is a prefix of the live chain: the same hash at its head.
        with open_store(copy_url) as copy, open_store(url) as live:
            head = copy.head()
            assert live.db.query_one("SELECT hash FROM audit_records WHERE seq = ?",
                                     (head[0],)) == (head[1],)
        code, out, _ = _invoke(copy_url, "verify", "--against", str(checkpoint))
        assert code == 1
        missing = final.records - held
        assert (f"lacks records seq {held + 1}..{final.records} ({missing:,} records)"
                in out), out
    code, _, err = _invoke(url, "backup", str(copies[0][0]))
    assert code == 2 and "never overwrites" in err


@pytest.mark.postgres
def test_postgres_backup_is_pg_dump_and_restores_verifying(
        tmp_path: Path, decisions: list[Made]) -> None:
    base = pg_base_url()
    if base is None:
        pytest.skip(PG_SKIP)
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not installed")
    schema, restored = (f"audit_bk_{uuid.uuid4().hex[:10]}" for _ in range(2))
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = with_search_path(base, schema)
    try:
        with open_store(url) as store:
            ids = [store.append_decision(m.decision, m.subject, actor_role="officer",
                                         actor_id="o", service_area=m.service_area).id
                   for m in decisions[:12]]
        code, _, err = _invoke(url, "backup", str(tmp_path / "x.db"))
        assert code == 2 and "pg_dump" in err
        dump = tmp_path / "audit.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--schema={schema}",
                        f"--file={dump}", base], check=True)
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"ALTER SCHEMA {schema} RENAME TO {restored}")
        subprocess.run(["pg_restore", "--exit-on-error", f"--dbname={base}", str(dump)],
                       check=True)
        with open_store(url) as store:
            result = store.verify()
            assert result.ok and result.records == 12
            assert store.get(ids[-1]) is not None
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            for name in (schema, restored):
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


