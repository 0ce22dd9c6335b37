"""The shape of an audit record and the values the store hands back.

One table holds every chained record; ``kind`` says what it is:

* ``decision`` — a recommendation as the engine produced it (input, output, policy).
* ``final_decision`` — a panel's final choice, linked to a decision by ``ref_id``.
* ``erasure`` — the personal identifiers behind ``pseudonym`` were erased.
* ``access`` — someone read, exported or replayed stored decisions (DPA 2018 s.62).

Everything that identifies a child lives in the ``subjects`` table under the random
``pseudonym``; the chained record holds only the pseudonym and a salted digest of the
identifiers (the salt is erased with them), so erasure never touches the chain.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

import orjson

from decision_engine.audit import codec
from decision_engine.audit.canonical import encode_scalar, sha256_hex

Kind = Literal["decision", "final_decision", "erasure", "access"]
KINDS: tuple[Kind, ...] = ("decision", "final_decision", "erasure", "access")

COLUMNS: tuple[str, ...] = (
    "seq", "id", "kind", "recorded_at", "service_area", "actor_role", "actor_id",
    "pseudonym", "subject_digest", "ref_id", "family", "policy_version", "policy_sha256",
    "decision_date", "outcome", "input", "output", "detail", "prev_hash", "hash",
)
"""Column order used in every SELECT of ``audit_records``."""

JSON_COLUMNS = frozenset({"input", "output", "detail"})
"""Columns stored as canonical JSON text and hashed as nested JSON values."""

HASHED_COLUMNS: tuple[str, ...] = tuple(sorted(c for c in COLUMNS if c != "hash"))
"""Members of the hashed body, in RFC 8785 key order (all keys are ASCII)."""

KEY_PREFIX = {name: encode_scalar(name) + b":" for name in HASHED_COLUMNS}
"""Each hashed member's key as it opens its place in the body (``"name":``)."""


class DecisionLike(Protocol):
    """What the store needs from an engine ``Decision``: its canonical bytes."""

    def canonical_json(self) -> bytes: ...


