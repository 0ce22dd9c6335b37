"""Recording decisions from request threads.

Every recorded decision is acknowledged only after the COMMIT that holds it (the store's
promise). This module is the one place the API appends decisions, so the way appends
are batched can change without touching routes.
"""

from __future__ import annotations

from decision_engine.audit import RecordRef, Store
from decision_engine.engine import Decision, Subject


class Recorder:
    def __init__(self, store: Store, *, group_commit: bool = True) -> None:
        self.store = store
        self.group_commit = group_commit

    def append_decision(self, decision: Decision, subject: Subject, *, actor_role: str,
                        actor_id: str, service_area: str) -> RecordRef:
        return self.store.append_decision(decision, subject, actor_role=actor_role,
                                          actor_id=actor_id, service_area=service_area)

    def close(self) -> None:
        pass
