"""RFC 6962 Merkle tree: published reference vectors, then properties over any size.

The vectors are the Certificate Transparency reference implementation's (as kept in
transparency-dev/merkle ``proof/verify_test.go``): eight leaves, the roots of every prefix,
and audit paths / consistency proofs between some sizes. Leaf numbers there are 1-based.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from decision_engine.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    consistency_proof,
    frontier_keys,
    inclusion_proof,
    leaf_hash,
    needed_nodes,
    new_nodes,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(h) for h in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]
INCLUSION = [  # (1-based leaf, tree size, audit path)
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [  # (size1, size2, proof)
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]


class Tree:
    """Leaves kept in memory, nodes built the way the store builds them (new_nodes)."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.append([leaf_hash(x) for x in leaves])

    def append(self, hashes: list[bytes]) -> None:
        size = sum(1 for (level, _) in self.nodes if level == 0)
        frontier = {k: self.nodes[k] for k in frontier_keys(size)}
        for level, index, h in new_nodes(size, frontier, hashes):
            assert (level, index) not in self.nodes
            self.nodes[(level, index)] = h

    def node(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]


def test_roots_match_the_reference_vectors() -> None:
    tree = Tree(LEAVES)
    assert tree_root(tree.node, 0) == EMPTY_ROOT
    for size in range(1, 9):
        assert tree_root(tree.node, size) == ROOTS[size - 1], size
        compact = CompactRange()
        for leaf in LEAVES[:size]:
            compact.append(leaf_hash(leaf))
        assert compact.root() == ROOTS[size - 1]


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_audit_paths_match_the_reference_vectors(leaf: int, size: int, path: list[str]) -> None:
    tree = Tree(LEAVES)
    proof = inclusion_proof(tree.node, leaf - 1, size)
    assert [p.hex() for p in proof] == path
    verify_inclusion(leaf - 1, size, leaf_hash(LEAVES[leaf - 1]), proof, ROOTS[size - 1])
    with pytest.raises(ProofError):  # the neighbour's leaf does not verify on this path
        verify_inclusion(leaf - 1, size, leaf_hash(LEAVES[leaf % 8]), proof, ROOTS[size - 1])


@pytest.mark.parametrize(("size1", "size2", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_reference_vectors(size1: int, size2: int,
                                                        path: list[str]) -> None:
    tree = Tree(LEAVES)
    proof = consistency_proof(tree.node, size1, size2)
    assert [p.hex() for p in proof] == path
    verify_consistency(size1, size2, ROOTS[size1 - 1], ROOTS[size2 - 1], proof)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, ROOTS[size1], ROOTS[size2 - 1], proof)


def _leaves(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") for i in range(n)]


def _flip(proof: list[bytes], at: int, bit: int) -> list[bytes]:
    bad = list(proof)
    bad[at] = bytes([bad[at][0] ^ (1 << bit)]) + bad[at][1:]
    return bad


@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))),
       st.data())
def test_every_inclusion_proof_verifies_and_any_tampering_fails(
        case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    leaves = _leaves(size)
    tree = Tree(leaves)
    root = tree_root(tree.node, size)
    proof = inclusion_proof(tree.node, index, size)
    assert len(proof) <= (size - 1).bit_length()
    verify_inclusion(index, size, leaf_hash(leaves[index]), proof, root)
    # Only the nodes the proof needs are read.
    read = needed_nodes(lambda n: inclusion_proof(n, index, size))
    assert len(read) <= 2 * size.bit_length() ** 2
    tampered = leaves[index] + b"x"
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf_hash(tampered), proof, root)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf_hash(leaves[index]),
                             _flip(proof, at, data.draw(st.integers(0, 7))), root)
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf_hash(leaves[index]), proof[:-1], root)
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        with pytest.raises(ProofError):
            verify_inclusion(other, size, leaf_hash(leaves[index]), proof, root)


@given(st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
       st.data())
def test_every_consistency_proof_verifies_and_a_rewrite_fails(
        case: tuple[int, int], data: st.DataObject) -> None:
    size1, size2 = case
    leaves = _leaves(size2)
    tree = Tree(leaves)
    root1, root2 = tree_root(tree.node, size1), tree_root(tree.node, size2)
    proof = consistency_proof(tree.node, size1, size2)
    verify_consistency(size1, size2, root1, root2, proof)
    # A log whose first size1 leaves were rewritten (one leaf changed) cannot prove
    # itself consistent with the old root.
    changed = data.draw(st.integers(0, size1 - 1))
    rewritten = Tree([*leaves[:changed], b"rewritten", *leaves[changed + 1:]])
    forged = consistency_proof(rewritten.node, size1, size2)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, root1, tree_root(rewritten.node, size2), forged)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, root1, root2,
                               _flip(proof, at, data.draw(st.integers(0, 7))))


@given(st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_nodes_built_in_batches_equal_one_batch(batches: list[int]) -> None:
    total = sum(batches)
    whole = Tree(_leaves(total))
    pieces = Tree([])
    start = 0
    for n in batches:
        pieces.append([leaf_hash(x) for x in _leaves(total)[start:start + n]])
        start += n
    assert pieces.nodes == whole.nodes
    assert len(whole.nodes) == 2 * total - bin(total).count("1")
