"""The audit store: appends chained records, reads them back, erases identifiers.

Every append runs in one transaction that holds the chain-head lock, computes the new
record's hash over its canonical body (including the previous hash), inserts it and
commits; only then is a :class:`RecordRef` returned. A caller that got a ``RecordRef``
therefore holds a decision that survives a crash of this process, of the database
server (PostgreSQL) or of the machine (SQLite ``synchronous=FULL``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from decision_engine.audit.canonical import (
    GENESIS_HASH,
    canonical,
    canonical_fast,
    fast_json,
    parse_canonical,
    sha256_hex,
)
from decision_engine.audit.config import Retention, database_url
from decision_engine.audit.db import Database, open_database
from decision_engine.audit.errors import AuditValidationError, RecordNotFound
from decision_engine.audit.migrate import migrate
from decision_engine.audit.records import (
    COLUMNS,
    AuditRecord,
    Checkpoint,
    DecisionLike,
    RecordFilter,
    RecordRef,
    SubjectLike,
    SubjectRecord,
    VerifyResult,
    record_hash,
)
from decision_engine.engine.decision import Decision, canonical_bytes

SELECT = ", ".join(COLUMNS)
_INSERT = (f"INSERT INTO audit_records ({SELECT}) "
           f"VALUES ({', '.join('?' for _ in COLUMNS)})")
_MAX_TEXT = 256
_MAX_FREE_TEXT = 4000
_MAX_IDS_PER_ACCESS = 1000
_ERASE_BATCH = 500

ERASE_LOOKUP_SQL = (
    "SELECT s.pseudonym, s.erased_at, s.case_reference, s.date_of_birth, r.id, "
    "r.service_area FROM subjects s LEFT JOIN audit_records r "
    "ON r.pseudonym = s.pseudonym AND r.kind = 'decision' WHERE s.pseudonym IN ({marks})")

AccessAction = Literal["read", "list", "export", "replay"]
ErasureReason = Literal["retention", "request"]


def utc_now() -> str:
    """Record timestamps: UTC, microseconds, ``Z`` — sortable as text on both backends."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(field_name: str, value: object, *, free_text: bool = False) -> str:
    """Validate an identifier-like string (or, with ``free_text``, a multi-line text)."""
    max_len = _MAX_FREE_TEXT if free_text else _MAX_TEXT
    if not isinstance(value, str) or not value.strip():
        raise AuditValidationError(field_name, "must be a non-empty string")
    if len(value) > max_len:
        raise AuditValidationError(field_name, f"longer than {max_len} characters")
    if not free_text and any(ord(ch) < 32 for ch in value):
        raise AuditValidationError(field_name, "contains control characters")
    return value


def _dob_spellings(iso: str) -> list[str]:
    day = dt.date.fromisoformat(iso)
    d, m, y = day.day, day.month, day.year
    return [iso, f"{d:02d}/{m:02d}/{y}", f"{d}/{m}/{y}", f"{d:02d}-{m:02d}-{y}",
            f"{d:02d}.{m:02d}.{y}", f"{m:02d}/{d:02d}/{y}"]


def _reject_identifiers(field_name: str, text: str,
                        identifiers: Iterable[tuple[str | None, str | None]]) -> None:
    """Free text goes into the permanent chain; refuse it if it names the child.

    Erasure could not remove it later, so a case reference or date of birth in a
    rationale or justification is refused rather than stored.
    """
    folded = text.casefold()
    for case_reference, date_of_birth in identifiers:
        if case_reference and case_reference.casefold() in folded:
            raise AuditValidationError(field_name, "must not contain the case reference "
                                       "(it would outlive erasure)")
        if date_of_birth and any(s in text for s in _dob_spellings(date_of_birth)):
            raise AuditValidationError(field_name, "must not contain the date of birth "
                                       "(it would outlive erasure)")


