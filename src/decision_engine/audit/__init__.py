"""Audit store: every decision recorded durably, tamper-evident and replayable.

Public API (what the HTTP layer and the CLI use)::

    from decision_engine.audit import open_store, RecordFilter, AccessContext

    store = open_store()              # DECISION_ENGINE_DATABASE_URL, migrates, asserts
                                      # durable commits (DurabilityError otherwise)
    ref = store.append_decision(decision, subject, actor_role=..., actor_id=...,
                                service_area=...)          # -> RecordRef(id, seq, hash),
                                                           #    returned after COMMIT
    refs = store.append_decisions([DecisionEntry(decision, subject, role, id, area), ...])
                                      # group commit: one transaction, one fsync
    store.append_final(ref.id, "youth_caution", rationale, actor_role=..., actor_id=...,
                       service_area=...)   # rationale required if it departs from the
                                           # recommendation or replaces an earlier final
    store.read(id, actor_role=..., actor_id=..., service_area=..., justification=...)
                                      # logs the access, then returns the AuditRecord
    store.get(id, service_area=None)  # unlogged lookup; None if absent or other area
    store.log_access(actor_role=..., actor_id=..., service_area=..., justification=...,
                     action="read"|"list"|"export"|"replay", record_ids=[...], query={...})
    store.list_records(RecordFilter(...), after_seq=0, limit=100)   # keyset pages
    store.finals_for(decision_id); store.count(flt); store.iter_records(flt)
    store.subject(pseudonym); store.pseudonyms_for_case(ref)
    store.erase(pseudonyms, reason="request"|"retention", justification=..., ...)
    store.due_for_erasure(load_retention())
    store.verify(against=[checkpoint]) -> VerifyResult(ok, broken=Broken(seq, id, why))
    store.checkpoint() -> Checkpoint(seq, hash, count, created_at)

    replay(store, RecordFilter(...), ReplayOptions(target_version=None), access)
    export_decisions(store, RecordFilter(...), "csv"|"jsonl", out, access)

Errors derive from ``decision_engine.errors.DecisionEngineError``:
``AuditValidationError(field, why)`` (→ 4xx naming the field), ``RecordNotFound``
(→ 404), ``ConfigError``, ``DurabilityError``, ``SchemaError``, ``DatabaseDamaged``.

A ``Store`` serialises its calls with a lock and may be shared by threads; scale with
processes. See ``docs/audit.md`` for the record format, hashing and operations.
"""

from decision_engine.audit.config import Retention, database_url, load_retention
from decision_engine.audit.errors import (
    AuditError,
    AuditValidationError,
    ConfigError,
    DatabaseDamaged,
    DurabilityError,
    ErasureIncomplete,
    RecordNotFound,
    SchemaError,
)
from decision_engine.audit.export import export_decisions
from decision_engine.audit.finals import FinalEntry
from decision_engine.audit.records import (
    AccessContext,
    AuditRecord,
    Broken,
    Checkpoint,
    RecordFilter,
    RecordRef,
    SubjectData,
    SubjectRecord,
    VerifyResult,
)
from decision_engine.audit.replay import ReplayOptions, ReplayReport, replay
from decision_engine.audit.store import DecisionEntry, Store, open_store

__all__ = [
    "AccessContext",
    "AuditError",
    "AuditRecord",
    "AuditValidationError",
    "Broken",
    "Checkpoint",
    "ConfigError",
    "DatabaseDamaged",
    "DecisionEntry",
    "DurabilityError",
    "ErasureIncomplete",
    "FinalEntry",
    "RecordFilter",
    "RecordNotFound",
    "RecordRef",
    "ReplayOptions",
    "ReplayReport",
    "Retention",
    "SchemaError",
    "Store",
    "SubjectData",
    "SubjectRecord",
    "VerifyResult",
    "database_url",
    "export_decisions",
    "load_retention",
    "open_store",
    "replay",
]
