"""The decision object: an outcome that carries its own explanation.

Its canonical JSON (RFC 8785) is what the audit chain hashes and what replay compares,
so nothing in it may depend on time, process or engine: same inputs + same policy
version ⇒ the same bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict

M = TypeVar("M", bound=BaseModel)


def canonical_bytes(data: Any) -> bytes:
    """RFC 8785 for JSON data without floats and with BMP-only keys (see canonical_json)."""
    out: bytes = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    return out


def build(cls: type[M], **values: Any) -> M:
    """Construct a model from values this package built itself, skipping validation.

    pydantic's ``model_construct`` costs ~4 µs a call, which matters ~15 times per
    decision on the hot path; this sets the same four slots directly. Only for trusted,
    complete values: every field must be given.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PolicyRef(_Frozen):
    family: str
    version: str
    sha256: str
    title: str


class SourceRef(_Frozen):
    document: str
    title: str
    section: str


class Reason(_Frozen):
    """One rule that fired: what it said, why (the facts it read) and where it comes from."""

    rule: str
    text: str
    effect: dict[str, Any]
    facts: dict[str, Any]
    source: SourceRef


class OutcomeStatus(_Frozen):
    available: bool
    blocked_by: list[str]


class Provenance(_Frozen):
    """A table row or parameter the decision rests on."""

    kind: str  # "row" or "parameter"
    name: str  # "offences/robbery" or "max_adjustment"
    verified: bool
    source: SourceRef


class Decision(_Frozen):
    decision_date: dt.date
    policy: PolicyRef
    input: dict[str, Any]
    derived: dict[str, Any]
    indicated: str
    outcome: str
    summary: str
    variant: str | None
    outcomes: dict[str, OutcomeStatus]
    outputs: dict[str, Any]
    flags: list[str]
    reasons: list[Reason]
    provenance: list[Provenance]
    warnings: list[str]

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def canonical_json(self) -> bytes:
        """RFC 8785 canonical encoding: the bytes that are hashed and replayed.

        A decision holds only strings, integers, booleans and nulls under ASCII keys (the
        policy language has no floats), and for such values orjson's sorted-key compact
        output is exactly RFC 8785, ~10x faster than a general canonicaliser.
        ``tests/test_decision_json.py`` checks the two agree.
        """
        return canonical_bytes(self.as_json())
