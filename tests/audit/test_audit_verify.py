"""Tamper evidence: any single-byte change, deletion, reordering or rewrite is detected."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from audit_support import Made, Raw, fill_every_kind
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.audit import Checkpoint, Store, open_store
from decision_engine.audit.canonical import canonical as canonical_json
from decision_engine.audit.drafts import parse_decision
from decision_engine.audit.records import COLUMNS, AuditRecord, record_hash
from decision_engine.audit.verify import _agrees, _Bad, _check_parsed, walk

TEXT_COLUMNS = [c for c in COLUMNS if c != "seq"]


def _flip(value: bytes, rng: random.Random, ascii_only: bool) -> bytes:
    if ascii_only:
        positions = [i for i, b in enumerate(value) if b < 0x80]
        pos = rng.choice(positions)
        new = rng.choice([b for b in range(0x20, 0x7F) if b != value[pos]])
    else:
        pos = rng.randrange(len(value))
        new = rng.choice([b for b in range(256) if b != value[pos]])
    return value[:pos] + bytes([new]) + value[pos + 1:]


def test_audit_random_single_byte_changes_in_the_database_are_detected(
        store_url: str, store: Store, decisions: list[Made]) -> None:
    """Raw SQL with triggers bypassed, one byte at a time; each is named and reverted."""
    records = fill_every_kind(store, decisions, 25)
    rng = random.Random(2024)
    raw = Raw(store_url)
    raw.disable_triggers()
    rounds = 400 if raw.backend == "sqlite" else 150
    detected = refused = 0
    try:
        for _ in range(rounds):
            record = rng.choice(records)
            column = rng.choice([c for c in TEXT_COLUMNS if getattr(record, c)])
            original: str = getattr(record, column)
            changed = _flip(original.encode(), rng, ascii_only=raw.backend == "postgresql")
            try:
                raw.set_text("audit_records", column, "seq", record.seq, changed)
            except Exception:  # a CHECK / UNIQUE constraint refused it: also fine
                refused += 1
                continue
            result = store.verify()
            raw.set_text("audit_records", column, "seq", record.seq, original)
            assert not result.ok, (record.seq, column)
            assert result.broken is not None and result.broken.seq == record.seq, (
                column, result.broken)
            detected += 1
        assert store.verify().ok  # reverting restores a verifying chain: no false positive
    finally:
        raw.close()
    assert detected + refused == rounds and detected > rounds * 0.8


def test_audit_deletion_reordering_and_tail_truncation_are_detected(
        store_url: str, store: Store, decisions: list[Made]) -> None:
    records = fill_every_kind(store, decisions, 8)
    last = records[-1].seq
    raw = Raw(store_url)
    raw.disable_triggers()
    try:
        raw.execute("DELETE FROM audit_records WHERE seq = 4")
        result = store.verify()
        assert result.broken is not None and result.broken.seq == 5
        assert "missing" in result.broken.why
        _reinsert(raw, records[3])
        assert store.verify().ok

        # reorder: swap the contents of seq 3 and 6, keeping the seq numbers
        a, b = records[2], records[5]
        raw.execute("DELETE FROM audit_records WHERE seq IN (3, 6)")
        _reinsert(raw, a, seq=6)
        _reinsert(raw, b, seq=3)
        result = store.verify()
        assert result.broken is not None and result.broken.seq == 3
        raw.execute("DELETE FROM audit_records WHERE seq IN (3, 6)")
        _reinsert(raw, a)
        _reinsert(raw, b)
        assert store.verify().ok

        # delete the newest record: the chain head table still remembers it
        raw.execute("DELETE FROM audit_records WHERE seq = ?", (last,))
        result = store.verify()
        assert result.broken is not None and result.broken.seq == last
        assert "deleted" in result.broken.why
    finally:
        raw.close()


def _reinsert(raw: Raw, record: AuditRecord, seq: int | None = None) -> None:
    values: list[Any] = [getattr(record, c) for c in COLUMNS]
    if seq is not None:
        values[0] = seq
    raw.execute(f"INSERT INTO audit_records ({', '.join(COLUMNS)}) VALUES "
                f"({', '.join('?' for _ in COLUMNS)})", tuple(values))


def test_audit_checkpoint_catches_a_rewrite_of_the_whole_chain(
        store_url: str, store: Store, decisions: list[Made], tmp_path: Path) -> None:
    records = fill_every_kind(store, decisions, 6)
    cp = store.checkpoint()
    assert cp.seq == records[-1].seq and cp.count == len(records)
    assert store.verify([cp]).ok
    # The attacker changes one outcome and recomputes every hash after it, head included.
    raw = Raw(store_url)
    raw.disable_triggers()
    try:
        prev = records[0].prev_hash
        for record in records:
            columns = record.as_columns()
            columns["prev_hash"] = prev
            if record.seq == 2:
                output = json.loads(columns["output"])
                output["outcome"] = columns["outcome"] = "no_further_action" \
                    if columns["outcome"] != "no_further_action" else "charge"
                from decision_engine.audit.canonical import canonical
                columns["output"] = canonical(output).decode()
            columns["hash"] = record_hash(columns)
            raw.execute("DELETE FROM audit_records WHERE seq = ?", (record.seq,))
            raw.execute(f"INSERT INTO audit_records ({', '.join(COLUMNS)}) VALUES "
                        f"({', '.join('?' for _ in COLUMNS)})",
                        tuple(columns[c] for c in COLUMNS))
            prev = columns["hash"]
        raw.execute("UPDATE chain_head SET hash = ? WHERE id = 1", (prev,))
        # The stored Merkle tree still has the old leaves and would give it away.
        assert not store.verify().ok
        raw.execute("DELETE FROM merkle_nodes")
    finally:
        raw.close()
    assert store.verify().ok  # self-consistent: only a checkpoint can tell
    result = store.verify([cp])
    assert result.broken is not None and result.broken.seq == cp.seq
    assert "checkpoint" in result.broken.why
    # A checkpoint beyond the end (chain truncated and rewritten) is caught too.
    ahead = Checkpoint(seq=cp.seq + 5, hash=cp.hash, count=cp.count + 5, created_at="t")
    result = store.verify([ahead])
    assert result.broken is not None
    assert f"lacks records seq {cp.seq + 1}..{cp.seq + 5} (5 records)" in result.broken.why


def test_audit_subject_tampering_is_detected(store_url: str, store: Store,
                                             decisions: list[Made]) -> None:
    fill_every_kind(store, decisions, 4)
    live = [r for r in store.list_records() if r.pseudonym and
            store.subject(r.pseudonym).erased_at is None]  # type: ignore[union-attr]
    a, b = live[0].pseudonym, live[1].pseudonym
    raw = Raw(store_url)
    raw.disable_triggers()
    try:
        ref_a = raw.execute("SELECT case_reference FROM subjects WHERE pseudonym = ?", (a,))
        ref_b = raw.execute("SELECT case_reference FROM subjects WHERE pseudonym = ?", (b,))
        raw.execute("UPDATE subjects SET case_reference = ? WHERE pseudonym = ?",
                    (ref_b[0][0], a))
        raw.execute("UPDATE subjects SET case_reference = ? WHERE pseudonym = ?",
                    (ref_a[0][0], b))
        result = store.verify()
        assert not result.ok and result.broken is None
        assert any(a in p for p in result.subject_problems)
        assert any(b in p for p in result.subject_problems)
        raw.execute("DELETE FROM subjects WHERE pseudonym = ?", (a,))
        assert any("deleted" in p for p in store.verify().subject_problems)
    finally:
        raw.close()


def test_audit_ten_thousand_single_byte_changes_all_detected(
        tmp_path: Path, decisions: list[Made]) -> None:
    """The verifier itself, fed mutated rows: 100% detected, 0 false positives."""
    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        records = fill_every_kind(store, decisions, 30)
    rows = [tuple(getattr(r, c) for c in COLUMNS) for r in records]
    assert walk(rows)[3] is None
    rng = random.Random(10_000)
    missed = []
    for _ in range(10_000):
        index = rng.randrange(len(rows))
        column = rng.randrange(1, len(COLUMNS))
        value = rows[index][column]
        if value is None:
            column, value = 1, rows[index][1]
        mutated = list(rows[index])
        mutated[column] = _flip(value.encode(), rng, ascii_only=False)
        # Rows before the mutated one are unchanged (walked whole below); continue from the
        # previous record so 10,000 trials stay fast.
        start = (rows[index - 1][0], rows[index - 1][-1]) if index else (0, "0" * 64)
        broken = walk([tuple(mutated), *rows[index + 1:index + 2]], start=start)[3]
        if broken is None or broken.seq != rows[index][0]:
            missed.append((index, COLUMNS[column]))
    assert missed == []
    assert walk(rows)[3] is None


def test_audit_walk_detects_gaps_swaps_and_seq_changes(
        tmp_path: Path, decisions: list[Made]) -> None:
    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        records = fill_every_kind(store, decisions, 6)
    rows = [tuple(getattr(r, c) for c in COLUMNS) for r in records]
    assert walk(rows[:3] + rows[4:])[3].seq == rows[4][0]  # type: ignore[union-attr]
    swapped = [*rows[:2], rows[3], rows[2], *rows[4:]]
    assert walk(swapped)[3].seq == rows[3][0]  # type: ignore[union-attr]
    renumbered = [*rows[:2], (99, *rows[2][1:]), *rows[3:]]
    assert walk(renumbered)[3] is not None
    assert walk([])[3] is None
    cp = Checkpoint(seq=3, hash=rows[2][-1], count=3, created_at="t")
    assert walk(rows, [cp])[3] is None
    with pytest.raises(AssertionError):
        assert walk(rows[:2], [cp])[3] is None


def test_audit_parallel_walk_finds_what_the_sequential_walk_finds(
        store_url: str, store: Store, decisions: list[Made],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges of 5 records on 2 worker processes: an intact chain is verified in
    parallel (with the same result), and every kind of damage gets the sequential walk's
    exact description, at range boundaries too."""
    from decision_engine.audit import verify_parallel
    from decision_engine.audit.verify import verify_store

    records = fill_every_kind(store, decisions, 12)
    used: list[object] = []
    real = verify_parallel.walk_parallel

    def spy(*args: Any, **kwargs: Any) -> Any:
        used.append(real(*args, **kwargs))
        return used[-1]

    monkeypatch.setattr(verify_parallel, "walk_parallel", spy)

    def both(against: tuple[Checkpoint, ...] = ()) -> Any:
        parallel = verify_store(store.db, against, workers=2, chunk=5)
        assert parallel == verify_store(store.db, against, workers=1)
        return parallel

    intact = both()
    assert intact.ok and intact.records == len(records) and used and used[-1] is not None
    cp = store.checkpoint()
    raw = Raw(store_url)
    raw.disable_triggers()
    try:
        for seq in (5, 6, len(records)):  # the last of a range, the first of the next, the end
            record = records[seq - 1]
            raw.set_text("audit_records", "detail", "seq", seq, record.detail + " ")
            result = both()
            assert result.broken is not None and result.broken.seq == seq
            assert used[-1] is None  # the parallel walk gave way
            raw.set_text("audit_records", "detail", "seq", seq, record.detail)
        raw.execute("DELETE FROM audit_records WHERE seq = 10")
        gap = both()
        assert gap.broken is not None and gap.broken.seq == 11
        _reinsert(raw, records[9])
        raw.execute("UPDATE merkle_nodes SET hash = ? WHERE level = 1 AND idx = 2",
                    (b"\x00" * 32,))
        tree = both()
        assert tree.broken is not None and "merkle_nodes" in tree.broken.why
    finally:
        raw.close()
    rewritten = Checkpoint(seq=7, hash="0" * 64, count=7, created_at=cp.created_at)
    assert both((rewritten,)).broken is not None


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=6)
_DECISION_FIELDS = ("family", "policy_version", "policy_sha256", "decision_date", "outcome")


