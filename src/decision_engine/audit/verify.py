"""Verification: walk the chain, name the first broken record.

Checks, in chain order: seq numbers are contiguous from 1 (a gap means deletion); each
``prev_hash`` equals the previous record's hash (deletion, reordering, insertion); each
record's hash equals SHA-256 of its canonical body (any changed byte); decision records
agree with their own output; checkpoints taken earlier still match (a rewrite of the
whole chain). Then the chain head table must point at the last record (tail deletion),
and every subject's identifiers must match the salted digest chained with its decision.
Last, the database's own integrity check (:mod:`.integrity`) looks at what the chain
cannot see: indexes and pages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, replace
from typing import Any, Protocol

import msgspec
import orjson

from decision_engine.audit import codec, raw_rows, verify_parallel
from decision_engine.audit.canonical import GENESIS_HASH, sha256_hex
from decision_engine.audit.db import Database, Row, Snapshot
from decision_engine.audit.integrity import check_database
from decision_engine.audit.merkle import CompactRange, leaf_hash
from decision_engine.audit.raw_rows import txt
from decision_engine.audit.records import (
    COLUMNS,
    KINDS,
    Broken,
    Checkpoint,
    VerifyResult,
    hashed_body,
)
from decision_engine.audit.subject_check import subject_problems


class TreeHeadLike(Protocol):
    """What verification needs of a signed tree head (signature checked elsewhere)."""

    @property
    def tree_size(self) -> int: ...

    @property
    def timestamp(self) -> int: ...

    @property
    def root_hash(self) -> str: ...


@dataclass(frozen=True, slots=True)
class _StoredHead:
    tree_size: int
    timestamp: int
    root_hash: str


class _Bad(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def _normalise(row: Sequence[Any]) -> dict[str, Any]:
    """Column dict with text decoded; raises ``_Bad`` for bytes that are not UTF-8."""
    out: dict[str, Any] = {}
    for name, value in zip(COLUMNS, row, strict=True):
        if name in codec.PACKED_COLUMNS:  # stored compressed; raw reads give bytes anyway
            try:
                value = codec.unpack(value)
            except codec.CodecError as exc:
                raise _Bad(f"column {name}: {exc} (altered)") from None
            except UnicodeDecodeError:
                raise _Bad(f"column {name} is not valid UTF-8 (altered)") from None
        if isinstance(value, bytes | bytearray | memoryview):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise _Bad(f"column {name} is not valid UTF-8 (altered)") from None
        if name == "seq":
            if not isinstance(value, int) or isinstance(value, bool):
                raise _Bad("seq is not an integer (altered)")
        elif value is not None and not isinstance(value, str):
            raise _Bad(f"column {name} holds a {type(value).__name__}, not text (altered)")
        out[name] = value
    return out


_DECISION_COLUMNS = ("family", "policy_version", "policy_sha256", "decision_date", "outcome")


class _Policy(msgspec.Struct):
    family: str
    version: str
    sha256: str


class _Output(msgspec.Struct):
    """What the decision check reads of an output; the rest (~6 KB) is skipped unparsed."""

    decision_date: str
    outcome: str
    policy: _Policy
    input: msgspec.Raw


_OUTPUT = msgspec.json.Decoder(_Output)


def _agrees(columns: Mapping[str, Any], facts_json: str | bytes,
            output_json: str | bytes) -> bool:
    """The quick yes (~3x quicker than parsing the whole output): the output's fields
    equal the columns and its ``input`` is the input column byte for byte (both are
    canonical, so in a stored decision it always is). Any doubt answers ``False`` and
    :func:`_check_parsed` decides. A yes is a yes there too for any output it can read
    (tested); the fields skipped here are checked as JSON but not as numbers in range."""
    try:
        output = _OUTPUT.decode(output_json)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    policy = output.policy
    facts = facts_json.encode("utf-8") if isinstance(facts_json, str) else facts_json
    return (columns["family"] == policy.family and columns["policy_version"] == policy.version
            and columns["policy_sha256"] == policy.sha256
            and columns["decision_date"] == output.decision_date
            and columns["outcome"] == output.outcome and bytes(output.input) == facts)


def _check_decision(columns: Mapping[str, Any], facts_json: str | bytes,
                    output_json: str | bytes) -> None:
    """A decision record's columns must agree with its own output (hash already good)."""
    if not _agrees(columns, facts_json, output_json):
        _check_parsed(columns, facts_json, output_json)


