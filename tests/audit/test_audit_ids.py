"""Record ids and pseudonyms: time-ordered (so their indexes are written at one end),
unguessable, and in the formats every reader expects; and the check identifiers pass."""

from __future__ import annotations

import re
import time
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.audit import AuditValidationError, ids
from decision_engine.audit.validation import checked_text

_HEX32 = re.compile(r"[0-9a-f]{32}")


def test_a_record_id_is_an_rfc_9562_version_7_uuid_holding_the_time() -> None:
    before = time.time_ns() // 1_000_000
    value = ids.record_id()
    after = time.time_ns() // 1_000_000
    parsed = uuid.UUID(value)
    assert str(parsed) == value and parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert before <= parsed.int >> 80 <= after


def test_a_pseudonym_is_32_hex_digits_holding_the_time() -> None:
    before = time.time_ns() // 1_000_000
    value = ids.pseudonym()
    after = time.time_ns() // 1_000_000
    assert _HEX32.fullmatch(value)
    assert before <= int(value[:12], 16) <= after


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=2, max_value=30))
def test_later_identifiers_sort_after_earlier_ones_across_milliseconds(count: int) -> None:
    made = []
    for _ in range(count):
        made.append((ids.record_id(), ids.pseudonym()))
        start = time.time_ns()
        while time.time_ns() // 1_000_000 == start // 1_000_000:
            pass  # the next pair is made in a later millisecond
    assert [r for r, _ in made] == sorted(r for r, _ in made)
    assert [p for _, p in made] == sorted(p for _, p in made)


def test_identifiers_made_in_the_same_millisecond_still_differ_in_their_random_bits() -> None:
    records = [ids.record_id() for _ in range(20_000)]
    pseudonyms = [ids.pseudonym() for _ in range(20_000)]
    assert len(set(records)) == len(records) and len(set(pseudonyms)) == len(pseudonyms)
    tails = {uuid.UUID(r).int & ((1 << 62) - 1) for r in records}
    assert len(tails) == len(records)  # the random part alone tells them apart
    assert len({p[12:] for p in pseudonyms}) == len(pseudonyms)


@given(st.integers(min_value=0, max_value=(1 << 128) - 1))
def test_uuid_text_spells_a_128_bit_value_as_the_uuid_module_does(value: int) -> None:
    assert ids.uuid_text(value) == str(uuid.UUID(int=value))


@given(st.text(min_size=1, max_size=20))
def test_an_identifier_is_refused_exactly_when_it_holds_a_control_character(text: str) -> None:
    if not text.strip():
        return  # refused as empty, whatever it holds
    try:
        checked_text("actor_id", text)
        refused = False
    except AuditValidationError as exc:
        assert "control characters" in str(exc)
        refused = True
    assert refused == any(ord(ch) < 32 for ch in text)
