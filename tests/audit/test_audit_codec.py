"""Decision outputs stored zstd-compressed with a pinned dictionary (issue 14, store size):
the hash, verify, replay and every read stay over the canonical text; records written
before compression read, verify and replay beside compressed ones; a damaged frame or
dictionary is reported, never silently decoded."""

from __future__ import annotations

from typing import Any

import pytest
import zstandard
from audit_support import Made, Raw
from hypothesis import given
from hypothesis import strategies as st

from decision_engine.audit import RecordFilter, Store, codec
from decision_engine.audit.records import AccessContext
from decision_engine.audit.verify import verify_store

ACCESS = AccessContext("auditor", "a-1", "*", "codec replay check")


@given(st.text(max_size=3000))
def test_pack_then_unpack_is_the_identity(text: str) -> None:
    packed = codec.pack(text)
    assert packed.startswith(codec.MAGIC)
    assert codec.unpack(packed) == text
    assert codec.unpack(text) == text  # a row written before compression
    assert codec.unpack(text.encode("utf-8")) == text  # a raw (bytes) read of one
    assert codec.unpack(None) is None


def _append(store: Store, made: list[Made]) -> list[str]:
    return [store.append_decision(m.decision, m.subject, actor_role="officer", actor_id="o",
                                  service_area=m.service_area).id for m in made]


def _raw_output(raw: Raw, record_id: str) -> bytes:
    [(value,)] = raw.execute("SELECT output FROM audit_records WHERE id = ?", (record_id,))
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def test_a_stored_output_is_compressed_and_reads_as_its_canonical_text(
        store_url: str, store: Store, decisions: list[Made]) -> None:
    ids = _append(store, decisions[:10])
    raw = Raw(store_url)
    try:
        for made, record_id in zip(decisions[:10], ids, strict=True):
            text = made.decision.canonical_json()
            stored = _raw_output(raw, record_id)
            assert stored.startswith(codec.MAGIC)
            assert len(stored) * 5 < len(text)  # the dictionary earns its keep
            record = store.get(record_id, made.service_area)
            assert record is not None and record.output == text.decode("utf-8")
    finally:
        raw.close()
    assert verify_store(store.db).ok


def test_records_written_before_compression_verify_and_replay_beside_new_ones(
        store_url: str, store: Store, decisions: list[Made],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from decision_engine.audit import ReplayOptions, replay
    from decision_engine.policy.registry import bundled_root

    with monkeypatch.context() as before:  # the store as an older release wrote it
        before.setattr(codec, "pack", lambda text: text)
        old = _append(store, decisions[:6])
    new = _append(store, decisions[6:12])
    raw = Raw(store_url)
    try:
        assert not _raw_output(raw, old[0]).startswith(codec.MAGIC)
        assert _raw_output(raw, new[0]).startswith(codec.MAGIC)
    finally:
        raw.close()
    result = verify_store(store.db)
    assert result.ok and result.records == 12
    report = replay(store, RecordFilter(), ReplayOptions(policies_root=str(bundled_root())),
                    ACCESS, progress=False)
    assert (report.selected, report.reproduced, report.differs, report.errors) == (
        12, 12, 0, 0)


def _tamper(store_url: str, record_id: str, value: Any) -> None:
    raw = Raw(store_url)
    try:
        raw.disable_triggers()
        raw.execute("UPDATE audit_records SET output = ? WHERE id = ?", (value, record_id))
    finally:
        raw.close()


@pytest.mark.parametrize("where", ["body", "header"])
def test_a_damaged_frame_is_reported_at_its_record(store_url: str, store: Store,
                                                    decisions: list[Made], where: str) -> None:
    ids = _append(store, decisions[:5])
    raw = Raw(store_url)
    try:
        frame = bytearray(_raw_output(raw, ids[2]))
    finally:
        raw.close()
    at = len(frame) // 2 if where == "body" else 5  # 5: the frame header's size field
    frame[at] ^= 0x5A
    _tamper(store_url, ids[2], bytes(frame))
    result = verify_store(store.db)
    assert not result.ok and result.broken is not None
    assert result.broken.seq == 3  # the damaged record, by its place in the chain
    assert "altered" in result.broken.why


def test_an_output_needing_an_unknown_dictionary_says_so() -> None:
    other = zstandard.ZstdCompressor(dict_data=zstandard.ZstdCompressionDict(
        zstandard.train_dictionary(4096, [b'{"outcome":"charge","n":%d}' % i
                                          for i in range(400)], dict_id=77).as_bytes()))
    with pytest.raises(codec.CodecError, match="dictionary 77, which this build does not"):
        codec.unpack(other.compress(b'{"outcome":"charge"}'))


def test_a_dictionary_that_does_not_match_its_pin_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    packed = codec.pack('{"outcome":"charge"}')
    monkeypatch.setitem(codec.DICTIONARIES, codec.CURRENT, "0" * 64)
    codec._dictionary.cache_clear()
    monkeypatch.setattr(codec, "_local", type(codec._local)())
    try:
        with pytest.raises(codec.CodecError, match="does not match its pinned SHA-256"):
            codec.unpack(packed)
    finally:
        codec._dictionary.cache_clear()
