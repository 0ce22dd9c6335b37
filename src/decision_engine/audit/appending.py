"""Recording decisions: one at a time or many under one COMMIT (group commit)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from decision_engine.audit import report_index
from decision_engine.audit.chain import ChainStore
from decision_engine.audit.drafts import (
    SUBJECT_INSERT,
    DecisionEntry,
    PreparedDecision,
    prepare_decision,
)
from decision_engine.audit.records import COLUMNS, DecisionLike, RecordRef, SubjectLike

_RECORDED_AT = COLUMNS.index("recorded_at")


class Appending(ChainStore):
    """:meth:`append_decision`, :meth:`append_decisions`, :meth:`prepare_decision`."""

    def append_decision(self, decision: DecisionLike, subject: SubjectLike | None, *,
                        actor_role: str, actor_id: str, service_area: str) -> RecordRef:
        """Record an engine decision; the subject's identifiers go to ``subjects``.

        Returns only after COMMIT. Each decision gets its own pseudonym (time-ordered,
        80 random bits: :mod:`.ids`), so identifiers can be erased per decision when its
        family's retention ends.
        """
        return self.append_decisions([DecisionEntry(decision, subject, actor_role, actor_id,
                                                    service_area)])[0]

    def append_decisions(self, entries: Sequence[DecisionEntry | PreparedDecision], *,
                         more: Callable[[], Sequence[PreparedDecision]] | None = None,
                         ) -> list[RecordRef]:
        """Record several decisions in one transaction (group commit): one fsync for all.

        All are validated first; then either all are committed or none. Every returned
        ref is acknowledged only after that single COMMIT. This is how a busy service
        gets far more than one decision per disk flush without weakening durability.
        Entries may be prepared already (:meth:`prepare_decision`), which keeps the
        encoding work out of the committing thread.

        *more*, if given, is called once the write turn is held (the chain head locked):
        the decisions it returns join this transaction, after *entries*. A committer
        that waited for the turn (another process was committing) takes in what queued
        up meanwhile, instead of leaving it for another turn and another fsync.
        """
        prepared = [e if isinstance(e, PreparedDecision) else prepare_decision(e)
                    for e in entries]
        refs: list[RecordRef] = []
        with self.db.write() as head:
            if more is not None:
                prepared += more()
            rows, leaves, subject_rows = [], [], []
            for p in prepared:
                row, leaf = self._row(head, p.draft)
                head = (row[0], row[-1])
                rows.append(row)
                leaves.append(leaf)
                refs.append(RecordRef(p.draft.id, head[0], head[1]))
                if p.subject_row is not None:  # created_at = the record's recorded_at,
                    subject_rows.append((*p.subject_row, row[_RECORDED_AT]))  # verified
            if subject_rows:
                self.db.executemany(SUBJECT_INSERT, subject_rows)
            self._insert_rows(rows, leaves)
            report_index.insert(self.db, [
                (ref.seq, d.family, d.decision_date, d.service_area, d.pseudonym,
                 d.policy_version, d.outcome, d.age, d.report_facts, None, None)
                for ref, d in zip(refs, (p.draft for p in prepared), strict=True)])
        return refs

    @staticmethod
    def prepare_decision(entry: DecisionEntry) -> PreparedDecision:
        """Validate and encode *entry* (canonical JSON, subject digest) without the
        database; raises :class:`AuditValidationError` for a bad entry."""
        return prepare_decision(entry)
