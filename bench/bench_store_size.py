"""Bytes per recorded decision in a filled store, by table and index, beside a floor.

Target (issue 14): the store <= 2.5 KB per decision, measured at 1,000,000 decisions.
The floor is what the decisions' canonical text alone would take (input + output, as
the hash covers them); the ratio says what the store costs against it. SQLite only
(``dbstat``); fill a store first, e.g. ``decision-engine demo-data --cases 1000000``.

Usage: python bench/bench_store_size.py --database-url sqlite:////path/to/store.db
       [--sample 20000]
"""

from __future__ import annotations

import argparse
import os
import sqlite3

from decision_engine.audit import codec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sample", type=int, default=20_000,
                        help="decisions decoded to measure the canonical text (floor)")
    args = parser.parse_args()
    path = args.database_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    decisions = conn.execute(
        "SELECT count(*) FROM audit_records WHERE kind = 'decision'").fetchone()[0]
    records = conn.execute("SELECT count(*) FROM audit_records").fetchone()[0]
    pages = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name "
                         "ORDER BY 2 DESC").fetchall()
    total = sum(size for _, size in pages)
    files = sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    rows = conn.execute("SELECT input, output FROM audit_records WHERE kind = 'decision' "
                        "ORDER BY seq DESC LIMIT ?", (args.sample,)).fetchall()
    text = sum(len(codec.unpack(i).encode()) + len(codec.unpack(o).encode()) for i, o in rows)
    stored = sum(len(i) + len(o) for i, o in rows)
    floor = text / max(len(rows), 1)
    print(f"{decisions:,} decisions, {records:,} records; file {files / 1e6:,.1f} MB")
    for name, size in pages[:8]:
        print(f"  {name:36} {size / decisions:8,.0f} B/decision")
    print(f"store:  {total / decisions:8,.0f} B/decision (target <= 2,500)")
    print(f"floor:  {floor:8,.0f} B/decision of canonical input+output text "
          f"(stored as {stored / max(len(rows), 1):,.0f} B)")
    print(f"ratio:  {total / decisions / floor:8.2f}x the floor")


if __name__ == "__main__":
    main()
