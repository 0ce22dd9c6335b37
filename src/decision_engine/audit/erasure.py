"""Subjects and erasure: the identifiers behind a pseudonym, and removing them.

Identifiers live only in ``subjects``; erasing them sets them (and the digest salt) to
NULL and chains an ``erasure`` record, so the decision record is untouched, the chain
still verifies and the decision still replays.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Literal

from decision_engine.audit.chain import ChainStore
from decision_engine.audit.config import Retention
from decision_engine.audit.drafts import Draft
from decision_engine.audit.errors import (
    AuditValidationError,
    ErasureIncomplete,
    RecordNotFound,
)
from decision_engine.audit.records import RecordRef, SubjectRecord
from decision_engine.audit.validation import checked_text, reject_identifiers, utc_now

ERASE_BATCH = 500
DEFAULT_SCRUB_WAIT = 10.0
"""Seconds an erasure keeps retrying to clear the WAL (each try is non-blocking)."""

ERASE_LOOKUP_SQL = (
    "SELECT s.pseudonym, s.erased_at, s.case_reference, s.date_of_birth, r.id, "
    "r.service_area FROM subjects s LEFT JOIN audit_records r "
    "ON r.pseudonym = s.pseudonym AND r.kind = 'decision' WHERE s.pseudonym IN ({marks})")

ErasureReason = Literal["retention", "request"]


class Erasure(ChainStore):
    """:meth:`subject`, :meth:`pseudonyms_for_case`, :meth:`due_for_erasure`, :meth:`erase`,
    :meth:`finish_erasure`."""

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

    def erase(self, pseudonyms: Iterable[str], *, reason: ErasureReason, justification: str,
              actor_role: str, actor_id: str, retention: str | None = None,
              scrub_wait: float = DEFAULT_SCRUB_WAIT) -> list[RecordRef]:
        """Erase the identifiers behind each pseudonym and chain an ``erasure`` record.

        The subject row keeps its pseudonym with every identifier (and the digest salt)
        set to NULL; the decision record is untouched, so the chain still verifies and
        the decision still replays. Already-erased pseudonyms are skipped; an unknown
        one raises :class:`RecordNotFound` before anything is erased in its batch.

        Returns only when old copies are gone from the database files too (SQLite: the
        WAL copied into the database and truncated); if a reader's snapshot keeps them
        there for *scrub_wait* seconds, raises :class:`ErasureIncomplete` (the erasure
        records are committed; :meth:`finish_erasure` completes the job later).
        Appends by others are never held up while it waits.
        """
        justification = checked_text("justification", justification, free_text=True)
        actor_role = checked_text("actor_role", actor_role)
        actor_id = checked_text("actor_id", actor_id)
        if reason not in ("retention", "request"):
            raise AuditValidationError("reason", "must be 'retention' or 'request'")
        todo = list(dict.fromkeys(pseudonyms))
        refs: list[RecordRef] = []
        for start in range(0, len(todo), ERASE_BATCH):
            refs.extend(self._erase_batch(todo[start:start + ERASE_BATCH], reason,
                                          justification, actor_role, actor_id, retention))
        if refs:
            why = self.db.after_erasure(scrub_wait)
            if why is not None:
                raise ErasureIncomplete(refs, why)
        return refs

    def finish_erasure(self, wait: float = DEFAULT_SCRUB_WAIT) -> None:
        """Remove old copies of erased values left behind by an :class:`ErasureIncomplete`
        (idempotent); raises it again if a reader still pins them after *wait* seconds."""
        why = self.db.after_erasure(wait)
        if why is not None:
            raise ErasureIncomplete([], why)

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
            reject_identifiers("justification", justification,
                               [(r[2], r[3]) for r in rows])
            erased_at = utc_now()
            for pseudonym in batch:
                _, already, _, _, decision_id, area = found[pseudonym]
                if already is not None:
                    continue
                draft = Draft(kind="erasure", service_area=str(area or "unknown"),
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
