"""The decision object: an outcome that carries its own explanation.

Its canonical JSON (RFC 8785) is what the audit chain hashes and what replay compares,
so nothing in it may depend on time, process or engine: same inputs + same policy
version + same decision format ⇒ the same bytes.

The *decision format* numbers what a decision contains. A change to the contents (a new
field) is a new format; the engine keeps writing every older format on request, so a
decision recorded in format N replays byte for byte in format N forever. Format 1 has no
``format`` member (it predates the number); later formats carry ``"format": N``.
"""

from __future__ import annotations

import datetime as dt
from importlib import metadata
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

M = TypeVar("M", bound=BaseModel)

DECISION_FORMAT = 3
"""The format new decisions are written in. 2 added ``format`` and ``counterfactuals``;
3 applies the service's local sign-offs (``signoffs.yaml``): a provenance entry a sign-off
covers carries ``signed_off`` and gives no warning."""
DECISION_FORMATS = (1, 2, 3)
"""Every format this engine can still write (and so replay)."""
_LATER_MEMBERS: dict[int, tuple[str, ...]] = {1: ("format", "counterfactuals")}
"""Members a decision of each format leaves out, because they came later."""


def _engine_version() -> str:
    try:
        return metadata.version("decision-engine")
    except metadata.PackageNotFoundError:  # running from a checkout without installing
        return "unknown"


ENGINE_VERSION = _engine_version()
"""The installed package's version, recorded with every decision in the audit store."""


def check_format(fmt: int) -> int:
    """*fmt* if this engine writes it, else a ValueError saying which formats it writes."""
    if fmt not in DECISION_FORMATS:
        raise ValueError(f"decision format {fmt!r} is not one this engine writes "
                         f"(formats {', '.join(map(str, DECISION_FORMATS))}; engine "
                         f"{ENGINE_VERSION}); replay it with the engine that recorded it")
    return fmt


def canonical_bytes(data: Any) -> bytes:
    """RFC 8785 for JSON data without floats and with BMP-only keys (see canonical_json)."""
    out: bytes = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    return out


def at_path(data: Any, path: str) -> Any:
    """The value at a dotted path (a consult's ``expose``) in a decision's JSON data."""
    for part in path.split("."):
        data = data[part]
    return data


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
    signed_off: str | None = Field(
        default=None, description="Format 3 on: the service's local sign-off of this "
        "unverified value (who, when, against which document and page); the member is "
        "absent when there is none.")

    @model_serializer(mode="wrap")
    def _without_absent_signoff(self, handler: SerializerFunctionWrapHandler,
                                ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("signed_off", 0) is None:
            del data["signed_off"]
        return data


class Counterfactual(_Frozen):
    """One change to the facts that gives another outcome (decision format 2).

    ``change`` is ``set`` (``value`` is the input's new value), ``add`` or ``remove``
    (adding or removing any one of the members in ``value``), or ``band`` (the input is a
    table key; ``current`` and ``value`` are the looked-up columns the outcome reads, e.g.
    ``{"base_score": 5}`` → ``{"base_score": 4}``)."""

    input: str
    change: str
    current: Any
    value: Any
    outcome: str


class Decision(_Frozen):
    format: int = Field(default=1, description="Decision format (see DECISION_FORMAT); "
                        "format 1 decisions carry no `format` member.")
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
    counterfactuals: list[Counterfactual] = Field(
        default_factory=list, description="Single changes to the facts a panel can act on "
        "or dispute that would change the recommended outcome (format 2 on).")

    @model_serializer(mode="wrap")
    def _in_its_format(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Leave out the members this decision's format predates (byte-identical replay)."""
        data: dict[str, Any] = handler(self)
        for name in _LATER_MEMBERS.get(self.format, ()):
            data.pop(name, None)
        return data

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def at(self, path: str) -> Any:
        """``at_path(self.as_json(), path)`` (a consult's ``expose``), read from the models
        as :meth:`canonical_json` encodes them instead of dumping the whole decision
        (~130 µs); the dump still answers when the value is not plain JSON."""
        head, _, rest = path.partition(".")
        try:
            if head in _LATER_MEMBERS.get(self.format, ()):
                raise KeyError(head)  # this format predates the member
            data = follow(self.__dict__[head], rest)
        except (KeyError, TypeError):  # absent here, or not a model _fields encodes
            return at_path(self.as_json(), path)
        return data if plain_json(data) else at_path(self.as_json(), path)

    def canonical_json(self) -> bytes:
        """RFC 8785 canonical encoding: the bytes that are hashed and replayed.

        A decision holds only strings, integers, booleans and nulls under ASCII keys (the
        policy language has no floats), and for such values orjson's sorted-key compact
        output is exactly RFC 8785, ~10x faster than a general canonicaliser.
        ``tests/test_decision_json.py`` checks the two agree.

        orjson walks the models' fields itself (:func:`_fields`), which costs ~20 µs
        where pydantic's ``model_dump`` costs ~130 µs; a value orjson cannot encode
        exactly (a set, an integer beyond 64 bits) falls back to the pydantic dump.
        """
        try:
            out: bytes = orjson.dumps(self, default=_fields, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            return canonical_bytes(self.as_json())
        return out


def follow(data: Any, rest: str) -> Any:
    """The value at dotted path *rest* inside *data*, models read through the fields
    :meth:`Decision.canonical_json` encodes; raises KeyError or TypeError where there is
    none."""
    for part in rest.split(".") if rest else ():
        data = _fields(data)[part] if isinstance(data, BaseModel) else data[part]
    return data


def plain_json(value: Any) -> bool:
    """JSON data as ``model_dump(mode="json")`` leaves it: strings, integers, booleans,
    nulls, and lists and string-keyed objects of them."""
    if value is None or type(value) in (str, int, bool):
        return True
    if type(value) is list:
        return all(plain_json(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and plain_json(v) for k, v in value.items())
    return False


_AS_DICT = frozenset({PolicyRef, SourceRef, Reason, OutcomeStatus, Counterfactual})
"""Models encoded as their ``__dict__`` whatever they hold (not subclasses: a subclass
may add members). ~47 models in a decision: checked by exact type first, as the
isinstance chain below cost ~10 µs of a ~22 µs encoding."""


def _fields(obj: Any) -> dict[str, Any]:
    """A model's fields as orjson should encode them: what ``model_dump(mode="json")``
    gives for the models in a decision (no aliases, no computed fields, extra
    forbidden), less the members a decision's format predates. Anything else raises
    TypeError, so :meth:`Decision.canonical_json` falls back to pydantic."""
    if type(obj) in _AS_DICT:
        return obj.__dict__  # type: ignore[no-any-return]
    if isinstance(obj, Decision):
        later = _LATER_MEMBERS.get(obj.format)
        if later:
            return {k: v for k, v in obj.__dict__.items() if k not in later}
        return obj.__dict__
    if isinstance(obj, Provenance) and obj.__dict__.get("signed_off", 0) is None:
        return {k: v for k, v in obj.__dict__.items() if k != "signed_off"}
    if isinstance(obj, _Frozen):
        return obj.__dict__
    raise TypeError(f"{type(obj).__name__} is not encoded directly")