def _decision_columns(made: Made) -> tuple[dict[str, Any], bytes, dict[str, Any]]:
    """The columns the store writes for *made*, its input column, its parsed output."""
    columns: dict[str, Any] = dict(parse_decision(made.decision))
    return columns, columns.pop("input").encode(), json.loads(columns.pop("output"))


def test_verify_quick_decision_check_agrees_on_every_stored_decision(
        decisions: list[Made]) -> None:
    for made in decisions:
        columns, facts, output = _decision_columns(made)
        assert _agrees(columns, facts, canonical_json(output)), made.decision.family


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_verify_quick_decision_check_never_says_yes_where_the_full_check_says_no(
        decisions: list[Made], data: st.DataObject) -> None:
    """``_agrees`` answers yes only where the full parse would pass: altered columns,
    fields of the output replaced by any JSON, removed, or an input that parses equal
    but is not the same bytes."""
    made = data.draw(st.sampled_from(decisions[:20]))
    columns, facts, output = _decision_columns(made)
    change = data.draw(st.sampled_from(["column", "field", "drop", "input", "facts"]))
    if change == "column":
        columns[data.draw(st.sampled_from(_DECISION_FIELDS))] = data.draw(
            st.none() | st.text(max_size=12) | st.sampled_from(list(columns.values())))
    elif change in ("field", "drop"):
        path = data.draw(st.sampled_from([("decision_date",), ("outcome",), ("input",),
                                          ("policy",), ("policy", "family"),
                                          ("policy", "version"), ("policy", "sha256")]))
        where = output if len(path) == 1 else output[path[0]]
        if change == "drop":
            where.pop(path[-1])
        else:
            where[path[-1]] = data.draw(_JSON)
    elif change == "input":
        output["input"][data.draw(st.text(max_size=6))] = data.draw(_JSON)
    else:
        facts = json.dumps(output["input"], indent=data.draw(st.sampled_from([None, 1]))
                           ).encode()
    encoded = canonical_json(output)
    try:
        _check_parsed(columns, facts, encoded)
        full = True
    except _Bad:
        full = False
    if _agrees(columns, facts, encoded):
        assert full, change
    if change == "facts":  # same value, other bytes: the full check still accepts it
        assert full
