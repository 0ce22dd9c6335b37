"""Board reports: demo-data's recording rate and each report's generation time.

Fills a scratch SQLite store with ``--cases`` synthetic cases through the real recording
path (``decision-engine demo-data``), then times every report over the whole period. The
floor, measured in the same run, is one pass of the database over what the reports read
(the report index joined with the subjects' monitoring data, ``SELECT count(*),
sum(length(...))`` over all of it): a report can hardly be faster than reading its rows
once. The first report also catches up the index of a store filled before it existed
(timed apart). Prints each figure, its ratio to the floor, and a linear extrapolation to
1,000,000 stored decisions (target: report ≤ 10 s; demo-data 100,000 cases ≤ 60 s); pass
a filled million-decision store with --database-url to measure instead of extrapolate.

Usage: python bench/bench_reports.py [--cases 20000] [--database-url URL] [--seed 1]
       (--database-url reuses a filled store and skips the fill)
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from decision_engine.audit import AccessContext, RecordFilter, open_store, report_index
from decision_engine.policy.registry import Registry
from decision_engine.reports import REPORTS, Scope, generate
from decision_engine.reports.demo import fill


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    registry = Registry.load()
    with open_store(url) as store:
        if args.database_url is None:
            result = fill(store, args.cases, seed=args.seed, registry=registry)
            rate = result.decisions / result.seconds
            print(f"demo-data: {result.decisions:,} decisions + {result.finals:,} finals in "
                  f"{result.seconds:.1f} s ({rate:,.0f} decisions/s; 100,000 would take "
                  f"{100_000 / rate:.0f} s, target 60 s)")
        stored = store.count(RecordFilter(kind="decision"))
        start, end = dt.date(2000, 1, 1), dt.date(2030, 12, 31)
        t = time.perf_counter()
        indexed = report_index.catch_up(store.db)
        if indexed:
            print(f"report index caught up: {indexed:,} decisions recorded before it, in "
                  f"{time.perf_counter() - t:.1f} s (once per store)")
        t = time.perf_counter()
        store.db.query("SELECT count(*), sum(length(r.facts) + length(s.monitoring)) "
                       "FROM report_index r LEFT JOIN subjects s ON s.pseudonym = r.pseudonym "
                       "WHERE r.decision_date >= ? AND r.decision_date <= ?",
                       [start.isoformat(), end.isoformat()])
        floor = time.perf_counter() - t
        print(f"floor (one pass over {stored:,} decisions): {floor:.3f} s")
        access = AccessContext("auditor", "bench", "*", "benchmark")
        for name in REPORTS:
            t = time.perf_counter()
            report = generate(store, registry, name, Scope(start, end), access)
            took = time.perf_counter() - t
            print(f"report {name:<20} {took:7.3f} s over {report.decisions:,} decisions "
                  f"(family's share of {stored:,}); ratio to floor {took / floor:5.1f}; "
                  f"at 1,000,000 stored ≈ {took * 1_000_000 / max(stored, 1):.1f} s "
                  "(linear; target 10 s)")
    tmp.cleanup()


if __name__ == "__main__":
    main()
