"""The Merkle tree's stored nodes: kept up to date on append, read for proofs.

:func:`extend` runs inside the append's write transaction (chain-head lock held), so the
nodes always cover exactly the committed records. A store that had records before the
tree existed (migration 0006) is caught up by the first write that finds nodes missing.
Reading a proof fetches only the nodes it needs, in one query (:func:`fetch`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import closing

from decision_engine.audit.db import Database, Snapshot
from decision_engine.audit.errors import AuditError
from decision_engine.audit.merkle import (
    NodeKey,
    frontier_keys,
    leaf_hash,
    needed_nodes,
    new_nodes,
)
from decision_engine.audit.records import COLUMNS, hashed_body, row_columns

_INSERT = "INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)"
_CATCH_UP_BATCH = 5000


def _where(keys: Sequence[NodeKey]) -> tuple[str, list[int]]:
    clause = " OR ".join("(level = ? AND idx = ?)" for _ in keys)
    return clause, [v for key in keys for v in key]


def fetch(source: Database | Snapshot, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """The stored hashes of *keys* (missing keys are absent from the result)."""
    wanted = sorted(set(keys))
    found: dict[NodeKey, bytes] = {}
    for start in range(0, len(wanted), 200):  # stay far below any bound-parameter limit
        chunk = wanted[start:start + 200]
        clause, params = _where(chunk)
        for level, idx, digest in source.query(
                f"SELECT level, idx, hash FROM merkle_nodes WHERE {clause}", params):
            found[(int(level), int(idx))] = bytes(digest)
    return found


def compute(source: Database | Snapshot, how: Callable[[Callable[[int, int], bytes]], object],
            ) -> object:
    """Run a proof or root computation *how* over the stored nodes, fetching them once."""
    nodes = fetch(source, needed_nodes(how))

    def node(level: int, index: int) -> bytes:
        try:
            return nodes[(level, index)]
        except KeyError:
            raise AuditError(f"merkle_nodes lacks node ({level}, {index}): the tree is "
                             "incomplete (run 'audit verify')") from None

    return how(node)


def extend(db: Database, size: int, leaves: Sequence[bytes]) -> None:
    """Add the nodes for *leaves* (leaf hashes of records ``size+1 …``); inside a write."""
    keys = frontier_keys(size)
    if size and (0, size - 1) not in keys:
        keys.append((0, size - 1))
    frontier = fetch(db, keys)
    if len(frontier) < len(keys):
        catch_up(db, size)
        frontier = fetch(db, frontier_keys(size))
    db.executemany(_INSERT, new_nodes(size, frontier, leaves))


def record_leaf(row: Sequence[object]) -> bytes:
    """Leaf hash of a record row (``COLUMNS`` order): its canonical body, as chained
    (over the text of the columns stored compressed)."""
    return leaf_hash(hashed_body(row_columns(row)))


def catch_up(db: Database, size: int) -> None:
    """Build the nodes missing for records ``1..size`` (a store older than the tree);
    inside a write, so no append races it."""
    row = db.query_one("SELECT max(idx) FROM merkle_nodes WHERE level = 0")
    have = 0 if row is None or row[0] is None else int(row[0]) + 1
    while have < size:
        rows = db.query(f"SELECT {', '.join(COLUMNS)} FROM audit_records "
                        "WHERE seq > ? AND seq <= ? ORDER BY seq",
                        (have, min(size, have + _CATCH_UP_BATCH)))
        if not rows or int(rows[0][0]) != have + 1:
            raise AuditError(f"cannot build the Merkle tree: record seq {have + 1} is missing")
        frontier = fetch(db, frontier_keys(have))
        db.executemany(_INSERT, new_nodes(have, frontier, [record_leaf(r) for r in rows]))
        have += len(rows)


def covered(source: Database | Snapshot, size: int) -> bool:
    """Whether the stored nodes cover the first *size* records."""
    return size == 0 or bool(fetch(source, [(0, size - 1)]))


def stream_leaves(snap: Snapshot, upto: int) -> Iterable[bytes]:
    """Leaf hashes of records ``1..upto`` recomputed from the records themselves."""
    rows = snap.stream(f"SELECT {', '.join(COLUMNS)} FROM audit_records "
                       "WHERE seq <= ? ORDER BY seq", (upto,))
    with closing(rows):
        for row in rows:
            yield record_leaf(row)
