"""Verification: walk the chain, name the first broken record.

Checks, in chain order: seq numbers are contiguous from 1 (a gap means deletion); each
``prev_hash`` equals the previous record's hash (deletion, reordering, insertion); each
record's hash equals SHA-256 of its canonical body (any changed byte); decision records
agree with their own output; checkpoints taken earlier still match (a rewrite of the
whole chain). Then the chain head table must point at the last record (tail deletion),
and every subject's identifiers must match the salted digest chained with its decision.
Last, the database's own integrity check (:mod:`.integrity`) looks at what the chain
cannot see: indexes and pages.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Sequence
from contextlib import closing
from typing import Any

from decision_engine.audit.canonical import GENESIS_HASH
from decision_engine.audit.db import Database, Snapshot
from decision_engine.audit.drafts import subject_digest
from decision_engine.audit.integrity import check_database
from decision_engine.audit.records import (
    COLUMNS,
    KINDS,
    Broken,
    Checkpoint,
    VerifyResult,
    record_hash,
)

_MAX_SUBJECT_PROBLEMS = 20

SUBJECTS_SQL = (
    "SELECT s.pseudonym, s.salt, s.case_reference, s.date_of_birth, s.monitoring, "
    "s.erased_at, s.erasure_id, r.subject_digest, r.seq, e.pseudonym, s.created_at, "
    "r.recorded_at "
    "FROM subjects s "
    "LEFT JOIN audit_records r ON r.pseudonym = s.pseudonym AND r.kind = 'decision' "
    "LEFT JOIN audit_records e ON e.id = s.erasure_id AND e.kind = 'erasure' "
    "ORDER BY s.pseudonym")
"""Every subject with its decision and erasure record (query plan tested: it must look
decisions up by pseudonym, or verification turns quadratic)."""


class _Bad(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _normalise(row: Sequence[Any]) -> dict[str, Any]:
    """Column dict with text decoded; raises ``_Bad`` for bytes that are not UTF-8."""
    out: dict[str, Any] = {}
    for name, value in zip(COLUMNS, row, strict=True):
        if isinstance(value, bytes | bytearray | memoryview):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise _Bad(f"column {name} is not valid UTF-8 (altered)") from None
        if name == "seq":
            if not isinstance(value, int) or isinstance(value, bool):
                raise _Bad("seq is not an integer (altered)")
        elif value is not None and not isinstance(value, str):
            raise _Bad(f"column {name} holds a {type(value).__name__}, not text (altered)")
        out[name] = value
    return out


def _check_decision(columns: dict[str, Any]) -> None:
    """A decision record's columns must agree with its own output (hash already good)."""
    try:
        output = json.loads(columns["output"])
        facts = json.loads(columns["input"])
        policy = output["policy"]
        expected = {"family": policy["family"], "policy_version": policy["version"],
                    "policy_sha256": policy["sha256"],
                    "decision_date": output["decision_date"], "outcome": output["outcome"]}
    except (TypeError, ValueError, KeyError):
        raise _Bad("decision output/input is not a well-formed decision") from None
    for name, value in expected.items():
        if columns[name] != value:
            raise _Bad(f"column {name} disagrees with the stored decision output")
    if facts != output.get("input"):
        raise _Bad("input column disagrees with the stored decision output")


def walk(rows: Iterable[Sequence[Any]], against: Sequence[Checkpoint] = (),
         start: tuple[int, str] = (0, GENESIS_HASH),
         ) -> tuple[int, str, int, Broken | None]:
    """Verify *rows* (``COLUMNS`` order, chain order); pure, so tests can feed it directly.

    ``start`` is the ``(seq, hash)`` the rows continue from (a trusted earlier record).
    Returns ``(last_seq, last_hash, count, first_broken)`` — it stops at the first break.
    """
    wanted: dict[int, list[Checkpoint]] = {}
    for cp in against:
        if cp.seq > start[0]:
            wanted.setdefault(cp.seq, []).append(cp)
    (prev_seq, prev_hash), count = start, 0
    for row in rows:
        seq = row[0] if isinstance(row[0], int) else prev_seq + 1
        record_id: str | None = None
        try:
            columns = _normalise(row)
            record_id = columns["id"]
            seq = columns["seq"]
            if seq != prev_seq + 1:
                raise _Bad(f"expected seq {prev_seq + 1}: records missing or reordered")
            if columns["prev_hash"] != prev_hash:
                raise _Bad(f"prev_hash does not match the hash of record seq {prev_seq}: "
                           "records deleted, reordered or altered")
            if record_hash(columns) != columns["hash"]:
                raise _Bad("content does not match its hash: the record was altered")
            if columns["kind"] not in KINDS:
                raise _Bad(f"unknown kind {columns['kind']!r}")
            if columns["kind"] == "decision":
                _check_decision(columns)
            for cp in wanted.pop(seq, []):
                if cp.hash != columns["hash"]:
                    raise _Bad(f"hash differs from the checkpoint of {cp.created_at}: "
                               "the chain was rewritten")
        except _Bad as bad:
            return prev_seq, prev_hash, count, Broken(seq, record_id, bad.why)
        prev_seq, prev_hash, count = seq, columns["hash"], count + 1
    for seq in sorted(wanted):
        cp = wanted[seq][0]
        return prev_seq, prev_hash, count, Broken(
            seq, None, f"checkpoint of {cp.created_at} has seq {seq} but the chain ends at "
            f"seq {prev_seq}: records deleted or the chain rewritten")
    return prev_seq, prev_hash, count, None