class SubjectLike(Protocol):
    """What the store needs from an engine ``Subject``: the personal identifiers."""

    @property
    def case_reference(self) -> str: ...

    @property
    def date_of_birth(self) -> dt.date | None: ...

    @property
    def monitoring(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class SubjectData:
    """A plain ``SubjectLike`` for callers without the engine's pydantic model."""

    case_reference: str
    date_of_birth: dt.date | None = None
    monitoring: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AccessContext:
    """Who is reading stored decisions, for which service area, and why (DPA 2018 s.62)."""

    actor_role: str
    actor_id: str
    service_area: str
    justification: str


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Returned by every append, only after the transaction has committed."""

    id: str
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of ``audit_records``. JSON columns are kept as the stored canonical text."""

    seq: int
    id: str
    kind: str
    recorded_at: str
    service_area: str
    actor_role: str
    actor_id: str
    pseudonym: str | None
    subject_digest: str | None
    ref_id: str | None
    family: str | None
    policy_version: str | None
    policy_sha256: str | None
    decision_date: str | None
    outcome: str | None
    input: str | None
    output: str | None
    detail: str
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> AuditRecord:
        """Build from a row selected in ``COLUMNS`` order (input and output decoded: they
        are stored compressed, see ``codec``)."""
        return cls(**row_columns(row))

    def body_bytes(self) -> bytes:
        """The canonical JSON bytes the hash covers (see ``canonical`` for why spliced)."""
        return hashed_body(self.as_columns())

    def computed_hash(self) -> str:
        return sha256_hex(self.body_bytes())

    def as_columns(self) -> dict[str, Any]:
        return asdict(self)

    def as_json(self) -> dict[str, Any]:
        """The record as a JSON object with the JSON columns parsed (exports, API)."""
        out = self.as_columns()
        for name in JSON_COLUMNS:
            text = out[name]
            out[name] = None if text is None else json.loads(text)
        return out

    @property
    def input_obj(self) -> dict[str, Any] | None:
        return None if self.input is None else dict(json.loads(self.input))

    @property
    def output_obj(self) -> dict[str, Any] | None:
        return None if self.output is None else dict(json.loads(self.output))

    @property
    def detail_obj(self) -> dict[str, Any]:
        return dict(json.loads(self.detail))


def hashed_body(columns: Mapping[str, Any]) -> bytes:
    """Canonical body of a record given its column values (``hash`` is ignored).

    JSON columns must be ``str`` holding canonical JSON, or ``None``; other columns are
    strings, integers or ``None``. orjson writes the object: its string escapes are RFC
    8785's, JSON columns go in verbatim as fragments, integers through
    :func:`encode_scalar` (the JSON safe range), and ``HASHED_COLUMNS`` is already in
    key order (tests/audit/test_audit_canonical.py holds it to ``rfc8785``). ~4x quicker
    than joining the members in Python, on every record appended and verified.
    """
    members: dict[str, Any] = {}
    for name in HASHED_COLUMNS:
        value = columns[name]
        if name in JSON_COLUMNS:
            members[name] = None if value is None else orjson.Fragment(str(value))
        elif value is None or type(value) is str:
            members[name] = value
        else:
            members[name] = orjson.Fragment(encode_scalar(value))
    try:
        return orjson.dumps(members)
    except orjson.JSONEncodeError:  # a lone surrogate: raise what encoding it raises
        for value in columns.values():
            if isinstance(value, str):
                value.encode("utf-8")
        raise


def row_columns(row: Sequence[Any]) -> dict[str, Any]:
    """A row selected in ``COLUMNS`` order as column → value, with the columns stored
    compressed (``codec.PACKED_COLUMNS``) as the text the hash covers."""
    columns = dict(zip(COLUMNS, row, strict=True))
    for name in codec.PACKED_COLUMNS:
        columns[name] = codec.unpack(columns[name])
    return columns


def record_hash(columns: Mapping[str, Any]) -> str:
    return sha256_hex(hashed_body(columns))


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    """A row of ``subjects``. Identifier fields are ``None`` once erased."""

    pseudonym: str
    case_reference: str | None
    date_of_birth: str | None
    monitoring: dict[str, str] | None
    created_at: str
    erased_at: str | None
    erasure_id: str | None


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Selection shared by listing, export and replay. Dates are decision dates, inclusive."""

    kind: str | None = "decision"
    family: str | None = None
    policy_version: str | None = None
    service_area: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    pseudonym: str | None = None
    ref_id: str | None = None

    def where(self, alias: str = "") -> tuple[str, list[Any]]:
        """SQL condition (``?`` placeholders) and parameters for this filter."""
        p = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("kind", self.kind),
            ("family", self.family),
            ("policy_version", self.policy_version),
            ("service_area", self.service_area),
            ("pseudonym", self.pseudonym),
            ("ref_id", self.ref_id),
        ):
            if value is not None:
                clauses.append(f"{p}{column} = ?")
                params.append(value)
        if self.date_from is not None:
            clauses.append(f"{p}decision_date >= ?")
            params.append(self.date_from.isoformat())
        if self.date_to is not None:
            clauses.append(f"{p}decision_date <= ?")
            params.append(self.date_to.isoformat())
        return (" AND ".join(clauses) or "1 = 1"), params

    def describe(self) -> dict[str, str]:
        """The filter as JSON-able strings, for access-log records."""
        out: dict[str, str] = {}
        for key, value in asdict(self).items():
            if value is not None:
                out[key] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out


CHECKPOINT_FORMAT = "decision-engine-audit-checkpoint/1"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain head at a moment; kept off-host it catches a rewrite of the whole chain."""

    seq: int
    hash: str
    count: int
    created_at: str
    format: str = CHECKPOINT_FORMAT

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        seq, digest = data.get("seq"), data.get("hash")
        if not isinstance(seq, int) or not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("checkpoint needs integer 'seq' and 64-hex 'hash'")
        return cls(seq=seq, hash=digest, count=int(data.get("count", seq)),
                   created_at=str(data.get("created_at", "")),
                   format=str(data.get("format", CHECKPOINT_FORMAT)))


@dataclass(frozen=True, slots=True)
class Broken:
    """The first record that fails verification, and why."""

    seq: int
    record_id: str | None
    why: str

    def __str__(self) -> str:
        rid = f" (id {self.record_id})" if self.record_id else ""
        return f"record seq {self.seq}{rid}: {self.why}"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of ``Store.verify``; ``ok`` only if the chain and all subjects check out."""

    records: int
    head_seq: int
    head_hash: str
    broken: Broken | None = None
    subject_problems: tuple[str, ...] = ()
    database_check: str = ""
    """Which database check ran (``sqlite integrity_check``, ``postgresql amcheck: …``)
    or why none did (``skipped: …``)."""
    database_problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.subject_problems and not self.database_problems
