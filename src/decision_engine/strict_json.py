"""Strict reading of JSON from callers: what Python's parser accepts but a case must not.

``json.loads`` accepts a key given twice (keeping the last value silently) and lone
UTF-16 surrogates (``"\\ud800"``), which are not Unicode text: they cannot be encoded
as UTF-8, so such a string failed later, deep in hashing or output, as a 500 or a
traceback. Both are refused here with the path of the offending member. Dates are
strict too (:data:`IsoDate`): ``YYYY-MM-DD`` only, not a datetime or a timestamp.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict

from decision_engine.errors import DecisionEngineError

_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class JSONFieldError(DecisionEngineError):
    """A member of a JSON document is unacceptable; ``field`` is its dotted path."""

    def __init__(self, field: str, why: str) -> None:
        self.field = field
        self.why = why
        super().__init__(f"{field}: {why}")


class _Duplicated(dict[str, Any]):
    """An object whose source named ``key`` more than once."""

    key: str


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    dup = _Duplicated(obj)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            dup.key = key
            break
        seen.add(key)
    return dup


def loads(data: str | bytes, root: str = "") -> Any:
    """Parse *data*; raises ``json.JSONDecodeError`` for malformed JSON and
    :class:`JSONFieldError` (path below *root*) for a duplicate key or a lone surrogate.

    Cheap on the hot path: the tree is walked only when the hook saw a duplicate or the
    raw text has a surrogate escape.
    """
    duplicates = False

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicates
        obj = _pairs(pairs)
        duplicates = duplicates or isinstance(obj, _Duplicated)
        return obj

    try:
        value = json.loads(data, object_pairs_hook=hook)
    except RecursionError:
        raise JSONFieldError(root or "document", "is nested too deeply") from None
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if duplicates or _ESCAPED_SURROGATE.search(raw):
        _check(value, root)
    return value


def _check(value: Any, root: str) -> None:
    """The first duplicate key or surrogate, depth first, without recursion."""
    stack: list[tuple[Any, str]] = [(value, root)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            _text(node, path)
        elif isinstance(node, dict):
            if isinstance(node, _Duplicated):
                raise JSONFieldError(_join(path, node.key),
                                     "is given more than once (duplicate key)")
            for key, member in reversed(node.items()):
                _text(key, path, key=True)
                stack.append((member, _join(path, key)))
        elif isinstance(node, list):
            stack.extend((member, _join(path, str(i))) for i, member in
                         reversed(list(enumerate(node))))


def _text(text: str, path: str, *, key: bool = False) -> None:
    match = _SURROGATE.search(text)
    if match:
        what = "a member name" if key else "the value"
        raise JSONFieldError(path or "document", f"{what} contains a lone surrogate "
                             f"(U+{ord(match.group()):04X}), which is not Unicode text")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def whole_number(value: Any) -> int | None:
    """*value* as an ``int`` if JSON Schema's ``integer`` admits it, else None.

    JSON has one number type: ``11.0`` and ``1.1e1`` are the integer 11 (JSON Schema
    2020-12 says so, OpenAPI 3.1 generators send them, and RFC 8785 canonical JSON writes
    all three as ``11``), so they are taken as 11; ``11.5``, ``"11"`` and ``true`` are not.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _json_integer(value: Any) -> Any:
    number = whole_number(value)
    if number is None:
        raise ValueError("expected a whole number")
    return number


JsonInt = Annotated[int, BeforeValidator(_json_integer), Strict()]
"""An integer field: a JSON integer, or a number with no fraction (``11.0``); never a
string or a boolean."""


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value  # pydantic still checks that the day exists
    raise ValueError("expected a date as YYYY-MM-DD (no time, no timestamp)")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A date field that accepts ``YYYY-MM-DD`` (or a ``date``) and nothing else."""


def parse_iso_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` to a date; ``ValueError`` otherwise (``date.fromisoformat`` also
    takes ``20250601`` and week dates)."""
    if not _ISO_DATE.match(text):
        raise ValueError("expected a date as YYYY-MM-DD")
    return dt.date.fromisoformat(text)
