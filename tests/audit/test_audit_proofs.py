"""Signed tree heads, proofs for one record, and a rewrite after a published head.

Runs on SQLite and PostgreSQL. The proofs are checked with the standalone verifier's
``main`` — the same entry point an auditor runs with only the proof, the public key and
the record's bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_support import Made, Raw
from typer.testing import CliRunner

from decision_engine.audit import Store, open_store
from decision_engine.audit.merkle import CompactRange, leaf_hash
from decision_engine.audit.records import COLUMNS, AuditRecord, record_hash, row_columns
from decision_engine.audit.verifier_standalone import main as verifier
from decision_engine.cli.audit import audit_app

runner = CliRunner()


def _invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(audit_app, [*args, "--database-url", url])
    return result.exit_code, result.stdout, result.stderr


def _record(store: Store, decisions: list[Made], start: int, count: int) -> list[str]:
    from decision_engine.audit import DecisionEntry

    entries = [DecisionEntry(m.decision, m.subject, "officer", "o", m.service_area)
               for m in decisions[start:start + count]]
    return [ref.id for ref in store.append_decisions(entries)]


def _all(store: Store) -> list[AuditRecord]:
    rows = store.db.query(f"SELECT {', '.join(COLUMNS)} FROM audit_records ORDER BY seq")
    return [AuditRecord.from_row(r) for r in rows]


@pytest.fixture
def key(tmp_path: Path) -> tuple[Path, Path]:
    result = runner.invoke(audit_app, ["keygen", "--out", str(tmp_path / "log")])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "log").stat().st_mode & 0o077 == 0  # private key: owner only
    return tmp_path / "log", tmp_path / "log.pub"


def test_every_record_proves_inclusion_against_a_signed_head(
        store_url: str, store: Store, decisions: list[Made], key: tuple[Path, Path],
        tmp_path: Path) -> None:
    ids = _record(store, decisions, 0, 11)  # one group commit
    store.append_final(ids[3], final_outcome=store.get(ids[3]).outcome,  # type: ignore[union-attr]
                       rationale=None, actor_role="panel", actor_id="p",
                       service_area=store.get(ids[3]).service_area)  # type: ignore[union-attr]
    ids += _record(store, decisions, 11, 6)
    records = _all(store)
    compact = CompactRange()
    for r in records:
        compact.append(leaf_hash(r.body_bytes()))
    assert store.tree_root() == (len(records), compact.root())

    code, out, err = _invoke(store_url, "sign-tree-head", "--key", str(key[0]),
                             "--out", str(tmp_path / "sth.json"))
    assert code == 0, err
    sth = json.loads(out)
    assert sth["tree_size"] == len(records) and sth["root_hash"] == compact.root().hex()
    for record in records:
        proof, leaf = tmp_path / "p.json", tmp_path / "leaf.bin"
        code, _, err = _invoke(store_url, "prove", record.id, "--out", str(proof),
                               "--leaf-out", str(leaf))
        assert code == 0, err
        assert leaf.read_bytes() == record.body_bytes()
        assert verifier(["inclusion", "--proof", str(proof), "--key", str(key[1]),
                         "--leaf", str(leaf)]) == 0
    # The decision's bytes changed by one character do not verify on the same proof.
    leaf.write_bytes(leaf.read_bytes().replace(b'"officer"', b'"officeR"', 1))
    assert verifier(["inclusion", "--proof", str(proof), "--key", str(key[1]),
                     "--leaf", str(leaf)]) == 1
    # Neither does a proof whose signed head was edited (root swapped for another).
    doc = json.loads(proof.read_text())
    doc["tree_head"]["tree_size"] -= 1
    doc["tree_size"] -= 1
    proof.write_text(json.dumps(doc))
    leaf.write_bytes(records[0].body_bytes())
    assert verifier(["inclusion", "--proof", str(proof), "--key", str(key[1]),
                     "--leaf", str(leaf)]) == 1
    # A record newer than the head is refused with the reason.
    newer = _record(store, decisions, 17, 1)[0]
    code, _, err = _invoke(store_url, "prove", newer)
    assert code == 1 and "newer than the tree head" in err
    assert store.verify().ok


def _rechain(rows: list[tuple[object, ...]], seq: int) -> list[dict[str, object]]:
    """*rows* (from record *seq* on) with record *seq* altered and every hash redone."""
    out = []
    prev = rows[0][COLUMNS.index("prev_hash")]
    for row in rows:
        columns = row_columns(row)  # the store's own decoding, as an attacker would
        if columns["seq"] == seq:
            columns["actor_id"] = "someone-else"
        columns["prev_hash"] = prev
        columns["hash"] = prev = record_hash(columns)
        out.append(columns)
    return out


def _rewrite(url: str, seq: int) -> None:
    """An attacker with database access (not the signing key) changes record *seq*,
    re-chains every later record, rebuilds the Merkle nodes and drops the stored heads."""
    raw = Raw(url)
    try:
        raw.disable_triggers()
        rows = raw.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_records "
                           "WHERE seq >= ? ORDER BY seq", (seq,))
        rechained = _rechain(rows, seq)
        for columns in rechained:  # fresh values first: the unique constraints hold
            raw.execute("UPDATE audit_records SET actor_id = ?, prev_hash = ?, hash = ? "
                        "WHERE seq = ?", (columns["actor_id"], "tmp-" + columns["hash"],
                                          "tmp-" + columns["hash"] + "-h", columns["seq"]))
        for columns in rechained:
            raw.execute("UPDATE audit_records SET prev_hash = ?, hash = ? WHERE seq = ?",
                        (columns["prev_hash"], columns["hash"], columns["seq"]))
        prev = rechained[-1]["hash"]
        raw.execute("UPDATE chain_head SET hash = ? WHERE id = 1", (prev,))
        raw.execute("DELETE FROM merkle_nodes")
        raw.execute("DELETE FROM tree_heads")
    finally:
        raw.close()
    with open_store(url) as store:
        store.build_tree()  # the attacker rebuilds the tree with the store's own code


def test_a_rewrite_after_a_published_tree_head_is_detected(
        store_url: str, store: Store, decisions: list[Made], key: tuple[Path, Path],
        tmp_path: Path) -> None:
    _record(store, decisions, 0, 9)
    published = tmp_path / "published.json"
    assert _invoke(store_url, "sign-tree-head", "--key", str(key[0]),
                   "--out", str(published))[0] == 0
    _record(store, decisions, 9, 5)
    code, _, err = _invoke(store_url, "sign-tree-head", "--key", str(key[0]))
    assert code == 0, err
    proof = tmp_path / "consistency.json"
    code, _, err = _invoke(store_url, "prove", "--from", "9", "--to", "14", "--out",
                           str(proof))
    assert code == 0, err
    assert verifier(["consistency", "--proof", str(proof), "--key", str(key[1])]) == 0
    assert _invoke(store_url, "verify", "--tree-head", str(published), "--key",
                   str(key[1]))[0] == 0

    store.close()
    _rewrite(store_url, 4)
    # The chain alone is consistent again: only the published head exposes the rewrite.
    code, out, _ = _invoke(store_url, "verify")
    assert code == 0, out
    code, out, _ = _invoke(store_url, "verify", "--tree-head", str(published))
    assert code == 1
    assert "rewritten after it was signed" in out and "seq 9" in out
    # The operator (holding the key, unaware) signs the rewritten log; the consistency
    # proof from the published head then fails in the standalone verifier.
    assert _invoke(store_url, "sign-tree-head", "--key", str(key[0]))[0] == 0
    code, _, err = _invoke(store_url, "prove", "--from", str(published), "--to", "14",
                           "--out", str(proof))
    assert code == 0, err
    assert verifier(["consistency", "--proof", str(proof), "--key", str(key[1])]) == 1


def test_verify_detects_altered_merkle_nodes_and_old_stores_catch_up(
        store_url: str, store: Store, decisions: list[Made]) -> None:
    _record(store, decisions, 0, 7)
    raw = Raw(store_url)
    try:
        if raw.pg is not None:
            raw.disable_triggers()  # this session only
        else:  # drop only the tree's guards: the chain's own triggers must keep working
            raw.execute("DROP TRIGGER merkle_nodes_no_update")
            raw.execute("DROP TRIGGER merkle_nodes_no_delete")
        raw.execute("UPDATE merkle_nodes SET hash = ? WHERE level = 1 AND idx = 1",
                    (b"\x07" * 32,))
        result = store.verify()
        assert not result.ok and "merkle_nodes disagree" in str(result.broken)
        # A store from before the tree (no nodes at all) is caught up by its next append.
        raw.execute("DELETE FROM merkle_nodes")
    finally:
        raw.close()
    assert store.verify().ok  # no nodes: nothing stored to disagree
    _record(store, decisions, 7, 2)
    assert store.verify().ok
    records = _all(store)
    compact = CompactRange()
    for r in records:
        compact.append(leaf_hash(r.body_bytes()))
    assert store.tree_root() == (9, compact.root())


def test_prove_and_sign_refuse_bad_input_clearly(store_url: str, store: Store,
                                                 decisions: list[Made],
                                                 key: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    ids = _record(store, decisions, 0, 3)
    code, _, err = _invoke(store_url, "prove", ids[0])
    assert code == 2 and "no signed tree head is stored yet" in err
    code, _, err = _invoke(store_url, "sign-tree-head", "--key", str(key[1]))
    assert code == 2 and "not an unencrypted PEM private key" in err
    assert _invoke(store_url, "sign-tree-head", "--key", str(key[0]))[0] == 0
    code, _, err = _invoke(store_url, "prove", "no-such-id")
    assert code == 1 and "no record with id no-such-id" in err
    code, _, err = _invoke(store_url, "prove", "--from", "2")
    assert code == 2 and "no signed tree head of 2 records" in err
    code, _, err = _invoke(store_url, "prove", ids[0], "--from", "2")
    assert code == 2
    result = runner.invoke(audit_app, ["keygen", "--out", str(key[0])])
    assert result.exit_code == 2 and "never overwritten" in result.stderr


def test_the_standalone_verifier_is_one_file_of_stdlib_and_cryptography(
        store_url: str, store: Store, decisions: list[Made], key: tuple[Path, Path],
        tmp_path: Path) -> None:
    import ast
    import shutil
    import subprocess
    import sys

    import decision_engine.audit.verifier_standalone as module

    source = Path(module.__file__)
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported - {"cryptography", "__future__"} <= set(sys.stdlib_module_names)

    ids = _record(store, decisions, 0, 5)
    assert _invoke(store_url, "sign-tree-head", "--key", str(key[0]))[0] == 0
    proof, leaf = tmp_path / "p.json", tmp_path / "leaf.bin"
    assert _invoke(store_url, "prove", ids[2], "--out", str(proof), "--leaf-out",
                   str(leaf))[0] == 0
    copy = tmp_path / "elsewhere" / "verify.py"
    copy.parent.mkdir()
    shutil.copy(source, copy)
    ran = subprocess.run([sys.executable, "-I", str(copy), "inclusion", "--proof", str(proof),
                          "--key", str(key[1]), "--leaf", str(leaf)],
                         capture_output=True, text=True, cwd=copy.parent, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("ok: these") and "record 3 of the log's first 5" in ran.stdout
