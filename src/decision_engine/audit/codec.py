"""How a decision record's ``input`` and ``output`` are stored: zstd-compressed with a
pinned dictionary.

A decision's output is ~6.7 KB of canonical JSON, most of it the same words in every
decision (reason texts, sources, provenance); with a dictionary trained on decisions,
zstd stores it in ~450 bytes (its input, ~310 bytes, in ~60). Only the storage changes:
the chain hash, the Merkle leaf,
replay's byte comparison and every export are over the canonical text, so a record
written compressed verifies and replays exactly as one written before compression, and
both kinds live side by side in one store (old rows are never rewritten).

A dictionary is pinned like an approved policy: its bytes are bundled, its SHA-256 is
written here, and a frame names the dictionary it needs by id. A new dictionary gets a
new id and is added beside the old ones; stored records keep decoding with theirs.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import threading
from collections.abc import Sequence
from importlib import resources
from typing import Any

import zstandard

PACKED_COLUMNS = ("input", "output")
"""The ``audit_records`` columns stored compressed (hashed, read and exported as text)."""

MAGIC = b"\x28\xb5\x2f\xfd"
"""A zstd frame's first bytes; canonical JSON text never starts with them."""

DICTIONARIES = {1: "b922397c0d3d32a69afc5c8af242c90f29e690656eb6016f70fe688114fdfb24"}
"""Dictionary id → SHA-256 of its bundled bytes (``dictionaries/decisions-<id>.zdict``)."""

CURRENT = 1
MAX_OUTPUT = 8 * 1024 * 1024
"""Largest output a frame may decode to (decisions are tens of KB)."""
LEVEL = 3  # with the dictionary: ~10 µs a decision, ~450 bytes (docs/audit.md, "Storage")


class CodecError(ValueError):
    """A stored output that does not decode: altered, or a dictionary this build lacks."""


@functools.cache
def _dictionary(dict_id: int) -> zstandard.ZstdCompressionDict:
    digest = DICTIONARIES.get(dict_id)
    if digest is None:
        raise CodecError(f"stored output needs zstd dictionary {dict_id}, which this "
                         "build does not have (a newer release wrote it)")
    data = resources.files("decision_engine.audit").joinpath(
        f"dictionaries/decisions-{dict_id}.zdict").read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise CodecError(f"zstd dictionary {dict_id} does not match its pinned SHA-256")
    return zstandard.ZstdCompressionDict(data)


_local = threading.local()  # zstd (de)compressors are not safe across threads


def _compressor() -> zstandard.ZstdCompressor:
    held = getattr(_local, "compressor", None)
    if held is None:
        held = _local.compressor = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=_dictionary(CURRENT), write_content_size=True)
    return held


def _decompressor(dict_id: int) -> zstandard.ZstdDecompressor:
    held: dict[int, zstandard.ZstdDecompressor] | None = getattr(_local, "decompressors", None)
    if held is None:
        held = _local.decompressors = {}
    if dict_id not in held:
        held[dict_id] = zstandard.ZstdDecompressor(dict_data=_dictionary(dict_id))
    return held[dict_id]


def pack(text: str) -> bytes:
    """The stored form of an input's or output's canonical text."""
    return _compressor().compress(text.encode("utf-8"))


def unpack_bytes(value: bytes) -> bytes:
    """A stored input or output column read raw, as the UTF-8 bytes of its text (not
    checked to be UTF-8): a compressed frame decoded, other bytes as they are. Raises
    :class:`CodecError` for a frame that does not decode."""
    if not value.startswith(MAGIC):
        return value
    try:
        frame = zstandard.get_frame_parameters(value)
        if not 0 <= frame.content_size <= MAX_OUTPUT:  # a damaged header could ask for GBs
            raise CodecError(f"stored output claims {frame.content_size} bytes")
        data: bytes = _decompressor(frame.dict_id).decompress(value)
    except zstandard.ZstdError as exc:
        raise CodecError(f"stored output is not a readable zstd frame ({exc})") from None
    return data


def unpack(value: Any) -> Any:
    """An input or output column's value as text: compressed frames decoded, UTF-8 bytes (a raw
    read) decoded, text and None as they are. Raises :class:`CodecError` for a frame that
    does not decode and ``UnicodeDecodeError`` for bytes that are not UTF-8."""
    if isinstance(value, memoryview | bytearray):
        value = bytes(value)
    if not isinstance(value, bytes):
        return value
    return unpack_bytes(value).decode("utf-8")


def train(samples: Sequence[bytes], dict_id: int, size: int = 65536) -> bytes:
    """A new dictionary from decision outputs (all families, recent versions); bundle it as
    ``dictionaries/decisions-<id>.zdict`` and pin its SHA-256 in ``DICTIONARIES``."""
    return zstandard.train_dictionary(size, list(samples), dict_id=dict_id).as_bytes()


if __name__ == "__main__":  # python -m decision_engine.audit.codec STORE.db ID OUT
    import sqlite3

    rows = sqlite3.connect(sys.argv[1]).execute(
        "SELECT output FROM audit_records WHERE kind = 'decision' ORDER BY seq").fetchall()
    data = train([unpack(r[0]).encode("utf-8") for r in rows], int(sys.argv[2]))
    with open(sys.argv[3], "wb") as out:
        out.write(data)
    print(f"{len(data)} bytes from {len(rows)} decisions, sha256 "
          f"{hashlib.sha256(data).hexdigest()}")
