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

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from decision_engine.audit import codec
from decision_engine.audit.canonical import plain_bytes
from decision_engine.audit.records import COLUMNS, HASHED_COLUMNS, JSON_COLUMNS, KEY_PREFIX

_AT = {name: COLUMNS.index(name) for name in COLUMNS}
_MEMBERS = operator.itemgetter(*[_AT[name] for name in HASHED_COLUMNS])
"""A row's values in the body's member order."""
_SEQ = HASHED_COLUMNS.index("seq")
_SCALARS = [i for i, name in enumerate(HASHED_COLUMNS)
            if name != "seq" and name not in JSON_COLUMNS]
_TEXTS = [i for i, name in enumerate(HASHED_COLUMNS) if name in JSON_COLUMNS]
_TEXT_NAMES = [HASHED_COLUMNS[i] for i in _TEXTS]
_PACKED = [i for i in _TEXTS if HASHED_COLUMNS[i] in codec.PACKED_COLUMNS]
_TEMPLATES: dict[tuple[bool, ...], list[bytes]] = {}
"""Body templates by which members are null (a handful: one or two per kind)."""


def _template(nulls: tuple[bool, ...]) -> list[bytes]:
    """The body's literal pieces with an empty slot after each but the last for the
    values present (scalars quoted, JSON verbatim), to fill and ``b"".join``: one
    allocation of the body's size, where ``bytes %`` grew it as it went."""
    scalars = set(_SCALARS)
    parts = [KEY_PREFIX[name] + (b"null" if null else b'"\0"' if i in scalars else b"\0")
             for i, (name, null) in enumerate(zip(HASHED_COLUMNS, nulls, strict=True))]
    pieces: list[bytes] = []
    for piece in (b"{" + b",".join(parts) + b"}").split(b"\0"):
        pieces += [piece, b""]
    return pieces[:-1]


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
    seq = row[_AT["seq"]]
    if type(seq) is not int:
        return None
    values = list(_MEMBERS(row))
    try:
        if any(type(v) is str for v in values):  # PostgreSQL returns text
            values = [v.encode("utf-8") if type(v) is str else v for v in values]
        # join() refuses anything but bytes; the pattern holds for the whole iff for each
        if not plain_bytes(b"".join([values[i] for i in _SCALARS if values[i] is not None])):
            return None
        for i in _PACKED:
            if values[i] is not None:
                values[i] = codec.unpack_bytes(values[i])
        if any(values[i] is not None and type(values[i]) is not bytes for i in _TEXTS):
            return None
        values[_SEQ] = str(seq).encode("ascii")
        nulls = tuple([v is None for v in values])
        template = _TEMPLATES.get(nulls)
        if template is None:
            template = _TEMPLATES[nulls] = _template(nulls)
        pieces = template.copy()
        pieces[1::2] = [v for v in values if v is not None]
        body = b"".join(pieces)
        if not body.isascii():
            body.decode("utf-8")  # text must be UTF-8 (no lone surrogates either)
        digest = row[_AT["hash"]]
        if type(digest) is bytes:
            digest = digest.decode("utf-8")
        if type(digest) is not str:
            return None
        return RawRecord(seq, _str(row[_AT["id"]]), _str(row[_AT["kind"]]),
                         _str(row[_AT["prev_hash"]]), digest, body,
                         {name: values[i] for name, i in zip(_TEXT_NAMES, _TEXTS,
                                                             strict=True)}, row)
    except (codec.CodecError, UnicodeError, TypeError):
        return None


def _str(value: Any) -> str:
    """A value already inside a body checked as UTF-8 (so it decodes)."""
    if type(value) is bytes:
        return value.decode("utf-8")
    if type(value) is not str:
        raise TypeError("not text")
    return value


def txt(value: Any) -> Any:
    """Decode raw SQLite text for reporting; undecodable bytes become U+FFFD."""
    if type(value) is bytes:  # the common case first: it runs for every subject's row
        return value.decode("utf-8", errors="replace")
    if isinstance(value, bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return value
