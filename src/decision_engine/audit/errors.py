"""Errors raised by the audit store.

They derive from the package's ``DecisionEngineError`` so one ``except`` covers the
product, and carry enough structure (``field``) for the HTTP layer to answer 4xx naming
the offending field without leaking internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from decision_engine.errors import DecisionEngineError

if TYPE_CHECKING:
    from decision_engine.audit.records import RecordRef


class AuditError(DecisionEngineError):
    """Base class for audit-store errors."""


class ConfigError(AuditError):
    """The database URL or retention configuration is unusable."""


class DurabilityError(AuditError):
    """The database is not configured to make a commit survive a crash.

    Raised at start-up: a store that could lose an acknowledged decision must not run.
    """


class SchemaError(AuditError):
    """The database schema is newer than this code or differs from the shipped migrations."""


class DatabaseDamaged(AuditError):
    """The database answered with a structural error (malformed schema, damaged pages):
    nothing was changed; the message names the database and the driver's complaint."""

    def __init__(self, where: str, exc: BaseException) -> None:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        super().__init__(f"database {where} is unusable: {first} (restore it from a backup, "
                         "or repair a copy; 'audit verify' names damaged indexes)")


class ErasureIncomplete(AuditError):
    """Erasure records are committed and the live rows hold no identifiers, but old
    copies could not yet be removed from the database files (SQLite: the write-ahead
    log is pinned by a reader's snapshot). ``refs`` are the erasure records made."""

    def __init__(self, refs: Sequence[RecordRef], why: str) -> None:
        self.refs = list(refs)
        self.why = why
        done = f"{len(self.refs)} erasure(s) recorded and the identifiers removed from the " \
               "live rows, but " if self.refs else ""
        super().__init__(f"{done}old copies of erased identifiers remain on disk: {why}; "
                         "run 'decision-engine audit scrub' once long reads (exports, "
                         "replays, verify, open transactions) have finished")


class RecordNotFound(AuditError):
    """No record with that id (in that service area)."""

    def __init__(self, record_id: str) -> None:
        self.record_id = record_id
        super().__init__(f"no such decision record: {record_id}")


class AuditValidationError(AuditError):
    """A request to the store is invalid; ``field`` names the offending argument."""

    def __init__(self, field: str, why: str) -> None:
        self.field = field
        self.why = why
        super().__init__(f"{field}: {why}")
