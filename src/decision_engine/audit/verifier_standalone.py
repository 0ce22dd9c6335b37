#!/usr/bin/env python3
"""Check a decision-engine audit proof with nothing but the proof, a public key and bytes.

This file is deliberately self-contained: it imports only the standard library and
``cryptography`` (for Ed25519), so an auditor can copy it out of the package, read it in
a few minutes and run it on a machine that has never seen decision-engine::

    python verifier_standalone.py inclusion --proof proof.json --key audit.pub --leaf rec.json
    python verifier_standalone.py consistency --proof consistency.json --key audit.pub

(installed as ``decision-engine-verify``; also ``python -m
decision_engine.audit.verifier_standalone``). Exit 0 when the proof holds, 1 when it does
not (the reason is printed), 2 for unusable input.

The tree is RFC 6962's Merkle tree (§2.1): leaf hash ``SHA-256(0x00 || leaf)``, interior
node ``SHA-256(0x01 || left || right)``. Verification follows RFC 9162 §2.1.3.2
(inclusion) and §2.1.4.2 (consistency), which check exactly RFC 6962's audit paths and
consistency proofs. A signed tree head signs RFC 6962 §3.5's ``TreeHeadSignature``
(version v1, signature_type tree_hash, timestamp, tree_size, root hash) with Ed25519.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) — the hash of an empty tree (RFC 6962 §2.1)."""


class ProofError(Exception):
    """A proof, tree head or signature that does not hold; the message says why."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hashes(proof: Sequence[bytes]) -> None:
    if any(len(h) != 32 for h in proof):
        raise ProofError("every proof element must be a 32-byte SHA-256 hash")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an audit path leads to from *leaf* (a leaf hash) — RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    if len(leaf) != 32:
        raise ProofError("the leaf hash must be 32 bytes")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the audit path is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     root: bytes) -> None:
    """Raise :class:`ProofError` unless *proof* shows leaf hash *leaf* at *index*."""
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError("the audit path does not lead to the tree head's root")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes,
                       proof: Sequence[bytes]) -> None:
    """Raise :class:`ProofError` unless the tree of *size1* is a prefix of the one of
    *size2* (RFC 9162 §2.1.4.2; RFC 6962 §2.1.2's proofs)."""
    _check_hashes(proof)
    if not 0 <= size1 <= size2:
        raise ProofError(f"tree size {size1} is not at most {size2}")
    if size1 == size2:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if root1 != root2:
            raise ProofError("equal tree sizes with different roots: the log was rewritten")
        return
    if size1 == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is itself a node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than needed")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than needed")
    if fr != root1:
        raise ProofError(f"the proof does not reproduce the root of the tree of size "
                         f"{size1}: the log was rewritten after that tree head")
    if sr != root2:
        raise ProofError(f"the proof does not reproduce the root of the tree of size {size2}")


# -- signed tree heads --------------------------------------------------------------------
def tree_head_message(tree_size: int, timestamp_ms: int, root: bytes) -> bytes:
    """RFC 6962 §3.5 ``TreeHeadSignature``: v1 (0), tree_hash (1), timestamp, size, root."""
    if len(root) != 32:
        raise ProofError("the root hash must be 32 bytes")
    return struct.pack(">BBQQ", 0, 1, timestamp_ms, tree_size) + root


def key_id(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key (hex): names the key a tree head was signed with."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(pem)
    except ValueError as exc:
        raise ProofError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ProofError("the public key is not an Ed25519 key")
    return key


def _hex32(value: Any, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise ProofError(f"{what} must be 64 hex digits")
    return raw


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofError(f"{what} must be a non-negative integer")
    return value


def verify_tree_head(sth: Any, public_key: Ed25519PublicKey) -> tuple[int, bytes]:
    """Check a signed tree head's signature; return its ``(tree_size, root)``."""
    if not isinstance(sth, dict):
        raise ProofError("a signed tree head must be a JSON object")
    size = _int(sth.get("tree_size"), "tree_size")
    timestamp = _int(sth.get("timestamp"), "timestamp")
    root = _hex32(sth.get("root_hash"), "root_hash")
    try:
        signature = base64.b64decode(str(sth.get("signature", "")), validate=True)
    except ValueError:
        raise ProofError("signature is not base64") from None
    try:
        public_key.verify(signature, tree_head_message(size, timestamp, root))
    except InvalidSignature:
        raise ProofError("the tree head's signature does not verify with this key "
                         "(altered, or signed with another key)") from None
    return size, root


def check_inclusion_proof(proof: Any, public_key: Ed25519PublicKey, leaf: bytes) -> str:
    """Verify an ``audit prove ID`` document against *leaf* (the record's canonical bytes)."""
    if not isinstance(proof, dict) or proof.get("type") != "inclusion":
        raise ProofError("not an inclusion proof (type must be 'inclusion')")
    size, root = verify_tree_head(proof.get("tree_head"), public_key)
    index = _int(proof.get("leaf_index"), "leaf_index")
    if _int(proof.get("tree_size"), "tree_size") != size:
        raise ProofError("the proof's tree_size differs from its signed tree head's")
    path = [_hex32(h, "audit_path element") for h in proof.get("audit_path", [])]
    verify_inclusion(index, size, leaf_hash(leaf), path, root)
    return (f"ok: these {len(leaf)} bytes are record {index + 1} of the log's first {size} "
            f"records (signed tree head, root {root.hex()})")


def check_consistency_proof(proof: Any, public_key: Ed25519PublicKey) -> str:
    """Verify an ``audit prove --from N --to M`` document: both heads signed, one a prefix."""
    if not isinstance(proof, dict) or proof.get("type") != "consistency":
        raise ProofError("not a consistency proof (type must be 'consistency')")
    size1, root1 = verify_tree_head(proof.get("first"), public_key)
    size2, root2 = verify_tree_head(proof.get("second"), public_key)
    path = [_hex32(h, "proof element") for h in proof.get("proof", [])]
    verify_consistency(size1, size2, root1, root2, path)
    return (f"ok: the log of {size2} records extends the one of {size1} records "
            "without changing any of them")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="decision-engine-verify",
        description="Verify a decision-engine audit proof offline (RFC 6962, Ed25519).")
    sub = parser.add_subparsers(dest="what", required=True)
    inc = sub.add_parser("inclusion", help="one record is in the signed log")
    inc.add_argument("--proof", type=Path, required=True, help="from 'audit prove ID'")
    inc.add_argument("--key", type=Path, required=True, help="the log's public key (PEM)")
    inc.add_argument("--leaf", type=Path, required=True,
                     help="the record's canonical bytes ('audit prove ID --leaf-out')")
    con = sub.add_parser("consistency", help="a later signed log extends an earlier one")
    con.add_argument("--proof", type=Path, required=True,
                     help="from 'audit prove --from N --to M'")
    con.add_argument("--key", type=Path, required=True, help="the log's public key (PEM)")
    args = parser.parse_args(argv)
    try:
        key = load_public_key(args.key.read_bytes())
        document = json.loads(args.proof.read_text(encoding="utf-8"))
        if args.what == "inclusion":
            message = check_inclusion_proof(document, key, args.leaf.read_bytes())
        else:
            message = check_consistency_proof(document, key)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ProofError as exc:
        print(f"FAILED: {exc}")
        return 1
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