def _check_parsed(columns: Mapping[str, Any], facts_json: str | bytes,
                  output_json: str | bytes) -> None:
    """The decision check on the whole parsed output: says what disagrees."""
    try:
        output = orjson.loads(output_json)  # ~4x json's speed; both strict here
        facts = orjson.loads(facts_json)
        policy = output["policy"]
        expected = {"family": policy["family"], "policy_version": policy["version"],
                    "policy_sha256": policy["sha256"],
                    "decision_date": output["decision_date"], "outcome": output["outcome"]}
    except (TypeError, ValueError, KeyError):
        raise _Bad("decision output/input is not a well-formed decision") from None
    for name, value in expected.items():
        if columns[name] != value:
            raise _Bad(f"column {name} disagrees with the stored decision output")
    if facts != output.get("input"):
        raise _Bad("input column disagrees with the stored decision output")


def _read(row: Sequence[Any]) -> tuple[raw_rows.RawRecord, dict[str, Any] | None]:
    """The record in *row* with its body: straight from the raw bytes where it can be
    (:mod:`.raw_rows`), else through text (the columns are returned too), which says
    exactly what is wrong. Raises ``_Bad``."""
    record = raw_rows.read(row)
    if record is not None:
        return record, None
    columns = _normalise(row)
    return raw_rows.RawRecord(columns["seq"], columns["id"], columns["kind"],
                              columns["prev_hash"], columns["hash"], hashed_body(columns),
                              {}, row), columns


def _check_decision_record(record: raw_rows.RawRecord, columns: dict[str, Any] | None) -> None:
    if columns is not None:
        _check_decision(columns, columns["input"], columns["output"])
        return
    facts, output = record.texts["input"], record.texts["output"]
    if facts is None or output is None:
        raise _Bad("decision output/input is not a well-formed decision")
    _check_decision({n: record.text(n) for n in _DECISION_COLUMNS}, facts, output)


def walk(rows: Iterable[Sequence[Any]], against: Sequence[Checkpoint] = (),
         start: tuple[int, str] = (0, GENESIS_HASH),
         on_body: Callable[[bytes], None] | None = None,
         ) -> tuple[int, str, int, Broken | None]:
    """Verify *rows* (``COLUMNS`` order, chain order); pure, so tests can feed it directly.

    ``start`` is the ``(seq, hash)`` the rows continue from (a trusted earlier record).
    ``on_body`` receives each good record's canonical body (the Merkle leaf).
    Returns ``(last_seq, last_hash, count, first_broken)`` — it stops at the first break.
    """
    wanted: dict[int, list[Checkpoint]] = {}
    for cp in against:
        if cp.seq > start[0]:
            wanted.setdefault(cp.seq, []).append(cp)
    (prev_seq, prev_hash), count = start, 0
    for row in rows:
        seq = row[0] if isinstance(row[0], int) else prev_seq + 1
        record_id: str | None = None
        try:
            record, columns = _read(row)
            record_id, seq = record.id, record.seq
            if seq != prev_seq + 1:
                raise _Bad(f"expected seq {prev_seq + 1}: records missing or reordered")
            if record.prev_hash != prev_hash:
                raise _Bad(f"prev_hash does not match the hash of record seq {prev_seq}: "
                           "records deleted, reordered or altered")
            if sha256_hex(record.body) != record.hash:
                raise _Bad("content does not match its hash: the record was altered")
            if record.kind not in KINDS:
                raise _Bad(f"unknown kind {record.kind!r}")
            if record.kind == "decision":
                _check_decision_record(record, columns)
            for cp in wanted.pop(seq, []):
                if cp.hash != record.hash:
                    raise _Bad(f"hash differs from the checkpoint of {cp.created_at}: "
                               "the chain was rewritten")
        except _Bad as bad:
            return prev_seq, prev_hash, count, Broken(seq, record_id, bad.why)
        prev_seq, prev_hash, count = seq, record.hash, count + 1
        if on_body is not None:
            on_body(record.body)
    for seq in sorted(wanted):
        cp = wanted[seq][0]
        return prev_seq, prev_hash, count, Broken(prev_seq + 1, None, lacks(
            prev_seq, seq, f"the checkpoint of {cp.created_at}"))
    return prev_seq, prev_hash, count, None


