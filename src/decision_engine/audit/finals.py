"""A panel's final choice for a recorded decision, and the history of those choices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from decision_engine.audit import report_index
from decision_engine.audit.chain import SELECT, ChainStore
from decision_engine.audit.drafts import Draft
from decision_engine.audit.errors import AuditValidationError, RecordNotFound
from decision_engine.audit.records import AuditRecord, RecordRef
from decision_engine.audit.validation import checked_text, reject_identifiers


@dataclass(frozen=True, slots=True)
class FinalEntry:
    """One final choice to record (see :meth:`Finals.append_finals`)."""

    decision_id: str
    final_outcome: str
    rationale: str | None
    actor_role: str
    actor_id: str
    service_area: str


class Finals(ChainStore):
    """:meth:`append_final`, :meth:`append_finals` and :meth:`finals_for`."""

    def append_final(self, decision_id: str, final_outcome: str, rationale: str | None, *,
                     actor_role: str, actor_id: str, service_area: str) -> RecordRef:
        """Record a panel's final choice for a decision.

        A rationale is required when the final outcome departs from the recommendation,
        and when it replaces an earlier final decision (the earlier one stays on record;
        the latest is current). The decision must exist in the caller's service area.
        """
        return self.append_finals([FinalEntry(decision_id, final_outcome, rationale,
                                              actor_role, actor_id, service_area)])[0]

    def append_finals(self, entries: Sequence[FinalEntry]) -> list[RecordRef]:
        """Several final choices in one transaction (one fsync): all are recorded or, when
        one is refused, none. Each is checked as :meth:`append_final` checks it, seeing
        the finals recorded before it in the same call (for imports and demo data)."""
        refs: list[RecordRef] = []
        with self.db.write() as head:
            for e in entries:
                draft, decision_seq = self._final_draft(e)
                head = self._insert(head, draft)
                report_index.final_recorded(self.db, decision_seq, head[0], draft.outcome or "")
                refs.append(RecordRef(draft.id, head[0], head[1]))
        return refs

    def _final_draft(self, e: FinalEntry) -> tuple[Draft, int]:
        """The final decision's draft, and the seq of the decision it answers."""
        final_outcome = checked_text("final_outcome", e.final_outcome)
        actor_role = checked_text("actor_role", e.actor_role)
        actor_id = checked_text("actor_id", e.actor_id)
        service_area = checked_text("service_area", e.service_area)
        rationale, decision_id = e.rationale, e.decision_id
        reason = rationale.strip() if isinstance(rationale, str) and rationale.strip() else None
        if reason is not None:
            checked_text("rationale", reason, free_text=True)
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
            reject_identifiers("rationale", reason, self._identifiers([decision_id]))
        return Draft(
            kind="final_decision", service_area=service_area, actor_role=actor_role,
            actor_id=actor_id, ref_id=decision_id, pseudonym=decision.pseudonym,
            family=decision.family, policy_version=decision.policy_version,
            policy_sha256=decision.policy_sha256, decision_date=decision.decision_date,
            outcome=final_outcome,
            detail={"recommended_outcome": decision.outcome,
                    "departs_from_recommendation": departs, "rationale": reason,
                    "supersedes": None if previous is None else str(previous[0])}), decision.seq

    def finals_for(self, decision_id: str) -> list[AuditRecord]:
        """Final-decision records answering *decision_id*, oldest first (last = current)."""
        rows = self.db.query(f"SELECT {SELECT} FROM audit_records WHERE ref_id = ? AND "
                             "kind = 'final_decision' ORDER BY seq", (decision_id,))
        return [AuditRecord.from_row(r) for r in rows]
