"""Records before they are chained: decisions validated and encoded, subjects digested.

Everything here runs without the database, so a caller can prepare decisions outside
the committing thread (:meth:`Store.prepare_decision`) and the transaction that holds
the chain-head lock only assigns ``seq``, ``prev_hash`` and ``hash``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from decision_engine.audit import codec, ids, report_index
from decision_engine.audit.canonical import (
    canonical,
    canonical_fast,
    fast_json,
    parse_canonical,
    sha256_hex,
)
from decision_engine.audit.errors import AuditValidationError
from decision_engine.audit.records import DecisionLike, SubjectLike
from decision_engine.audit.validation import checked_text
from decision_engine.engine.decision import ENGINE_VERSION, Decision, canonical_bytes


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


def stored_subject_digest(salt: str, case_reference: str, date_of_birth: str | None,
                          monitoring_json: str | bytes) -> str:
    """:func:`subject_digest` of identifiers as the subjects table stores them, the
    monitoring as its canonical JSON spliced in unparsed (verify's quick check). Equal to
    :func:`subject_digest` for what the store writes; a stored monitoring that is not
    canonical gives another digest, never the chained one."""
    return sha256_hex(orjson.dumps({"case_reference": case_reference,  # RFC 8785's order
                                    "date_of_birth": date_of_birth,
                                    "monitoring": orjson.Fragment(monitoring_json),
                                    "salt": salt}))


@dataclass(frozen=True, slots=True)
class DecisionEntry:
    """One decision for :meth:`Store.append_decisions`."""

    decision: DecisionLike
    subject: SubjectLike | None
    actor_role: str
    actor_id: str
    service_area: str


@dataclass(slots=True)
class Draft:
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
    id: str = field(default_factory=ids.record_id)
    age: int | None = field(default=None, init=False)
    """A decision's report-index values (:mod:`.report_index`): the child's age …"""
    report_facts: str | None = field(default=None, init=False)
    """… and its report facts."""
    packed: tuple[bytes | None, ...] | None = field(default=None, init=False)
    """The ``codec.PACKED_COLUMNS`` as stored (compressed), made by :func:`prepare_decision`
    so that the transaction holding the chain head does not compress."""


@dataclass(frozen=True, slots=True)
class PreparedDecision:
    """A decision validated and encoded for :meth:`Store.append_decisions`, made by
    :meth:`Store.prepare_decision` without touching the database. Append it once."""

    draft: Draft
    subject_row: tuple[Any, ...] | None
    """The ``subjects`` row less its ``created_at``, which is the record's
    ``recorded_at``: known only once the decision is chained (verify checks the two)."""


SUBJECT_INSERT = ("INSERT INTO subjects (pseudonym, salt, case_reference, date_of_birth, "
                  "monitoring, created_at) VALUES (?, ?, ?, ?, ?, ?)")
"""The ``subject_row`` of a :class:`PreparedDecision`, with its ``created_at``, goes in
with this statement."""


def prepare_decision(entry: DecisionEntry) -> PreparedDecision:
    """Validate and encode *entry* (canonical JSON, subject digest) without the
    database; raises :class:`AuditValidationError` for a bad entry."""
    fields = parse_decision(entry.decision)
    detail = {"decision_format": decision_format(entry.decision),
              "engine_version": ENGINE_VERSION}
    draft = Draft(kind="decision", service_area=checked_text("service_area", entry.service_area),
                  actor_role=checked_text("actor_role", entry.actor_role),
                  actor_id=checked_text("actor_id", entry.actor_id), detail=detail, **fields)
    if type(entry.decision) is Decision:
        draft.age = report_index.age_of(entry.decision.input)
        draft.report_facts = report_index.facts_of_decision(entry.decision).decode()
    else:  # the output holds the input too: one parse for both
        output = orjson.loads(fields["output"])
        draft.age = report_index.age_of(output.get("input") or {})
        draft.report_facts = report_index.facts_of_json(output).decode()
    draft.packed = tuple(None if (text := getattr(draft, name)) is None else codec.pack(text)
                         for name in codec.PACKED_COLUMNS)
    subject = entry.subject
    if subject is None:
        return PreparedDecision(draft, None)
    case_reference = checked_text("subject.case_reference", subject.case_reference)
    dob = subject.date_of_birth.isoformat() if subject.date_of_birth else None
    monitoring = {str(k): str(v) for k, v in dict(subject.monitoring).items()}
    salt = secrets.token_hex(16)
    draft.pseudonym = ids.pseudonym()
    draft.subject_digest = subject_digest(salt, case_reference, dob, monitoring)
    return PreparedDecision(draft, (draft.pseudonym, salt, case_reference, dob,
                                    canonical_fast(monitoring).decode("utf-8")))


def decision_format(decision: DecisionLike) -> int:
    """The decision format *decision* is written in: its ``format``, else 1 (format 1
    predates the number)."""
    if type(decision) is Decision:
        return decision.format
    value = json.loads(decision.canonical_json()).get("format", 1)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AuditValidationError("decision.format", f"{value!r} is not a format number")
    return value


@functools.lru_cache(maxsize=256)
def recorded_format(detail: str | None) -> int:
    """The decision format a stored decision record was written in (its ``detail``).

    Records from before formats were numbered have ``{}``: they are format 1. A store
    holds a handful of distinct details (format x engine version), so replay's million
    reads are mostly cache hits."""
    if not detail:
        return 1
    value = orjson.loads(detail).get("decision_format", 1)
    if not isinstance(value, int) or isinstance(value, bool):
        raise AuditValidationError("detail.decision_format", f"{value!r} is not a format number")
    return value


def parse_decision(decision: DecisionLike) -> dict[str, str]:
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
