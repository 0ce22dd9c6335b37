"""verify's raw-bytes reader (:mod:`decision_engine.audit.raw_rows`) against the careful
path it stands in for: the same body for every row it reads, and ``None`` (the careful
path) for any row it cannot read exactly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.audit import codec, raw_rows
from decision_engine.audit.canonical import canonical
from decision_engine.audit.records import COLUMNS, hashed_body
from decision_engine.audit.verify import _Bad, _normalise

SCALARS = [c for c in COLUMNS if c not in ("seq", "input", "output", "detail")]
PLAIN = st.text(st.characters(blacklist_characters='"\\', min_codepoint=0x20,
                              blacklist_categories=("Cs",)), max_size=12)
ANY_TEXT = st.text(max_size=12)  # quotes, backslashes, controls, lone surrogates
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**53 + 1, 2**53 - 1) | ANY_TEXT,
                    lambda kids: st.lists(kids, max_size=3)
                    | st.dictionaries(PLAIN, kids, max_size=3), max_leaves=8)


def _raw(value: Any, as_str: bool) -> Any:
    """A value as the driver returns it: SQLite raw text is bytes, PostgreSQL text is str."""
    if not isinstance(value, str) or as_str:
        return value
    return value.encode("utf-8", "surrogatepass")


@st.composite
def rows(draw: st.DrawFn, scalar_text: st.SearchStrategy[str]) -> tuple[list[Any], bool]:
    as_str = draw(st.booleans())
    values: dict[str, Any] = {"seq": draw(st.integers(1, 2**40))}
    for name in SCALARS:
        values[name] = _raw(draw(st.none() | scalar_text), as_str)
    for name in ("input", "output", "detail"):
        if draw(st.booleans()):
            values[name] = None
            continue
        try:
            text = canonical(draw(JSON)).decode("utf-8")
        except (ValueError, UnicodeError):  # a lone surrogate has no canonical form
            text = "{}"
        if name != "detail" and draw(st.booleans()):
            values[name] = codec.pack(text)  # stored compressed (bytea on PostgreSQL)
        else:
            values[name] = _raw(text, as_str)
    return [values[name] for name in COLUMNS], as_str


def _careful(row: list[Any]) -> bytes | None:
    try:
        return hashed_body(_normalise(row))
    except (_Bad, ValueError):
        return None


@settings(max_examples=400, deadline=None)
@given(rows(ANY_TEXT))
def test_a_row_read_raw_has_the_body_the_careful_path_gives(drawn: tuple[list[Any], bool]) -> None:
    row, _ = drawn
    record = raw_rows.read(row)
    if record is None:
        return  # the careful path decides
    assert record.body == _careful(row)
    columns = dict(zip(COLUMNS, row, strict=True))
    assert record.seq == columns["seq"]
    for name in ("id", "kind", "prev_hash", "hash"):
        value = columns[name]
        assert getattr(record, name) == (value.decode() if isinstance(value, bytes) else value)
    for name in ("input", "output", "detail"):
        text = codec.unpack(columns[name])
        assert record.texts[name] == (None if text is None else text.encode("utf-8"))


@settings(max_examples=200, deadline=None)
@given(rows(PLAIN))
def test_plain_rows_are_read_raw(drawn: tuple[list[Any], bool]) -> None:
    """Rows like the store writes (no escapes) take the quick path, or it is not quick."""
    row, _ = drawn
    columns = dict(zip(COLUMNS, row, strict=True))
    if any(columns[n] is None for n in ("id", "kind", "prev_hash", "hash")):
        return
    record = raw_rows.read(row)
    assert record is not None
    assert record.body == _careful(row)


@pytest.mark.parametrize(("column", "value", "why"), [
    ("actor_id", b'a"b', "needs an escape"),
    ("actor_id", b"\xff", "not UTF-8"),
    ("actor_id", 7, "an integer in a text column"),
    ("seq", b"1", "seq as text"),
    ("output", codec.MAGIC + b"damaged", "a frame that does not decode"),
    ("hash", None, "no hash"),
])
def test_what_the_quick_path_leaves_to_the_careful_one(column: str, value: Any,
                                                        why: str) -> None:
    row: list[Any] = [1 if c == "seq" else b"x" for c in COLUMNS]
    row[COLUMNS.index("input")] = row[COLUMNS.index("output")] = b"{}"
    row[COLUMNS.index("detail")] = b"{}"
    assert raw_rows.read(row) is not None
    row[COLUMNS.index(column)] = value
    assert raw_rows.read(row) is None, why
