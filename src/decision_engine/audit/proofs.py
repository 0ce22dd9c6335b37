"""Signed tree heads and proofs for one record (RFC 6962 over the audit log).

A signed tree head (STH) commits to the first ``tree_size`` records with one Ed25519
signature. The key lives outside the database (``audit keygen``); heads are stored in
``tree_heads`` and should also be published off this host. Then:

* an *inclusion proof* shows one record is in a signed head: ~log2(n) hashes;
* a *consistency proof* shows a later head extends an earlier one, so a rewrite of any
  record covered by a published head cannot be hidden (the proof fails, and so does
  ``audit verify --tree-head``).

Both are checked by :mod:`.verifier_standalone`, which needs only the proof, the public
key and the record's bytes.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from decision_engine.audit import tree
from decision_engine.audit.chain import ChainStore
from decision_engine.audit.errors import AuditError, ConfigError
from decision_engine.audit.merkle import consistency_proof, inclusion_proof, tree_root
from decision_engine.audit.records import AuditRecord
from decision_engine.audit.verifier_standalone import (
    ProofError,
    key_id,
    load_public_key,
    tree_head_message,
    verify_tree_head,
)

__all__ = [
    "InclusionProof", "Proofs", "SignedTreeHead", "generate_key", "load_private_key",
    "load_public_key",
]


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    """RFC 6962 §3.5 tree head, signed with Ed25519; ``root_hash`` hex, ``signature``
    base64, ``timestamp`` milliseconds since the epoch."""

    tree_size: int
    timestamp: int
    root_hash: str
    key_id: str
    signature: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> SignedTreeHead:
        if not isinstance(data, dict):
            raise ValueError("a signed tree head must be a JSON object")
        try:
            sth = cls(tree_size=data["tree_size"], timestamp=data["timestamp"],
                      root_hash=data["root_hash"], key_id=str(data.get("key_id", "")),
                      signature=data["signature"])
        except KeyError as exc:
            raise ValueError(f"signed tree head lacks {exc.args[0]!r}") from None
        if not isinstance(sth.tree_size, int) or not isinstance(sth.timestamp, int):
            raise ValueError("tree_size and timestamp must be integers")
        if not isinstance(sth.root_hash, str) or len(sth.root_hash) != 64:
            raise ValueError("root_hash must be 64 hex digits")
        return sth

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.root_hash)

    def verify(self, public_key: Ed25519PublicKey) -> None:
        """Raise :class:`ProofError` unless the signature holds."""
        verify_tree_head(self.to_json(), public_key)


@dataclass(frozen=True, slots=True)
class InclusionProof:
    record: AuditRecord
    tree_head: SignedTreeHead
    audit_path: list[bytes]

    @property
    def leaf(self) -> bytes:
        """The record's canonical bytes: the leaf, and what its chain hash covers."""
        return self.record.body_bytes()

    def to_json(self) -> dict[str, Any]:
        return {"type": "inclusion", "record_id": self.record.id,
                "leaf_index": self.record.seq - 1, "tree_size": self.tree_head.tree_size,
                "audit_path": [h.hex() for h in self.audit_path],
                "tree_head": self.tree_head.to_json()}


# -- keys -------------------------------------------------------------------------------
def generate_key(out: Path) -> Path:
    """Write a new Ed25519 private key to *out* (PEM, mode 0600) and its public key to
    ``<out>.pub``; returns the public key's path. Refuses to overwrite either."""
    public = out.with_name(out.name + ".pub")
    for path in (out, public):
        if path.exists():
            raise ConfigError(f"{path} exists; a signing key is never overwritten")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        public.write_bytes(key.public_key().public_bytes(Encoding.PEM,
                                                         PublicFormat.SubjectPublicKeyInfo))
    except OSError as exc:
        raise ConfigError(f"cannot write the key: {exc}") from None
    return public


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise ConfigError(f"--key: {path}: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"--key: {path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"--key: {path}: not an Ed25519 key")
    return key


def sign(key: Ed25519PrivateKey, tree_size: int, root: bytes,
         timestamp: int | None = None) -> SignedTreeHead:
    stamp = int(time.time() * 1000) if timestamp is None else timestamp
    signature = key.sign(tree_head_message(tree_size, stamp, root))
    return SignedTreeHead(tree_size=tree_size, timestamp=stamp, root_hash=root.hex(),
                          key_id=key_id(key.public_key()),
                          signature=base64.b64encode(signature).decode("ascii"))


# -- the store's part -------------------------------------------------------------------
_STH_COLUMNS = "tree_size, timestamp, root_hash, key_id, signature"


def _sth(row: Any) -> SignedTreeHead:
    return SignedTreeHead(int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]))


