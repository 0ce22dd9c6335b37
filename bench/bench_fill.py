"""Filling the audit store through the real recording path, without HTTP.

``Store.append_decisions`` is what imports, demo data and the other benchmarks use: every
decision is validated, encoded, chained, hashed and committed durably (one COMMIT per
batch). Target (issue 14): >= 10,000 decisions/s. The floor is the same rows' bytes
inserted into a bare table of the same database with the same batches and the same
durable COMMIT, measured in the same run, so the ratio says what the recording costs
beyond the disk.

Usage: python bench/bench_fill.py [--records 20000] [--batch 1000] [--distinct 2000]
       [--backends sqlite,postgresql] [--postgres-url URL]
Figures are wall time and CPU time of this process (CPU is what other load on a shared
machine inflates least). The last line splits it: preparing each decision can run on
other threads or processes (the API's request threads, demo-data's workers); appending
prepared decisions is the part every writer of the store takes turns at.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from decision_engine.audit import DecisionEntry, open_store

sys.path.insert(0, str(Path(__file__).parent))
from bench_audit import database, make_decisions


def _floor(url: str, made: list[tuple[Any, Any]], records: int, batch: int) -> float:
    """Rows of the same size into a bare table: the cost of the disk and the driver."""
    from decision_engine.audit.config import database_url
    from decision_engine.audit.db import open_database

    db = open_database(database_url(url))
    try:
        db.execute("CREATE TABLE floor_rows (seq BIGINT PRIMARY KEY, body TEXT NOT NULL)")
        bodies = [d.canonical_json().decode() for _, d in made]
        start, done = time.perf_counter(), 0
        while done < records:
            size = min(batch, records - done)
            with db.migrating():  # a plain durable transaction
                db.executemany("INSERT INTO floor_rows (seq, body) VALUES (?, ?)",
                               [(done + k + 1, bodies[(done + k) % len(bodies)])
                                for k in range(size)])
            done += size
        return records / (time.perf_counter() - start)
    finally:
        db.close()


def _written() -> int:
    """Bytes this process has handed to write() so far (Linux; 0 elsewhere): the
    write-ahead log and checkpoints, a figure CPU contention does not move."""
    try:
        with open("/proc/self/io") as io:
            return next(int(line.split()[1]) for line in io if line.startswith("wchar"))
    except (OSError, StopIteration):
        return 0


def _entries(made: list[tuple[Any, Any]], done: int, size: int) -> list[DecisionEntry]:
    """The next *size* decisions to record, cycling through *made*."""
    return [DecisionEntry(made[(done + k) % len(made)][1], made[(done + k) % len(made)][0],
                          "panel", "bench", "north") for k in range(size)]


def _fill(url: str, made: list[tuple[Any, Any]], records: int, batch: int,
          ) -> tuple[float, float, float, float]:
    """Rate, CPU µs per decision, bytes on disk per decision (SQLite) and bytes this
    process wrote per decision."""
    with open_store(url) as store:
        written = _written()
        wall, cpu, done = time.perf_counter(), time.process_time(), 0
        while done < records:
            size = min(batch, records - done)
            store.append_decisions(_entries(made, done, size))
            done += size
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        written = _written() - written
        size_per = 0.0
        if store.backend == "sqlite":
            path = Path(url.removeprefix("sqlite:///"))
            store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size_per = path.stat().st_size / records
        else:
            row = store.db.query_one("SELECT pg_database_size(current_database())")
            size_per = float(row[0]) / records if row else 0.0
    return records / wall, cpu / records * 1e6, size_per, written / records


def _serial(url: str, made: list[tuple[Any, Any]], records: int, batch: int,
            ) -> tuple[float, float, float]:
    """The part of recording that holds the chain head: each batch is prepared first
    (validated, encoded, compressed: what the API's request threads and demo-data's
    workers do beside it), then only its ``append_decisions`` is timed. Rate, CPU µs per
    decision of the append, and CPU µs per decision of the preparing."""
    with open_store(url) as store:
        wall = cpu = prep = 0.0
        done = 0
        while done < records:
            size = min(batch, records - done)
            started = time.process_time()
            prepared = [store.prepare_decision(e) for e in _entries(made, done, size)]
            prep += time.process_time() - started
            w, c = time.perf_counter(), time.process_time()
            store.append_decisions(prepared)
            wall += time.perf_counter() - w
            cpu += time.process_time() - c
            done += size
    return records / wall, cpu / records * 1e6, prep / records * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--distinct", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "DECISION_ENGINE_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    made = make_decisions(min(args.distinct, args.records))
    print(f"machine: {os.cpu_count()} cores, shared; {args.records:,} decisions, "
          f"{args.batch:,} per COMMIT, {len(made):,} distinct")
    for backend in args.backends.split(","):
        if backend == "postgresql" and not args.postgres_url:
            print("postgresql: skipped (no --postgres-url / DECISION_ENGINE_TEST_POSTGRES_URL)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            with database(backend, args.postgres_url, Path(tmp)) as url:
                floor = _floor(url, made, args.records, args.batch)
            with database(backend, args.postgres_url, Path(tmp)) as url:
                rate, cpu_us, size, wrote = _fill(url, made, args.records, args.batch)
            with database(backend, args.postgres_url, Path(tmp)) as url:
                serial, serial_us, prep_us = _serial(url, made, args.records, args.batch)
        disk = (f"; {size:,.0f} bytes per decision on disk, {wrote / 1024:,.1f} KB written "
                "each by this process" if backend == "sqlite" else
                f"; database size / decisions {size:,.0f} bytes")
        print(f"{backend}: floor (same bytes, bare table): {floor:,.0f} rows/s")
        print(f"{backend}: append_decisions: {rate:,.0f} decisions/s, {cpu_us:.0f} µs CPU "
              f"each{disk}; {rate / floor:.2f}x the floor; target 10,000/s: "
              f"{rate / 10_000:.2f}x")
        print(f"{backend}: of which the serial part (prepared beforehand, {prep_us:.0f} µs "
              f"CPU each): {serial:,.0f} decisions/s, {serial_us:.0f} µs CPU each")


if __name__ == "__main__":
    main()