def subject_digest(salt: str, case_reference: str, date_of_birth: str | None,
                   monitoring: Mapping[str, str]) -> str:
    """Salted digest binding a pseudonym's identifiers into the chain.

    ``verify`` recomputes it, so identifiers that are altered or swapped between
    pseudonyms are detected. The salt is erased with the identifiers, after which the
    digest is a random-looking value that reveals nothing.
    """
    return sha256_hex(canonical_fast({"salt": salt, "case_reference": case_reference,
                                      "date_of_birth": date_of_birth,
                                      "monitoring": dict(monitoring)}))


@dataclass(frozen=True, slots=True)
class DecisionEntry:
    """One decision for :meth:`Store.append_decisions`."""

    decision: DecisionLike
    subject: SubjectLike | None
    actor_role: str
    actor_id: str
    service_area: str


@dataclass(frozen=True, slots=True)
class PreparedDecision:
    """A decision validated and encoded for :meth:`Store.append_decisions`, made by
    :meth:`Store.prepare_decision` without touching the database. Append it once."""

    draft: _Draft
    subject_row: tuple[Any, ...] | None


@dataclass(slots=True)
class _Draft:
    """A record before the chain assigns its seq, prev_hash and hash."""

    kind: str
    service_area: str
    actor_role: str
    actor_id: str
    detail: dict[str, Any]
    pseudonym: str | None = None
    subject_digest: str | None = None
    ref_id: str | None = None
    family: str | None = None
    policy_version: str | None = None
    policy_sha256: str | None = None
    decision_date: str | None = None
    outcome: str | None = None
    input: str | None = None
    output: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


def _parse_decision(decision: DecisionLike) -> dict[str, str]:
    """The columns a decision contributes, from its canonical JSON."""
    if type(decision) is Decision:
        return _engine_decision(decision)
    raw = decision.canonical_json()
    try:
        obj, simple = parse_canonical(raw)
    except (TypeError, ValueError):
        raise AuditValidationError("decision", "canonical_json() is not RFC 8785 JSON") from None
    if not isinstance(obj, dict):
        raise AuditValidationError("decision", "canonical_json() is not a JSON object")
    policy = obj.get("policy")
    facts = obj.get("input")
    if not isinstance(policy, dict) or not isinstance(facts, dict):
        raise AuditValidationError("decision", "needs 'policy' and 'input' objects")
    fields: dict[str, str] = {}
    for name, value in (("family", policy.get("family")),
                        ("policy_version", policy.get("version")),
                        ("policy_sha256", policy.get("sha256")),
                        ("decision_date", obj.get("decision_date")),
                        ("outcome", obj.get("outcome"))):
        if not isinstance(value, str) or not value:
            raise AuditValidationError(f"decision.{name}", "missing or not a string")
        fields[name] = value
    try:
        dt.date.fromisoformat(fields["decision_date"])
    except ValueError:
        raise AuditValidationError("decision.decision_date", "not an ISO date") from None
    facts_json = fast_json(facts) if simple else canonical(facts)
    return {**fields, "input": facts_json.decode("utf-8"), "output": raw.decode("utf-8")}


def _engine_decision(decision: Decision) -> dict[str, str]:
    """The same columns, read straight off a Decision the engine built.

    The engine's own decisions hold only validated facts (strings, integers, booleans,
    ASCII keys), so re-parsing their 5 KB canonical JSON to check it, ~15 % of the CPU
    of a recorded API decision, proves nothing new; other DecisionLike objects still go
    through the full check above. tests/audit/test_audit_store.py covers both paths.
    """
    return {
        "family": decision.policy.family,
        "policy_version": decision.policy.version,
        "policy_sha256": decision.policy.sha256,
        "decision_date": decision.decision_date.isoformat(),
        "outcome": decision.outcome,
        "input": canonical_bytes(decision.input).decode("utf-8"),
        "output": decision.canonical_json().decode("utf-8"),
    }