def lacks(last_seq: int, wanted_seq: int, what: str) -> str:
    """Which records a copy that ends at *last_seq* lacks, compared with *what*."""
    return (f"this copy lacks records seq {last_seq + 1}..{wanted_seq} "
            f"({wanted_seq - last_seq:,} records) that {what} covers: a backup taken "
            "before it, or the newest records were deleted")


def _check_head(head: Sequence[Any] | None, last_seq: int, last_hash: str) -> Broken | None:
    if head is None:
        return Broken(last_seq + 1, None, "chain_head row is missing")
    head_seq, head_hash = int(head[0]), str(txt(head[1]))
    if head_seq > last_seq:
        return Broken(last_seq + 1, None, f"chain head says seq {head_seq} but the chain ends "
                      f"at seq {last_seq}: the newest records were deleted")
    if head_seq < last_seq:
        return Broken(head_seq + 1, None, f"records after the chain head (seq {head_seq}) "
                      "were inserted behind the database's back")
    if head_hash != last_hash:
        return Broken(last_seq, None, "chain head hash differs from the last record's hash")
    return None


class _Roots:
    """The Merkle tree recomputed from the records: its root at each size a tree head
    names, and every stored node compared with the recomputed one as it completes (one
    ordered stream per level, so memory stays O(log n))."""

    def __init__(self, snap: Snapshot, sizes: Iterable[int]) -> None:
        self.snap = snap
        self.range = CompactRange()
        self.wanted = set(sizes)
        self.roots: dict[int, bytes] = {0: self.range.root()}
        self.check = bool(snap.query("SELECT 1 FROM merkle_nodes LIMIT 1"))
        self.levels: dict[int, Generator[Row, None, None]] = {}
        self.problem: str | None = None

    def _stored(self, level: int) -> Generator[Row, None, None]:
        if level not in self.levels:
            self.levels[level] = self.snap.stream(
                "SELECT idx, hash FROM merkle_nodes WHERE level = ? ORDER BY idx", (level,))
        return self.levels[level]

    def __call__(self, body: bytes) -> None:
        self.leaf(leaf_hash(body))

    def leaf(self, digest: bytes) -> None:
        """Add the next record's leaf hash (from :mod:`.verify_parallel`)."""
        completed = self.range.append(digest)
        if self.range.size in self.wanted:
            self.roots[self.range.size] = self.range.root()
        if not self.check or self.problem is not None:
            return
        for level, index, digest in completed:
            stored = next(self._stored(level), None)
            if stored is None or int(stored[0]) != index or bytes(stored[1]) != digest:
                self.problem = (f"merkle_nodes disagree with the records at node ({level}, "
                                f"{index}): the stored tree was altered (proofs from it "
                                "would fail)")
                return

    def finish(self) -> str | None:
        """The first disagreement, or a stored node no record accounts for."""
        if self.check and self.problem is None:
            for level in range(self.range.size.bit_length() + 1):
                extra = next(self._stored(level), None)
                if extra is not None:
                    self.problem = (f"merkle_nodes holds node ({level}, {int(extra[0])}) "
                                    "that no record accounts for: the stored tree was altered")
                    break
        return self.problem

    def close(self) -> None:
        for stream in self.levels.values():
            stream.close()


def _check_tree(roots: _Roots, heads: Sequence[TreeHeadLike],
                last_seq: int) -> Broken | None:
    """Signed tree heads and the stored nodes must agree with the records' own tree."""
    for sth in heads:
        what = f"the signed tree head of {sth.tree_size:,} records ({sth.timestamp})"
        if sth.tree_size > last_seq:
            return Broken(last_seq + 1, None, lacks(last_seq, sth.tree_size, what))
        if roots.roots[sth.tree_size].hex() != sth.root_hash:
            return Broken(sth.tree_size, None, f"the records' Merkle root differs from "
                          f"{what}: records up to seq {sth.tree_size} were rewritten "
                          "after it was signed")
    problem = roots.finish()
    return None if problem is None else Broken(last_seq, None, problem)


