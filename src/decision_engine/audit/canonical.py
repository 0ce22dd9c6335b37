"""Canonical JSON (RFC 8785) and the record hash.

The chain hash is ``sha256(RFC8785(body))`` where *body* is the record's columns
(everything except ``hash``) as one JSON object, with the JSON columns (``input``,
``output``, ``detail``) nested as JSON values. Anyone holding an export can therefore
recompute every hash with any RFC 8785 implementation.

Computing that with a generic canonicaliser means parsing and re-encoding every
decision, which is slow (the pure-Python ``rfc8785`` takes ~55 µs for a 800-byte
decision). Because the JSON columns are *stored* in canonical form, the canonical body
can instead be assembled by splicing the stored bytes verbatim between canonically
encoded scalars. For an honest record that yields exactly ``RFC8785(body)``; for a
tampered record any changed byte is inside the hashed bytes, so the hash changes. The
equivalence is tested property-based in ``tests/audit/test_audit_canonical.py``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import orjson
import rfc8785

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first record in a chain."""

_INT_LIMIT = 2**53 - 1
_ASTRAL = re.compile(rb"[\xf0-\xff]")
"""A UTF-8 lead byte of a character outside the Basic Multilingual Plane."""
_PLAIN_STRING = re.compile(r'[^"\\\x00-\x1f]*')
"""Strings that RFC 8785 writes verbatim between quotes (no escapes needed)."""
_ESCAPED_BYTES = bytes([ord('"'), ord("\\"), *range(0x20)])


def plain_bytes(value: bytes) -> bool:
    """The same test on UTF-8 bytes read raw from the store (a deletion that deletes
    nothing: ~5x quicker than the pattern on a record's ~360 bytes of scalars)."""
    return len(value.translate(None, _ESCAPED_BYTES)) == len(value)


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                            check_circular=False)


def canonical(obj: Any) -> bytes:
    """Encode *obj* as RFC 8785 canonical JSON (the reference encoder)."""
    return bytes(rfc8785.dumps(obj))


def fast_json(obj: Any) -> bytes:
    """Encode *obj* the way RFC 8785 does for the common case, using a C encoder.

    Identical to :func:`canonical` for objects without floats and without characters
    outside the Basic Multilingual Plane (key sorting differs there; property-tested).
    Callers use it where they have ruled those out, or as an equality pre-check that
    falls back to :func:`canonical`. orjson (~7x faster than ``json``) is used when it
    can encode the value; integers beyond 64 bits fall back to ``json``.
    """
    try:
        out: bytes = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return _ENCODER.encode(obj).encode("utf-8")
    return out


def _float_free(obj: Any) -> bool:
    if isinstance(obj, dict):
        values: Any = obj.values()
    elif isinstance(obj, list | tuple):
        values = obj
    else:
        return not isinstance(obj, float)
    for value in values:  # leaves inline: this runs for every subject verify checks
        kind = type(value)
        if kind is not str and kind is not int and value is not None and not _float_free(value):
            return False
    return True


def canonical_fast(obj: Any) -> bytes:
    """RFC 8785 of *obj*: the C encoder when that is provably identical (no floats, no
    characters outside the BMP), else the reference encoder. For small objects."""
    if _float_free(obj):
        encoded = fast_json(obj)
        if not _ASTRAL.search(encoded):
            return encoded
    return canonical(obj)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_canonical(raw: bytes) -> tuple[Any, bool]:
    """Parse *raw* and check it is exactly RFC 8785; raises ``ValueError`` if not.

    Returns the value and whether it is *simple* (no floats, no characters outside the
    Basic Multilingual Plane), in which case :func:`fast_json` of it and of any part of
    it is canonical — the C encoder then replaces the ~50x slower reference encoder.
    """
    floats = False

    def on_float(text: str) -> float:
        nonlocal floats
        floats = True
        return float(text)

    value = json.loads(raw, parse_float=on_float, parse_constant=_no_constants)
    # A UTF-8 lead byte >= 0xF0 starts a character outside the BMP, where sorting by
    # code point (json) and by UTF-16 code unit (RFC 8785) can disagree.
    simple = not floats and not _ASTRAL.search(raw)
    if (fast_json(value) if simple else canonical(value)) != raw:
        raise ValueError("not RFC 8785 canonical JSON")
    return value, simple


def encode_scalar(value: str | int | bool | None) -> bytes:
    """Canonical encoding of a column value (string, integer, boolean or null)."""
    if value is None:
        return b"null"
    if value is True:
        return b"true"
    if value is False:
        return b"false"
    if isinstance(value, int):
        if not -_INT_LIMIT <= value <= _INT_LIMIT:
            raise ValueError(f"integer {value} outside the JSON safe range")
        return str(value).encode("ascii")
    if _PLAIN_STRING.fullmatch(value):
        return b'"' + value.encode("utf-8") + b'"'  # rejects lone surrogates, as required
    # Same escaping rules as RFC 8785 (and rfc8785's own implementation).
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def splice_object(fields: Mapping[str, bytes]) -> bytes:
    """Join already-encoded member values into one canonical JSON object.

    Keys must be ASCII (true for column names), so plain sorting equals RFC 8785's
    UTF-16 code-unit ordering.
    """
    parts = [encode_scalar(key) + b":" + fields[key] for key in sorted(fields)]
    return b"{" + b",".join(parts) + b"}"


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of *data*."""
    return hashlib.sha256(data).hexdigest()