def _check_head(head: Sequence[Any] | None, last_seq: int, last_hash: str) -> Broken | None:
    if head is None:
        return Broken(last_seq + 1, None, "chain_head row is missing")
    head_seq, head_hash = int(head[0]), str(_txt(head[1]))
    if head_seq > last_seq:
        return Broken(last_seq + 1, None, f"chain head says seq {head_seq} but the chain ends "
                      f"at seq {last_seq}: the newest records were deleted")
    if head_seq < last_seq:
        return Broken(head_seq + 1, None, f"records after the chain head (seq {head_seq}) "
                      "were inserted behind the database's back")
    if head_hash != last_hash:
        return Broken(last_seq, None, "chain head hash differs from the last record's hash")
    return None


def _txt(value: Any) -> Any:
    """Decode raw SQLite text for reporting; undecodable bytes become U+FFFD."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return value


def _subject_problems(snap: Snapshot) -> Generator[str, None, None]:
    clock = snap.query("SELECT exact_after_seq FROM subject_clock WHERE id = 1")
    if not clock:
        yield "subject_clock row is missing (deleted behind the store's back)"
    exact_after = int(clock[0][0]) if clock else 0
    rows = snap.stream(SUBJECTS_SQL)
    with closing(rows):
        for row in rows:
            (pseudonym, salt, case_reference, dob, monitoring, erased_at, erasure_id, digest,
             seq, erased_pseudonym, created_at, recorded_at) = (_txt(v) for v in row)
            if seq is None:
                yield f"subject {pseudonym}: no decision record carries this pseudonym"
                continue
            if (created_at != recorded_at if int(seq) > exact_after
                    else not str(created_at) <= str(recorded_at)):
                yield (f"subject {pseudonym} (decision seq {seq}): created_at "
                       f"{created_at} does not match its decision's recorded_at (altered)")
            if erased_at is None:
                try:
                    ok = digest == subject_digest(salt, case_reference, dob,
                                                  json.loads(monitoring))
                except (TypeError, ValueError, AttributeError):
                    ok = False
                if not ok:
                    yield (f"subject {pseudonym} (decision seq {seq}): identifiers do not "
                           "match the digest chained with the decision (altered or swapped)")
            elif erasure_id is None or erased_pseudonym != pseudonym:
                yield f"subject {pseudonym}: marked erased but no matching erasure record"
    orphans = snap.stream(
        "SELECT r.seq, r.pseudonym FROM audit_records r LEFT JOIN subjects s "
        "ON s.pseudonym = r.pseudonym WHERE r.kind = 'decision' AND r.pseudonym IS NOT NULL "
        f"AND s.pseudonym IS NULL ORDER BY r.seq LIMIT {_MAX_SUBJECT_PROBLEMS}")
    with closing(orphans):
        for seq, pseudonym in orphans:
            yield f"decision seq {seq}: subject row for pseudonym {_txt(pseudonym)} was deleted"


def verify_store(db: Database, against: Sequence[Checkpoint] = ()) -> VerifyResult:
    """Full verification of the store behind *db*, all from one snapshot, so appends
    made meanwhile by other processes cannot be mistaken for tampering."""
    with db.snapshot(raw_text=True) as snap:
        heads = snap.query("SELECT seq, hash FROM chain_head WHERE id = 1")
        rows = snap.stream(f"SELECT {', '.join(COLUMNS)} FROM audit_records ORDER BY seq")
        with closing(rows):
            last_seq, last_hash, count, broken = walk(rows, against)
        if broken is None:
            broken = _check_head(heads[0] if heads else None, last_seq, last_hash)
        problems: list[str] = []
        with closing(_subject_problems(snap)) as found:
            for problem in found:
                problems.append(problem)
                if len(problems) >= _MAX_SUBJECT_PROBLEMS:
                    break
    database = check_database(db)
    return VerifyResult(records=count, head_seq=last_seq, head_hash=last_hash, broken=broken,
                        subject_problems=tuple(problems), database_check=database.check,
                        database_problems=database.problems)