class Proofs(ChainStore):
    """Tree roots, signed tree heads, inclusion and consistency proofs."""

    def build_tree(self) -> int:
        """Make sure the stored nodes cover every record (a store older than the tree);
        returns the tree size."""
        with self.db.write() as head:
            if not tree.covered(self.db, head[0]):
                tree.catch_up(self.db, head[0])
            return head[0]

    def tree_root(self, size: int | None = None) -> tuple[int, bytes]:
        """``(size, root)`` of the first *size* records (default: all)."""
        with self.db.snapshot() as snap:
            head = int(snap.query("SELECT seq FROM chain_head WHERE id = 1")[0][0])
            size = head if size is None else size
            if not 0 <= size <= head:
                raise AuditError(f"tree size {size} is outside 0..{head}")
            if not tree.covered(snap, size):
                raise AuditError("the Merkle tree is not built yet: run "
                                 "'audit sign-tree-head' (it builds it)")
            root = tree.compute(snap, lambda node: tree_root(node, size))
        assert isinstance(root, bytes)
        return size, root

    def sign_tree_head(self, key: Ed25519PrivateKey) -> SignedTreeHead:
        """Sign the tree of every committed record and store the head."""
        with self.db.write() as head:
            size = head[0]
            if not tree.covered(self.db, size):
                tree.catch_up(self.db, size)
            root = tree.compute(self.db, lambda node: tree_root(node, size))
            assert isinstance(root, bytes)
            sth = sign(key, size, root)
            self.db.execute(f"INSERT INTO tree_heads ({_STH_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                            (sth.tree_size, sth.timestamp, sth.root_hash, sth.key_id,
                             sth.signature))
        return sth

    def tree_heads(self) -> list[SignedTreeHead]:
        """Stored signed tree heads, oldest first."""
        rows = self.db.query(f"SELECT {_STH_COLUMNS} FROM tree_heads "
                             "ORDER BY tree_size, timestamp")
        return [_sth(r) for r in rows]

    def tree_head(self, size: int | None = None) -> SignedTreeHead | None:
        """The newest stored head (of *size* records, if given)."""
        heads = [h for h in self.tree_heads() if size is None or h.tree_size == size]
        return heads[-1] if heads else None

    def prove_inclusion(self, record_id: str, sth: SignedTreeHead) -> InclusionProof:
        """The audit path for *record_id* in the tree *sth* signs."""
        record = self._get(record_id)
        if record is None:
            raise AuditError(f"no record with id {record_id}")
        if record.seq > sth.tree_size:
            raise AuditError(f"record seq {record.seq} is newer than the tree head (size "
                             f"{sth.tree_size}): sign a new tree head first")
        path = tree.compute(self.db, lambda node: inclusion_proof(node, record.seq - 1,
                                                                  sth.tree_size))
        assert isinstance(path, list)
        return InclusionProof(record, sth, path)

    def prove_consistency(self, first: SignedTreeHead, second: SignedTreeHead,
                          ) -> dict[str, Any]:
        """A consistency proof between two signed heads, as a verifier document."""
        if first.tree_size > second.tree_size:
            raise AuditError(f"--from tree size {first.tree_size} is after --to "
                             f"{second.tree_size}")
        if second.tree_size > self.head()[0]:
            raise AuditError(f"tree size {second.tree_size} is beyond this log's "
                             f"{self.head()[0]} records")
        proof = tree.compute(self.db, lambda node: consistency_proof(
            node, first.tree_size, second.tree_size))
        assert isinstance(proof, list)
        return {"type": "consistency", "first": first.to_json(),
                "second": second.to_json(), "proof": [h.hex() for h in proof]}


__all__ += ["ProofError", "sign"]
