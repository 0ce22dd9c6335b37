"""The chain itself: the store's connection, chaining a draft onto the head, the head.

Every append runs in one transaction that holds the chain-head lock
(:meth:`Database.write`), computes the new record's hash over its canonical body
(including the previous hash), inserts it and commits; only then is a
:class:`RecordRef` returned. A caller that got a ``RecordRef`` therefore holds a record
that survives a crash of this process, of the database server (PostgreSQL) or of the
machine (SQLite ``synchronous=FULL``). The other parts of :class:`Store` build on
:class:`ChainStore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from decision_engine.audit import codec, tree
from decision_engine.audit.canonical import GENESIS_HASH, canonical_fast, sha256_hex
from decision_engine.audit.db import Database
from decision_engine.audit.drafts import Draft
from decision_engine.audit.merkle import leaf_hash
from decision_engine.audit.records import (
    COLUMNS,
    AuditRecord,
    Checkpoint,
    VerifyResult,
    hashed_body,
)
from decision_engine.audit.validation import utc_now

if TYPE_CHECKING:
    from decision_engine.audit.verify import TreeHeadLike

SELECT = ", ".join(COLUMNS)
INSERT = (f"INSERT INTO audit_records ({SELECT}) "
          f"VALUES ({', '.join('?' for _ in COLUMNS)})")


class ChainStore:
    """The connection, the lifecycle and the chaining every kind of record shares."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- lifecycle ----------------------------------------------------------------------
    @property
    def backend(self) -> str:
        return self.db.backend

    @property
    def url(self) -> str:
        """The database URL without any password."""
        return self.db.url.redacted

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- chaining (call inside ``self.db.write()``) -------------------------------------
    def _row(self, head: tuple[int, str], draft: Draft) -> tuple[list[Any], bytes]:
        """The column values of *draft* chained onto *head* (``COLUMNS`` order), and its
        Merkle leaf hash (over the same canonical body the chain hash covers)."""
        columns: dict[str, Any] = {
            "seq": head[0] + 1, "id": draft.id, "kind": draft.kind, "recorded_at": utc_now(),
            "service_area": draft.service_area, "actor_role": draft.actor_role,
            "actor_id": draft.actor_id, "pseudonym": draft.pseudonym,
            "subject_digest": draft.subject_digest, "ref_id": draft.ref_id,
            "family": draft.family, "policy_version": draft.policy_version,
            "policy_sha256": draft.policy_sha256, "decision_date": draft.decision_date,
            "outcome": draft.outcome, "input": draft.input, "output": draft.output,
            "detail": canonical_fast(draft.detail).decode("utf-8"), "prev_hash": head[1],
        }
        body = hashed_body(columns)
        columns["hash"] = sha256_hex(body)
        if draft.packed is not None:  # compressed when it was prepared
            columns.update(zip(codec.PACKED_COLUMNS, draft.packed, strict=True))
        else:
            for name in codec.PACKED_COLUMNS:  # stored compressed; the hash is over the text
                if columns[name] is not None:
                    columns[name] = codec.pack(columns[name])
        return [columns[name] for name in COLUMNS], leaf_hash(body)

    def _insert_rows(self, rows: Sequence[Sequence[Any]], leaves: Sequence[bytes]) -> None:
        """Insert chained rows and the Merkle nodes they complete (same transaction)."""
        # One batched statement (a pipeline on PostgreSQL); the insert trigger still
        # checks that each row extends the head left by the one before.
        self.db.executemany(INSERT, rows)
        tree.extend(self.db, int(rows[0][0]) - 1, leaves)

    def _insert(self, head: tuple[int, str], draft: Draft) -> tuple[int, str]:
        row, leaf = self._row(head, draft)
        self._insert_rows([row], [leaf])
        return row[0], row[-1]

    # -- lookups every part needs -------------------------------------------------------
    def _get(self, record_id: str) -> AuditRecord | None:
        row = self.db.query_one(f"SELECT {SELECT} FROM audit_records WHERE id = ?",
                                (record_id,))
        return None if row is None else AuditRecord.from_row(row)

    def _identifiers(self, record_ids: Sequence[str]) -> list[tuple[str | None, str | None]]:
        """``(case_reference, date_of_birth)`` behind *record_ids*, to keep them out of
        free text (:func:`~decision_engine.audit.validation.reject_identifiers`)."""
        marks = ", ".join("?" for _ in record_ids)
        rows = self.db.query(
            "SELECT s.case_reference, s.date_of_birth FROM audit_records r "
            f"JOIN subjects s ON s.pseudonym = r.pseudonym WHERE r.id IN ({marks})",
            list(record_ids))
        return [(r[0], r[1]) for r in rows]

    def get(self, record_id: str, service_area: str | None = None) -> AuditRecord | None:
        """A record by id, or ``None`` (also when it belongs to another service area, so
        a scoped caller cannot learn that it exists). Not logged: see :meth:`read`."""
        record = self._get(record_id)
        if record is None or (service_area is not None and record.service_area != service_area):
            return None
        return record

    def backup(self, target: Path) -> int:
        """Consistent online copy (SQLite backup API); returns the records it holds."""
        return self.db.backup(target)

    # -- integrity ----------------------------------------------------------------------
    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the newest record (``(0, GENESIS_HASH)`` when empty)."""
        row = self.db.query_one("SELECT seq, hash FROM chain_head WHERE id = 1")
        assert row is not None
        return int(row[0]), str(row[1])

    def checkpoint(self, verified: VerifyResult | None = None) -> Checkpoint:
        """The chain head, to be kept where an attacker on this host cannot reach it.

        Pass the result of :meth:`verify` to checkpoint exactly the head that was verified
        (records appended since are left for the next checkpoint).
        """
        if verified is not None:
            return Checkpoint(seq=verified.head_seq, hash=verified.head_hash,
                              count=verified.records, created_at=utc_now())
        row = self.db.query_one(  # one statement: head and count from the same state
            "SELECT r.seq, r.hash, (SELECT count(*) FROM audit_records) FROM audit_records r "
            "ORDER BY r.seq DESC LIMIT 1")
        if row is None:
            return Checkpoint(seq=0, hash=GENESIS_HASH, count=0, created_at=utc_now())
        return Checkpoint(seq=int(row[0]), hash=str(row[1]), count=int(row[2]),
                          created_at=utc_now())

    def verify(self, against: Sequence[Checkpoint] = (),
               tree_heads: Sequence[TreeHeadLike] = ()) -> VerifyResult:
        """Walk the whole chain; see :func:`decision_engine.audit.verify.verify_store`."""
        from decision_engine.audit.verify import verify_store

        return verify_store(self.db, against, tree_heads)
