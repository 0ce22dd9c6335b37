"""RFC 6962 Merkle tree over the audit records: tree hashes, audit paths, consistency proofs.

The leaf for record ``seq`` is leaf index ``seq - 1`` and its data is the record's
canonical body — the exact bytes whose SHA-256 is the record's chain ``hash``
(:func:`decision_engine.audit.records.hashed_body`). So a verifier holding those bytes
checks both at once, and the tree covers every kind of record (decisions, finals,
access log entries, erasures), as the chain does.

Proofs are computed from the hashes of *complete, aligned* subtrees: node ``(level,
index)`` covers leaves ``[index·2^level, (index+1)·2^level)``. The store keeps every such
node (``merkle_nodes``, two rows per record on average, written in the append's own
transaction), so a proof for one record reads O(log² n) stored nodes however large the
log — never the whole log. The functions here take the node source as a callable and are
pure; :func:`needed_nodes` runs the same recursion once to learn which nodes to fetch.

Verification lives in :mod:`.verifier_standalone` (stdlib + cryptography only) and is
re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from decision_engine.audit.verifier_standalone import (
    EMPTY_ROOT,
    ProofError,
    leaf_hash,
    node_hash,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT", "CompactRange", "NodeKey", "ProofError", "consistency_proof",
    "frontier_keys", "inclusion_proof", "leaf_hash", "needed_nodes", "new_nodes",
    "node_hash", "root_from_inclusion", "tree_root", "verify_consistency",
    "verify_inclusion",
]

NodeKey = tuple[int, int]
"""``(level, index)`` of a complete subtree of ``2**level`` leaves."""
NodeSource = Callable[[int, int], bytes]


def _split(n: int) -> int:
    """The largest power of two smaller than *n* (RFC 6962's k), for n > 1."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(node: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]); *start* is aligned as RFC 6962's recursion guarantees."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0:  # complete subtree
        level = n.bit_length() - 1
        return node(level, start >> level)
    k = _split(n)
    return node_hash(_mth(node, start, start + k), _mth(node, start + k, end))


def tree_root(node: NodeSource, size: int) -> bytes:
    """MTH of the first *size* leaves."""
    return _mth(node, 0, size)


def inclusion_proof(node: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) — RFC 6962 §2.1.1."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:  # iterative PATH: collect siblings top-down, reverse at the end
        k = _split(end - start)
        if m < k:
            path.append(_mth(node, start + k, end))
            end = start + k
        else:
            path.append(_mth(node, start, start + k))
            start, m = start + k, m - k
    path.reverse()
    return path


def consistency_proof(node: NodeSource, size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[size2]) — RFC 6962 §2.1.2 (empty when size1 is 0 or size2)."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"tree size {size1} is not between 0 and {size2}")
    if size1 in (0, size2):
        return []
    proof: list[bytes] = []
    start, end, m, whole = 0, size2, size1, True
    while True:  # iterative SUBPROOF(m, D[start:end], whole)
        n = end - start
        if m == n:
            if not whole:
                proof.append(_mth(node, start, end))
            break
        k = _split(n)
        if m <= k:
            proof.append(_mth(node, start + k, end))
            end = start + k
        else:
            proof.append(_mth(node, start, start + k))
            start, m, whole = start + k, m - k, False
    proof.reverse()
    return proof


def needed_nodes(compute: Callable[[NodeSource], object]) -> set[NodeKey]:
    """The node keys *compute* reads (its recursion depends only on sizes, not hashes)."""
    keys: set[NodeKey] = set()

    def record(level: int, index: int) -> bytes:
        keys.add((level, index))
        return EMPTY_ROOT

    compute(record)
    return keys


# -- building the stored nodes ------------------------------------------------------------
def frontier_keys(size: int) -> list[NodeKey]:
    """The complete subtrees that together cover the first *size* leaves (left to right):
    all a new leaf needs to complete its ancestors."""
    return [(level, (size >> level) - 1)
            for level in reversed(range(size.bit_length())) if size >> level & 1]


def new_nodes(size: int, frontier: Mapping[NodeKey, bytes],
              leaves: Iterable[bytes]) -> list[tuple[int, int, bytes]]:
    """Nodes completed by appending *leaves* (leaf hashes) to a tree of *size* leaves.

    *frontier* must hold :func:`frontier_keys` of *size*. Returns ``(level, index, hash)``
    rows: each leaf, then every subtree it completes.
    """
    known = dict(frontier)
    rows: list[tuple[int, int, bytes]] = []
    for offset, digest in enumerate(leaves):
        level, index, h = 0, size + offset, digest
        known[(level, index)] = h
        rows.append((level, index, h))
        while index & 1:
            h = node_hash(known[(level, index - 1)], h)
            level, index = level + 1, index >> 1
            known[(level, index)] = h
            rows.append((level, index, h))
    return rows


class CompactRange:
    """The running root of a log read leaf by leaf, in O(log n) memory (verification)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (level, hash), levels decreasing

    def append(self, digest: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; returns the nodes it completes, as :func:`new_nodes` does."""
        index, level, h = self.size, 0, digest
        done = [(0, index, h)]
        while self._stack and self._stack[-1][0] == level:
            h = node_hash(self._stack.pop()[1], h)
            level += 1
            done.append((level, index >> level, h))
        self._stack.append((level, h))
        self.size += 1
        return done

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        h = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            h = node_hash(left, h)
        return h