def _walk_in_parallel(db: Database, snap: Snapshot, against: Sequence[Checkpoint],
                      roots: _Roots, workers: int | None, chunk: int,
                      meanwhile: Callable[[], None],
                      ) -> tuple[int, str, int] | None:
    """The parallel walk where it pays (or *workers* asks for it) and the records are
    exactly seq ``1..n``; ``None`` when not used or when anything is amiss."""
    procs = (os.cpu_count() or 1) if workers is None else workers
    count, low, high = snap.query("SELECT count(*), min(seq), max(seq) FROM audit_records")[0]
    wanted = workers is not None or int(count) >= verify_parallel.PARALLEL_FROM
    if not wanted or procs < 2 or not count or low != 1 or high != count:
        return None
    return verify_parallel.walk_parallel(db.url, int(high), against, roots.leaf, procs, chunk,
                                         meanwhile)


def verify_store(db: Database, against: Sequence[Checkpoint] = (),
                 tree_heads: Sequence[TreeHeadLike] = (), *, workers: int | None = None,
                 chunk: int = verify_parallel.CHUNK) -> VerifyResult:
    """Full verification of the store behind *db*, all from one snapshot, so appends
    made meanwhile by other processes cannot be mistaken for tampering.

    *tree_heads* (signed tree heads kept off this host) are checked with the ones stored
    in the database: each root must equal the records' own Merkle root at its size.
    From :data:`~.verify_parallel.PARALLEL_FROM` records (or when *workers* is given)
    the records are checked on *workers* processes (default: one per core). The
    database's own integrity check runs meanwhile on a thread of its own (the driver
    leaves Python's lock while the database works).
    """
    with ThreadPoolExecutor(1) as pool:
        database_checked = pool.submit(check_database, db)
        result = _verify_records(db, against, tree_heads, workers, chunk)
        database = database_checked.result()
    return replace(result, database_check=database.check,
                   database_problems=database.problems)


def _verify_records(db: Database, against: Sequence[Checkpoint],
                    tree_heads: Sequence[TreeHeadLike], workers: int | None,
                    chunk: int) -> VerifyResult:
    with db.snapshot(raw_text=True) as snap:
        heads = snap.query("SELECT seq, hash FROM chain_head WHERE id = 1")
        stored_heads = [_StoredHead(int(r[0]), int(r[1]), str(txt(r[2]))) for r in
                        snap.query("SELECT tree_size, timestamp, root_hash FROM tree_heads")]
        all_heads = [*tree_heads, *stored_heads]
        sizes = [h.tree_size for h in all_heads]
        roots = _Roots(snap, sizes)
        problems: list[str] | None = None

        def check_subjects() -> None:  # while the workers walk, when they do
            nonlocal problems
            problems = subject_problems(snap)

        try:
            walked = _walk_in_parallel(db, snap, against, roots, workers, chunk,
                                       check_subjects)
            if walked is None:  # one process: small stores, and to describe any damage
                roots.close()
                roots = _Roots(snap, sizes)
                rows = snap.stream(f"SELECT {', '.join(COLUMNS)} FROM audit_records "
                                   "ORDER BY seq")
                with closing(rows):
                    last_seq, last_hash, count, broken = walk(rows, against, on_body=roots)
            else:
                (last_seq, last_hash, count), broken = walked, None
            if broken is None:
                broken = _check_head(heads[0] if heads else None, last_seq, last_hash)
            if broken is None:
                roots.roots[last_seq] = roots.range.root()
                broken = _check_tree(roots, all_heads, last_seq)
        finally:
            roots.close()
        if problems is None:
            problems = subject_problems(snap)
    return VerifyResult(records=count, head_seq=last_seq, head_hash=last_hash, broken=broken,
                        subject_problems=tuple(problems), database_check="",
                        database_problems=())
