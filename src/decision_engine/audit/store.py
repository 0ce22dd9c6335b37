"""The audit store: one class assembled from the modules that do each job.

* :mod:`.chain` — the connection, chaining a record onto the head, head/checkpoint/verify;
* :mod:`.appending` — recording decisions (group commit);
* :mod:`.finals` — a panel's final decisions;
* :mod:`.access_log` — logged reads (DPA 2018 s.62);
* :mod:`.erasure` — subjects' identifiers and their erasure;
* :mod:`.queries` — pages, counts and streams;
* :mod:`.proofs` — Merkle tree heads, signed, and proofs for one record;
* :mod:`.drafts` and :mod:`.validation` — records before chaining, checks on values.

Names other modules import from here (``DecisionEntry``, ``PreparedDecision``,
``subject_digest``, ``ERASE_LOOKUP_SQL``, ``utc_now`` …) are re-exported.
"""

from __future__ import annotations

from decision_engine.audit.access_log import AccessAction, AccessLog
from decision_engine.audit.appending import Appending
from decision_engine.audit.chain import INSERT, SELECT, ChainStore
from decision_engine.audit.config import database_url
from decision_engine.audit.db import DRIVER_ERRORS, open_database
from decision_engine.audit.drafts import (
    DecisionEntry,
    Draft,
    PreparedDecision,
    parse_decision,
    subject_digest,
)
from decision_engine.audit.erasure import ERASE_LOOKUP_SQL, Erasure, ErasureReason
from decision_engine.audit.errors import DatabaseDamaged
from decision_engine.audit.finals import Finals
from decision_engine.audit.migrate import migrate
from decision_engine.audit.proofs import Proofs
from decision_engine.audit.queries import Queries
from decision_engine.audit.validation import utc_now

_parse_decision = parse_decision  # older name, kept for callers and tests

__all__ = [
    "ERASE_LOOKUP_SQL", "INSERT", "SELECT", "AccessAction", "ChainStore", "DecisionEntry",
    "Draft", "ErasureReason", "PreparedDecision", "Store", "open_store", "parse_decision",
    "subject_digest", "utc_now",
]


class Store(Appending, Finals, AccessLog, Erasure, Queries, Proofs):
    """Append-only, hash-chained store of decisions. Create with :func:`open_store`."""


def open_store(url: str | None = None, *, migrate_schema: bool = True) -> Store:
    """Open (and by default migrate) the store at *url* or ``DECISION_ENGINE_DATABASE_URL``.

    Asserts the durability settings first (:class:`DurabilityError` otherwise).
    """
    parsed = database_url(url)
    try:
        db = open_database(parsed)
    except DRIVER_ERRORS as exc:
        raise DatabaseDamaged(parsed.redacted, exc) from None
    try:
        migrate(db, apply=migrate_schema)
    except DRIVER_ERRORS as exc:
        db.close()
        raise DatabaseDamaged(parsed.redacted, exc) from None
    except BaseException:
        db.close()
        raise
    return Store(db)
