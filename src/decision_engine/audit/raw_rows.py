"""A record's hashed body straight from the bytes the database returns, for verify.

:func:`~decision_engine.audit.verify.walk` reads a million records; turning every column
into ``str`` and back into bytes to hash it cost a third of its time. For a row whose
values are what the store writes (UTF-8 text needing no JSON escapes, an integer
``seq``, input and output as frames or text), :func:`read` builds the same body from the
raw bytes. Anything else (an escape, a wrong type, a frame that does not decode, bytes
that are not UTF-8) gets ``None`` and the careful path in ``verify``, which describes
exactly what is wrong; ``tests/audit/test_audit_raw_rows.py`` checks the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from decision_engine.audit import codec
from decision_engine.audit.canonical import PLAIN_BYTES
from decision_engine.audit.records import COLUMNS, HASHED_COLUMNS, JSON_COLUMNS, KEY_PREFIX

_AT = {name: COLUMNS.index(name) for name in COLUMNS}
_ORDER = {name: i for i, name in enumerate(HASHED_COLUMNS)}
_PREFIXES = [KEY_PREFIX[name] for name in HASHED_COLUMNS]
_SCALARS = [name for name in HASHED_COLUMNS
            if name != "seq" and name not in JSON_COLUMNS]
_TEXTS = [name for name in HASHED_COLUMNS if name in JSON_COLUMNS]
_SCALAR_AT = [_AT[name] for name in _SCALARS]
_TEXT_AT = [_AT[name] for name in _TEXTS]
_TEXT_PACKED = [name in codec.PACKED_COLUMNS for name in _TEXTS]
_SEQ_AT = _AT["seq"]
# Where each value lands in the body: scalars, then JSON texts, then seq.
_SLOTS = [_ORDER[name] for name in (*_SCALARS, *_TEXTS, "seq")]


@dataclass(frozen=True, slots=True)
class RawRecord:
    """What the chain checks need of one record, read from a raw row."""

    seq: int
    id: str
    kind: str
    prev_hash: str
    hash: str
    body: bytes
    """The canonical body its ``hash`` and Merkle leaf cover."""
    texts: dict[str, bytes | None]
    """``input``, ``output`` and ``detail`` as the UTF-8 bytes of their canonical JSON."""
    row: Sequence[Any]
    """The row as read."""

    def text(self, name: str) -> str | None:
        """A scalar column as text (the body it belongs to has been checked as UTF-8)."""
        value = self.row[_AT[name]]
        return value.decode("utf-8") if isinstance(value, bytes) else value


def read(row: Sequence[Any]) -> RawRecord | None:
    """The record in *row* (``COLUMNS`` order, raw text), or ``None`` when any value
    needs the careful path."""
    seq = row[_SEQ_AT]
    if type(seq) is not int:
        return None
    scalars = [row[i] for i in _SCALAR_AT]
    texts = [row[i] for i in _TEXT_AT]
    try:
        if any(type(v) is str for v in (*scalars, *texts)):  # PostgreSQL returns text
            scalars = [v.encode("utf-8") if type(v) is str else v for v in scalars]
            texts = [v.encode("utf-8") if type(v) is str else v for v in texts]
        # join() refuses anything but bytes; the pattern holds for the whole iff for each
        if not PLAIN_BYTES.fullmatch(b"".join([v for v in scalars if v is not None])):
            return None
        texts = [codec.unpack_bytes(v) if packed and v is not None else v
                 for packed, v in zip(_TEXT_PACKED, texts, strict=True)]
        if any(v is not None and type(v) is not bytes for v in texts):
            return None
        values = [b"null" if v is None else b'"' + v + b'"' for v in scalars]
        values += [b"null" if v is None else v for v in texts]
        values.append(str(seq).encode("ascii"))
        ordered: list[bytes] = [b""] * len(values)
        for slot, value in zip(_SLOTS, values, strict=True):
            ordered[slot] = value
        body = b"{" + b",".join([p + v for p, v in zip(_PREFIXES, ordered, strict=True)]) + b"}"
        if not body.isascii():
            body.decode("utf-8")  # text must be UTF-8 (no lone surrogates either)
        digest = row[_AT["hash"]]
        if type(digest) is bytes:
            digest = digest.decode("utf-8")
        if type(digest) is not str:
            return None
        return RawRecord(seq, _str(row[_AT["id"]]), _str(row[_AT["kind"]]),
                         _str(row[_AT["prev_hash"]]), digest, body,
                         dict(zip(_TEXTS, texts, strict=True)), row)
    except (codec.CodecError, UnicodeError, TypeError):
        return None


def _str(value: Any) -> str:
    """A value already inside a body checked as UTF-8 (so it decodes)."""
    if type(value) is bytes:
        return value.decode("utf-8")
    if type(value) is not str:
        raise TypeError("not text")
    return value
