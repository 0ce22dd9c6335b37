"""`audit verify` in one process against one worker process per core, on a filled store.

Verification of the whole chain (hashes, links, each decision against its own output,
the Merkle tree, subjects, the database's integrity check), timed for each worker
count in turn, alternating, so the ratio is read in one run. Fill a store first, e.g.
``decision-engine demo-data --cases 100000 --database-url sqlite:///…``. Issue 14's
target is ≤ 20 s at 1,000,000 decisions.

Usage: python bench/bench_verify.py --database-url URL [--workers 1,2,1,2] [--chunk 50000]
"""

from __future__ import annotations

import argparse
import time

from decision_engine.audit import open_store
from decision_engine.audit.verify import verify_store
from decision_engine.audit.verify_parallel import CHUNK


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--workers", default="1,2,1,2")
    ap.add_argument("--chunk", type=int, default=CHUNK)
    args = ap.parse_args()
    took: dict[int, list[float]] = {}
    with open_store(args.database_url) as store:
        for workers in (int(w) for w in args.workers.split(",")):
            start = time.perf_counter()
            result = verify_store(store.db, workers=workers, chunk=args.chunk)
            seconds = time.perf_counter() - start
            took.setdefault(workers, []).append(seconds)
            print(f"workers {workers}: {result.records:,} records in {seconds:.2f} s "
                  f"({result.records / seconds:,.0f}/s), ok={result.ok}", flush=True)
    best = {w: min(t) for w, t in took.items()}
    if 1 in best:
        for w, t in sorted(best.items()):
            print(f"best of workers {w}: {t:.2f} s, {best[1] / t:.2f}x one process")


if __name__ == "__main__":  # worker processes are spawned and import this module
    main()
