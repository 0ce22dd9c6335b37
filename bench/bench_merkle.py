"""Merkle proofs for one record: size and time, against a floor measured in the same run.

Two measurements:
  * synthetic - 1,000,000 leaves (random 32-byte leaf hashes) written to a SQLite store's
                ``merkle_nodes`` exactly as appends write them (new_nodes, in batches);
                then inclusion proofs for random leaves and consistency proofs between
                random sizes, through the store's own code path (tree.compute: one
                query for the needed nodes, then the RFC 6962 recursion), and their
                verification. The floor is what a proof without stored nodes must do:
                recompute the root from every leaf hash (CompactRange over 1,000,000).
  * real      - a real store of --real decisions (gravity-matrix, group commit of 100):
                the append rate with the tree maintained, 'sign_tree_head', and
                'prove_inclusion' for random records, verified by the standalone verifier.
Usage: python bench/bench_merkle.py [--leaves 1000000] [--real 20000] [--proofs 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from decision_engine.audit import DecisionEntry, open_store, tree
from decision_engine.audit.merkle import (
    CompactRange,
    consistency_proof,
    frontier_keys,
    inclusion_proof,
    new_nodes,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from decision_engine.audit.verifier_standalone import check_inclusion_proof


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms"


def synthetic(n: int, proofs: int, workdir: Path) -> None:
    rng = random.Random(1)
    leaves = [rng.randbytes(32) for _ in range(n)]
    with open_store(f"sqlite:///{workdir / 'synthetic.db'}") as store:
        start = time.perf_counter()
        known: dict[tuple[int, int], bytes] = {}
        batch = 10_000
        for offset in range(0, n, batch):
            chunk = leaves[offset:offset + batch]
            frontier = {k: known[k] for k in frontier_keys(offset)}
            rows = new_nodes(offset, frontier, chunk)
            known = {(lv, ix): h for lv, ix, h in rows}
            known.update(frontier)
            with store.db.write():
                store.db.executemany("INSERT INTO merkle_nodes (level, idx, hash) "
                                     "VALUES (?, ?, ?)", rows)
        build = time.perf_counter() - start
        count = store.db.query_one("SELECT count(*) FROM merkle_nodes")
        size_mb = os.path.getsize(workdir / "synthetic.db") / 1e6
        print(f"synthetic: {n:,} leaves, {count[0] if count else 0:,} stored nodes "
              f"({size_mb:.0f} MB file), built in {build:.1f} s "
              f"({n / build:,.0f} leaves/s)")

        start = time.perf_counter()
        compact = CompactRange()
        for h in leaves:
            compact.append(h)
        floor_root = compact.root()
        floor = time.perf_counter() - start
        root = tree.compute(store.db, lambda node: tree_root(node, n))
        assert root == floor_root, "stored tree root differs from the recomputed one"
        print(f"floor: recomputing the root from all {n:,} leaf hashes takes "
              f"{floor * 1000:,.0f} ms (what every proof would cost without stored nodes)")

        times, sizes, verify_times = [], [], []
        for _ in range(proofs):
            index = rng.randrange(n)
            start = time.perf_counter()
            path = tree.compute(store.db, lambda node, i=index: inclusion_proof(node, i, n))
            times.append(time.perf_counter() - start)
            assert isinstance(path, list)
            document = json.dumps({"leaf_index": index, "tree_size": n,
                                   "audit_path": [h.hex() for h in path]})
            sizes.append((len(path), len(path) * 32, len(document)))
            start = time.perf_counter()
            verify_inclusion(index, n, leaves[index], path, floor_root)
            verify_times.append(time.perf_counter() - start)
        hashes = statistics.median(s[0] for s in sizes)
        print(f"inclusion proof at {n:,}: {hashes:.0f} hashes ({hashes * 32:.0f} bytes raw, "
              f"~{statistics.median(s[2] for s in sizes):.0f} bytes as JSON hex); "
              f"prove {_ms(times)}; verify {_ms(verify_times)}")
        print(f"ratio: floor / median proof = {floor / statistics.median(times):,.0f}x")

        times, lengths = [], []
        for _ in range(proofs):
            size1 = rng.randrange(1, n)
            start = time.perf_counter()
            proof = tree.compute(store.db, lambda node, m=size1: consistency_proof(node, m, n))
            times.append(time.perf_counter() - start)
            assert isinstance(proof, list)
            lengths.append(len(proof))
            root1 = tree.compute(store.db, lambda node, m=size1: tree_root(node, m))
            assert isinstance(root1, bytes)
            verify_consistency(size1, n, root1, floor_root, proof)
        print(f"consistency proof to {n:,}: median {statistics.median(lengths):.0f} hashes; "
              f"prove {_ms(times)}")


def real(count: int, proofs: int, workdir: Path) -> None:
    from decision_engine.engine import decide

    with open_store(f"sqlite:///{workdir / 'real.db'}") as store:
        case = json.loads((Path(__file__).parent.parent / "examples" / "gravity-matrix" /
                           "admitted-shoplifting.json").read_text())
        subject, decision = decide("gravity-matrix", case, None, engine="fast")
        start = time.perf_counter()
        ids: list[str] = []
        for _ in range(0, count, 100):
            entries = [DecisionEntry(decision, subject, "panel", "bench", "north")
                       for _ in range(min(100, count - len(ids)))]
            ids += [r.id for r in store.append_decisions(entries)]
        appended = time.perf_counter() - start
        print(f"real: {count:,} decisions recorded in {appended:.1f} s "
              f"({count / appended:,.0f}/s, group commit of 100, tree maintained)")
        key = Ed25519PrivateKey.generate()
        start = time.perf_counter()
        sth = store.sign_tree_head(key)
        print(f"real: sign_tree_head {1000 * (time.perf_counter() - start):.1f} ms")
        times, lengths = [], []
        for record_id in random.Random(2).sample(ids, min(proofs, len(ids))):
            start = time.perf_counter()
            proof = store.prove_inclusion(record_id, sth)
            times.append(time.perf_counter() - start)
            document = json.dumps(proof.to_json())
            lengths.append(len(document))
            check_inclusion_proof(json.loads(document), key.public_key(), proof.leaf)
        print(f"real: inclusion proof at {count:,}: {len(proof.audit_path)} hashes, "
              f"~{statistics.median(lengths):.0f} bytes of JSON with the signed head; "
              f"prove {_ms(times)} (record lookup included); all verified")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--real", type=int, default=20_000)
    parser.add_argument("--proofs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        synthetic(args.leaves, args.proofs, Path(tmp))
        real(args.real, args.proofs, Path(tmp))


if __name__ == "__main__":
    main()
