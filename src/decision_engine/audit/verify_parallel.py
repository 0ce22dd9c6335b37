"""Walking a large chain on every core: each worker checks one range of records, the
links between ranges are checked after.

A worker runs the same :func:`~decision_engine.audit.verify.walk` over records
``after < seq <= upto``, starting from the *stored* hash of record ``after``; this
process then checks that the previous range ended exactly at ``after`` with that very
hash (so the start the worker trusted was itself verified), and feeds the ranges'
Merkle leaves to the tree check in order. Any break, gap or disagreement anywhere makes
:func:`walk_parallel` return ``None``, and the caller walks the chain again in one
process, so a damaged chain is always described exactly as the sequential walk
describes it. Records are append-only, so the ranges read by workers on their own
connections hold the same bytes as the caller's snapshot up to the head it saw.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass

from decision_engine.audit.canonical import GENESIS_HASH
from decision_engine.audit.config import DatabaseURL
from decision_engine.audit.db import open_database
from decision_engine.audit.merkle import leaf_hash
from decision_engine.audit.raw_rows import txt
from decision_engine.audit.records import COLUMNS, Broken, Checkpoint

CHUNK = 50_000
"""Records per worker task: big enough to amortise a task, small enough to spread."""
PARALLEL_FROM = 200_000
"""Below this many records one process is as quick as starting workers."""


@dataclass(frozen=True, slots=True)
class RangeResult:
    """What a worker found in records ``after < seq <= upto``."""

    after: int
    upto: int
    start_hash: str | None
    last_seq: int
    last_hash: str
    count: int
    broken: Broken | None
    leaves: bytes
    """The records' Merkle leaf hashes, 32 bytes each, in seq order."""


def check_range(task: tuple[DatabaseURL, int, int, Sequence[Checkpoint]]) -> RangeResult:
    """Walk one range on a connection of this process's own (a worker's entry point)."""
    from decision_engine.audit.verify import walk  # verify imports this module

    url, after, upto, against = task
    db = open_database(url)
    leaves: list[bytes] = []
    try:
        with db.snapshot(raw_text=True) as snap:
            start_hash: str | None = GENESIS_HASH
            if after:
                row = snap.query("SELECT hash FROM audit_records WHERE seq = ?", (after,))
                start_hash = str(txt(row[0][0])) if row else None
            if start_hash is None:
                return RangeResult(after, upto, None, after, "", 0,
                                   Broken(after, None, "missing"), b"")
            rows = snap.stream(f"SELECT {', '.join(COLUMNS)} FROM audit_records "
                               "WHERE seq > ? AND seq <= ? ORDER BY seq", (after, upto))
            with closing(rows):
                last_seq, last_hash, count, broken = walk(
                    rows, [cp for cp in against if after < cp.seq <= upto],
                    (after, start_hash), on_body=lambda body: leaves.append(leaf_hash(body)))
    finally:
        db.close()
    return RangeResult(after, upto, start_hash, last_seq, last_hash, count, broken,
                       b"".join(leaves))


def walk_parallel(url: DatabaseURL, last: int, against: Sequence[Checkpoint],
                  on_leaf: Callable[[bytes], None], workers: int, chunk: int = CHUNK,
                  meanwhile: Callable[[], None] | None = None,
                  ) -> tuple[int, str, int] | None:
    """``(last_seq, last_hash, count)`` of records ``1..last`` checked on *workers*
    processes, or ``None`` if anything is amiss (walk again in one process to say what).
    The caller has established that the records are exactly seq ``1..last``.
    *meanwhile* runs in this thread once the workers have their tasks (the caller's own
    checks on its snapshot, instead of after the walk)."""
    tasks = [(url, after, min(last, after + chunk), tuple(against))
             for after in range(0, last, chunk)]
    prev_seq, prev_hash, count = 0, GENESIS_HASH, 0
    # spawn, not fork: the caller holds database connections.
    context = multiprocessing.get_context("spawn")
    with context.Pool(min(workers, len(tasks))) as pool:
        results = pool.imap(check_range, tasks)
        if meanwhile is not None:
            meanwhile()
        for result in results:
            if (result.broken is not None or result.after != prev_seq
                    or result.start_hash != prev_hash or result.last_seq != result.upto):
                pool.terminate()
                return None
            for i in range(0, len(result.leaves), 32):
                on_leaf(result.leaves[i:i + 32])
            prev_seq, prev_hash = result.last_seq, result.last_hash
            count += result.count
    if any(cp.seq > prev_seq for cp in against):
        return None
    return prev_seq, prev_hash, count

