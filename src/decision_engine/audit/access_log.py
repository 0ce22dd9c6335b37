"""The access log (DPA 2018 Part 3 s.62): every read, list, export or replay is chained
before anything is disclosed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from decision_engine.audit.chain import ChainStore
from decision_engine.audit.drafts import Draft
from decision_engine.audit.errors import AuditValidationError, RecordNotFound
from decision_engine.audit.records import AuditRecord, RecordRef
from decision_engine.audit.validation import checked_text, reject_identifiers

MAX_IDS_PER_ACCESS = 1000

AccessAction = Literal["read", "list", "export", "replay", "report"]


class AccessLog(ChainStore):
    """:meth:`log_access` and :meth:`read` (a logged :meth:`get`)."""

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
        justification = checked_text("justification", justification, free_text=True)
        ids = [checked_text("record_ids", r) for r in record_ids]
        if len(ids) > MAX_IDS_PER_ACCESS:
            raise AuditValidationError("record_ids", f"more than {MAX_IDS_PER_ACCESS}; "
                                       "log a query instead")
        draft = Draft(kind="access", service_area=checked_text("service_area", service_area),
                      actor_role=checked_text("actor_role", actor_role),
                      actor_id=checked_text("actor_id", actor_id),
                      ref_id=ids[0] if len(ids) == 1 else None, detail={})
        with self.db.write() as head:
            if ids:
                reject_identifiers("justification", justification, self._identifiers(ids))
            draft.detail = {"action": action, "justification": justification,
                            "record_ids": ids, "query": dict(query or {}),
                            "through_seq": head[0]}
            seq, digest = self._insert(head, draft)
        return RecordRef(draft.id, seq, digest)

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
