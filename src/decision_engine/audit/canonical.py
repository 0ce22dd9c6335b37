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
from collections.abc import Mapping
from typing import Any

import rfc8785

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first record in a chain."""

_INT_LIMIT = 2**53 - 1


def canonical(obj: Any) -> bytes:
    """Encode *obj* as RFC 8785 canonical JSON (the reference encoder)."""
    return bytes(rfc8785.dumps(obj))


def fast_json(obj: Any) -> bytes:
    """Encode *obj* the way RFC 8785 does for the common case, using the C encoder.

    Identical to :func:`canonical` for objects without floats and without keys outside
    the Basic Multilingual Plane (sorting differs there). Callers use it only as a fast
    equality pre-check and fall back to :func:`canonical` when the bytes differ.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


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
    # Same escaping rules as RFC 8785 (and rfc8785's own implementation); encoding to
    # UTF-8 rejects lone surrogates, as RFC 8785 requires.
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