class Store:
    """Append-only, hash-chained store of decisions. Create with :func:`open_store`."""

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

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- appends ------------------------------------------------------------------------
    def _row(self, head: tuple[int, str], draft: _Draft) -> list[Any]:
        """The column values of *draft* chained onto *head* (``COLUMNS`` order)."""
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
        columns["hash"] = record_hash(columns)
        return [columns[name] for name in COLUMNS]

    def _insert(self, head: tuple[int, str], draft: _Draft) -> tuple[int, str]:
        row = self._row(head, draft)
        self.db.execute(_INSERT, row)
        return row[0], row[-1]

    def append_decision(self, decision: DecisionLike, subject: SubjectLike | None, *,
                        actor_role: str, actor_id: str, service_area: str) -> RecordRef:
        """Record an engine decision; the subject's identifiers go to ``subjects``.

        Returns only after COMMIT. Each decision gets its own random pseudonym, so
        identifiers can be erased per decision when its family's retention ends.
        """
        return self.append_decisions([DecisionEntry(decision, subject, actor_role, actor_id,
                                                    service_area)])[0]

    def append_decisions(self, entries: Sequence[DecisionEntry | PreparedDecision],
                         ) -> list[RecordRef]:
        """Record several decisions in one transaction (group commit): one fsync for all.

        All are validated first; then either all are committed or none. Every returned
        ref is acknowledged only after that single COMMIT. This is how a busy service
        gets far more than one decision per disk flush without weakening durability.
        Entries may be prepared already (:meth:`prepare_decision`), which keeps the
        encoding work out of the committing thread.
        """
        prepared = [e if isinstance(e, PreparedDecision) else self.prepare_decision(e)
                    for e in entries]
        refs: list[RecordRef] = []
        with self.db.write() as head:
            subject_rows = [p.subject_row for p in prepared if p.subject_row is not None]
            if subject_rows:
                self.db.executemany(
                    "INSERT INTO subjects (pseudonym, salt, case_reference, date_of_birth, "
                    "monitoring, created_at) VALUES (?, ?, ?, ?, ?, ?)", subject_rows)
            rows = []
            for p in prepared:
                row = self._row(head, p.draft)
                head = (row[0], row[-1])
                rows.append(row)
                refs.append(RecordRef(p.draft.id, head[0], head[1]))
            # One batched statement (a pipeline on PostgreSQL); the insert trigger still
            # checks that each row extends the head left by the one before.
            self.db.executemany(_INSERT, rows)
        return refs

    @staticmethod
    def prepare_decision(entry: DecisionEntry) -> PreparedDecision:
        """Validate and encode *entry* (canonical JSON, subject digest) without the
        database; raises :class:`AuditValidationError` for a bad entry."""
        return PreparedDecision(*Store._prepare(entry))

    @staticmethod
    def _prepare(entry: DecisionEntry) -> tuple[_Draft, tuple[Any, ...] | None]:
        fields = _parse_decision(entry.decision)
        draft = _Draft(kind="decision", service_area=_text("service_area", entry.service_area),
                       actor_role=_text("actor_role", entry.actor_role),
                       actor_id=_text("actor_id", entry.actor_id), detail={}, **fields)
        subject = entry.subject
        if subject is None:
            return draft, None
        case_reference = _text("subject.case_reference", subject.case_reference)
        dob = subject.date_of_birth.isoformat() if subject.date_of_birth else None
        monitoring = {str(k): str(v) for k, v in dict(subject.monitoring).items()}
        salt = secrets.token_hex(16)
        draft.pseudonym = secrets.token_hex(16)
        draft.subject_digest = subject_digest(salt, case_reference, dob, monitoring)
        return draft, (draft.pseudonym, salt, case_reference, dob,
                       canonical_fast(monitoring).decode("utf-8"), utc_now())

    def append_final(self, decision_id: str, final_outcome: str, rationale: str | None, *,
                     actor_role: str, actor_id: str, service_area: str) -> RecordRef:
        """Record a panel's final choice for a decision.

        A rationale is required when the final outcome departs from the recommendation,
        and when it replaces an earlier final decision (the earlier one stays on record;
        the latest is current). The decision must exist in the caller's service area.
        """
        final_outcome = _text("final_outcome", final_outcome)
        actor_role = _text("actor_role", actor_role)
        actor_id = _text("actor_id", actor_id)
        service_area = _text("service_area", service_area)
        reason = rationale.strip() if isinstance(rationale, str) and rationale.strip() else None
        if reason is not None:
            _text("rationale", reason, free_text=True)
        with self.db.write() as head:
            decision = self._get(decision_id)
            if (decision is None or decision.kind != "decision"
                    or decision.service_area != service_area):
                raise RecordNotFound(decision_id)
            previous = self.db.query_one(
                "SELECT id FROM audit_records WHERE ref_id = ? AND kind = 'final_decision' "
                "ORDER BY seq DESC LIMIT 1", (decision_id,))
            departs = final_outcome != decision.outcome
            if reason is None and departs:
                raise AuditValidationError("rationale", "required when the final outcome "
                                           "departs from the recommendation")
            if reason is None and previous is not None:
                raise AuditValidationError("rationale", "required when replacing an earlier "
                                           "final decision")
            if reason is not None:
                _reject_identifiers("rationale", reason, self._identifiers([decision_id]))
            draft = _Draft(
                kind="final_decision", service_area=service_area, actor_role=actor_role,
                actor_id=actor_id, ref_id=decision_id, pseudonym=decision.pseudonym,
                family=decision.family, policy_version=decision.policy_version,
                policy_sha256=decision.policy_sha256, decision_date=decision.decision_date,
                outcome=final_outcome,
                detail={"recommended_outcome": decision.outcome,
                        "departs_from_recommendation": departs, "rationale": reason,
                        "supersedes": None if previous is None else str(previous[0])})
            seq, digest = self._insert(head, draft)
        return RecordRef(draft.id, seq, digest)

    def log_access(self, *, actor_role: str, actor_id: str, service_area: str,
                   justification: str, action: AccessAction = "read",
                   record_ids: Sequence[str] = (),
                   query: Mapping[str, str] | None = None) -> RecordRef:
        """Record that stored decisions were read, listed, exported or replayed.

        Call it *before* disclosing anything: if logging fails, nothing is disclosed.
        One record per call; ``record_ids`` (up to 1000) names what was read, ``query``
        describes a bulk selection, and ``through_seq`` (the chain head at the time)
        pins down exactly which records a query could have returned.
        """
        justification = _text("justification", justification, free_text=True)
        ids = [_text("record_ids", r) for r in record_ids]
        if len(ids) > _MAX_IDS_PER_ACCESS:
            raise AuditValidationError("record_ids", f"more than {_MAX_IDS_PER_ACCESS}; "
                                       "log a query instead")
        draft = _Draft(kind="access", service_area=_text("service_area", service_area),
                       actor_role=_text("actor_role", actor_role),
                       actor_id=_text("actor_id", actor_id),
                       ref_id=ids[0] if len(ids) == 1 else None, detail={})
        with self.db.write() as head:
            if ids:
                _reject_identifiers("justification", justification, self._identifiers(ids))
            draft.detail = {"action": action, "justification": justification,
                            "record_ids": ids, "query": dict(query or {}),
                            "through_seq": head[0]}
            seq, digest = self._insert(head, draft)
        return RecordRef(draft.id, seq, digest)

    def erase(self, pseudonyms: Iterable[str], *, reason: ErasureReason, justification: str,
              actor_role: str, actor_id: str, retention: str | None = None) -> list[RecordRef]:
        """Erase the identifiers behind each pseudonym and chain an ``erasure`` record.

        The subject row keeps its pseudonym with every identifier (and the digest salt)
        set to NULL; the decision record is untouched, so the chain still verifies and
        the decision still replays. Already-erased pseudonyms are skipped; an unknown
        one raises :class:`RecordNotFound` before anything is erased in its batch.
        """
        justification = _text("justification", justification, free_text=True)
        actor_role = _text("actor_role", actor_role)
        actor_id = _text("actor_id", actor_id)
        if reason not in ("retention", "request"):
            raise AuditValidationError("reason", "must be 'retention' or 'request'")
        todo = list(dict.fromkeys(pseudonyms))
        refs: list[RecordRef] = []
        for start in range(0, len(todo), _ERASE_BATCH):
            refs.extend(self._erase_batch(todo[start:start + _ERASE_BATCH], reason,
                                          justification, actor_role, actor_id, retention))
        if refs:
            self.db.after_erasure()
        return refs

    def _erase_batch(self, batch: list[str], reason: str, justification: str,
                     actor_role: str, actor_id: str, retention: str | None) -> list[RecordRef]:
        marks = ", ".join("?" for _ in batch)
        done: list[RecordRef] = []
        with self.db.write() as head:
            rows = self.db.query(ERASE_LOOKUP_SQL.format(marks=marks), batch)
            found = {str(row[0]): row for row in rows}
            for pseudonym in batch:
                if pseudonym not in found:
                    raise RecordNotFound(pseudonym)
            _reject_identifiers("justification", justification,
                                [(r[2], r[3]) for r in rows])
            erased_at = utc_now()
            for pseudonym in batch:
                _, already, _, _, decision_id, area = found[pseudonym]
                if already is not None:
                    continue
                draft = _Draft(kind="erasure", service_area=str(area or "unknown"),
                               actor_role=actor_role, actor_id=actor_id, pseudonym=pseudonym,
                               ref_id=decision_id,
                               detail={"reason": reason, "justification": justification,
                                       "retention": retention,
                                       "erased": ["case_reference", "date_of_birth",
                                                  "monitoring"]})
                self.db.execute(
                    "UPDATE subjects SET salt = NULL, case_reference = NULL, "
                    "date_of_birth = NULL, monitoring = NULL, erased_at = ?, erasure_id = ? "
                    "WHERE pseudonym = ?", (erased_at, draft.id, pseudonym))
                head = self._insert(head, draft)
                done.append(RecordRef(draft.id, head[0], head[1]))
        return done

    # -- reads --------------------------------------------------------------------------
    def _get(self, record_id: str) -> AuditRecord | None:
        row = self.db.query_one(f"SELECT {SELECT} FROM audit_records WHERE id = ?",
                                (record_id,))
        return None if row is None else AuditRecord.from_row(row)

    def _identifiers(self, record_ids: Sequence[str]) -> list[tuple[str | None, str | None]]:
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

    def read(self, record_id: str, *, actor_role: str, actor_id: str, service_area: str | None,
             justification: str) -> AuditRecord:
        """Log the access, then return the record (``service_area=None``: any area).

        Raises :class:`RecordNotFound` (after logging the attempt) when absent or out of
        area.
        """
        self.log_access(actor_role=actor_role, actor_id=actor_id,
                        service_area=service_area or "*", justification=justification,
                        record_ids=[record_id])
        record = self.get(record_id, service_area)
        if record is None:
            raise RecordNotFound(record_id)
        return record

    def finals_for(self, decision_id: str) -> list[AuditRecord]:
        """Final-decision records answering *decision_id*, oldest first (last = current)."""
        rows = self.db.query(f"SELECT {SELECT} FROM audit_records WHERE ref_id = ? AND "
                             "kind = 'final_decision' ORDER BY seq", (decision_id,))
        return [AuditRecord.from_row(r) for r in rows]

    def list_records(self, flt: RecordFilter = RecordFilter(), *, after_seq: int = 0,
                     limit: int = 100) -> list[AuditRecord]:
        """One page of records in chain order; pass the last ``seq`` as ``after_seq``."""
        if not 1 <= limit <= 1000:
            raise AuditValidationError("limit", "must be between 1 and 1000")
        where, params = flt.where()
        rows = self.db.query(f"SELECT {SELECT} FROM audit_records WHERE {where} AND seq > ? "
                             "ORDER BY seq LIMIT ?", [*params, after_seq, limit])
        return [AuditRecord.from_row(r) for r in rows]

    def count(self, flt: RecordFilter = RecordFilter()) -> int:
        where, params = flt.where()
        row = self.db.query_one(f"SELECT count(*) FROM audit_records WHERE {where}", params)
        return int(row[0]) if row else 0

    def iter_records(self, flt: RecordFilter = RecordFilter(kind=None), *,
                     batch: int = 2000) -> Iterator[AuditRecord]:
        """Stream records in chain order from one snapshot (separate connection)."""
        where, params = flt.where()
        for row in self.db.stream(f"SELECT {SELECT} FROM audit_records WHERE {where} "
                                  "ORDER BY seq", params, batch=batch):
            yield AuditRecord.from_row(row)

    def iter_decisions_with_final(
        self, flt: RecordFilter = RecordFilter(), *, batch: int = 2000,
    ) -> Iterator[tuple[AuditRecord, AuditRecord | None]]:
        """Decisions in chain order, each with its current final decision (if any)."""
        where, params = RecordFilter(**{**_fields(flt), "kind": "decision"}).where("d")
        d_cols = ", ".join(f"d.{c}" for c in COLUMNS)
        f_cols = ", ".join(f"f.{c}" for c in COLUMNS)
        sql = (f"SELECT {d_cols}, {f_cols} FROM audit_records d LEFT JOIN audit_records f "
               "ON f.seq = (SELECT max(x.seq) FROM audit_records x WHERE x.ref_id = d.id "
               f"AND x.kind = 'final_decision') WHERE {where} ORDER BY d.seq")
        width = len(COLUMNS)
        for row in self.db.stream(sql, params, batch=batch):
            final = None if row[width] is None else AuditRecord.from_row(row[width:])
            yield AuditRecord.from_row(row[:width]), final

    def subject(self, pseudonym: str) -> SubjectRecord | None:
        """The identifiers behind a pseudonym (``None`` fields once erased)."""
        row = self.db.query_one(
            "SELECT pseudonym, case_reference, date_of_birth, monitoring, created_at, "
            "erased_at, erasure_id FROM subjects WHERE pseudonym = ?", (pseudonym,))
        if row is None:
            return None
        monitoring = None if row[3] is None else dict(json.loads(row[3]))
        return SubjectRecord(row[0], row[1], row[2], monitoring, row[4], row[5], row[6])

    def pseudonyms_for_case(self, case_reference: str) -> list[str]:
        """Pseudonyms whose (unerased) identifiers carry *case_reference*."""
        rows = self.db.query("SELECT pseudonym FROM subjects WHERE case_reference = ? "
                             "ORDER BY created_at", (case_reference,))
        return [str(r[0]) for r in rows]

    def due_for_erasure(self, retention: Retention,
                        now: dt.datetime | None = None) -> list[tuple[str, str]]:
        """``(pseudonym, family)`` of unerased subjects whose decision was recorded before
        its family's retention cut-off. Families without a period are never due."""
        now = now or dt.datetime.now(dt.UTC)
        families = [str(r[0]) for r in self.db.query(
            "SELECT DISTINCT family FROM audit_records WHERE kind = 'decision'")]
        due: list[tuple[str, str]] = []
        for family in sorted(families):
            cutoff = retention.cutoff(family, now)
            if cutoff is None:
                continue
            rows = self.db.query(
                "SELECT s.pseudonym FROM subjects s JOIN audit_records r "
                "ON r.pseudonym = s.pseudonym AND r.kind = 'decision' "
                "WHERE s.erased_at IS NULL AND r.family = ? AND r.recorded_at < ? "
                "ORDER BY r.seq", (family, cutoff.strftime("%Y-%m-%dT%H:%M:%S.%fZ")))
            due.extend((str(r[0]), family) for r in rows)
        return due

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

    def verify(self, against: Sequence[Checkpoint] = ()) -> VerifyResult:
        """Walk the whole chain; see :func:`decision_engine.audit.verify.verify_store`."""
        from decision_engine.audit.verify import verify_store

        return verify_store(self.db, against)


def _fields(flt: RecordFilter) -> dict[str, Any]:
    return {name: getattr(flt, name) for name in flt.__dataclass_fields__}


def open_store(url: str | None = None, *, migrate_schema: bool = True) -> Store:
    """Open (and by default migrate) the store at *url* or ``DECISION_ENGINE_DATABASE_URL``.

    Asserts the durability settings first (:class:`DurabilityError` otherwise).
    """
    db = open_database(database_url(url))
    try:
        migrate(db, apply=migrate_schema)
    except BaseException:
        db.close()
        raise
    return Store(db)
