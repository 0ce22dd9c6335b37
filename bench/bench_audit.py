"""Audit store throughput: durable appends and bulk replay, on SQLite and PostgreSQL.

Measures, with real gravity-matrix decisions (about 4 KB of canonical JSON each):
  * append    - decisions recorded per second, one COMMIT (one fsync) per decision:
                what a single caller waiting for its acknowledgement sees;
  * group     - the same with 100 decisions per COMMIT (append_decisions), as the API's
                group commit does under load;
  * replay    - stored decisions re-evaluated under their recorded version and compared
                byte-for-byte (engine "fast", 2 worker processes); the time for
                1,000,000 is this run plus the rest at the steady-state rate (after the
                workers have started and compiled the policies);
  * verify    - the whole chain walked and every hash recomputed.
Usage: python bench/bench_audit.py [--records 100000] [--commits 1000]
       [--backends sqlite,postgresql] [--postgres-url URL] [--workers 2]
PostgreSQL URL: --postgres-url, else DECISION_ENGINE_TEST_POSTGRES_URL; a scratch
schema is created and dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from decision_engine.audit import (
    AccessContext,
    DecisionEntry,
    RecordFilter,
    ReplayOptions,
    Store,
    open_store,
    replay,
)
from decision_engine.engine import decide
from decision_engine.policy.registry import Registry

ACCESS = AccessContext("auditor", "bench", "*", "benchmark")


def make_decisions(n: int, seed: int = 2026) -> list[tuple[Any, Any]]:
    """*n* distinct (subject, decision) pairs over 2013-2026, so all versions appear."""
    registry = Registry.load()
    policy = registry.get("gravity-matrix", "npcc-2023").policy
    offences = list(policy.tables["offences"].rows)
    agg = list(policy.tables["aggravating_factors"].rows)
    mit = list(policy.tables["mitigating_factors"].rows)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        on = dt.date(2013, 5, 1) + dt.timedelta(days=rng.randrange(13 * 365))
        case = {
            "case_reference": f"BENCH-{i:07d}",
            "date_of_birth": (on - dt.timedelta(days=rng.randrange(3660, 6200))).isoformat(),
            "facts": {"offence": rng.choice(offences),
                      "sufficient_evidence": rng.random() > 0.1,
                      "admission": rng.choice(["admitted", "admitted", "denied", "no_comment"]),
                      "signed_consent": rng.random() > 0.5,
                      "aggravating": rng.sample(agg, rng.randint(0, 2)),
                      "mitigating": rng.sample(mit, rng.randint(0, 2)),
                      "previous_disposals": rng.randint(0, 3)},
            "monitoring": {"ethnicity": rng.choice("ABWMO"), "sex": rng.choice("FM")},
        }
        out.append(decide("gravity-matrix", case, on, registry=registry, engine="fast"))
    return out


@contextmanager
def database(backend: str, pg_base: str | None, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    assert pg_base is not None
    schema = f"audit_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    parts = urlsplit(pg_base)
    extra = urlencode({"options": f"-csearch_path={schema}"})
    try:
        yield urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query
                                        else extra))
    finally:
        with psycopg.connect(pg_base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def bench_appends(store: Store, made: list[tuple[Any, Any]], commits: int) -> float:
    start = time.perf_counter()
    for subject, decision in made[:commits]:
        store.append_decision(decision, subject, actor_role="panel", actor_id="bench",
                              service_area="north")
    return commits / (time.perf_counter() - start)


def fill(store: Store, made: list[tuple[Any, Any]], total: int, batch: int = 100,
         ) -> float:
    """Append until the store holds *total* decisions, 100 per COMMIT; returns the rate."""
    have = store.count()
    start, done = time.perf_counter(), 0
    while have + done < total:
        size = min(batch, total - have - done)
        entries = [DecisionEntry(made[(have + done + k) % len(made)][1],
                                 made[(have + done + k) % len(made)][0],
                                 "panel", "bench", "north") for k in range(size)]
        store.append_decisions(entries)
        done += size
    return done / (time.perf_counter() - start) if done else 0.0


def _mark(marks: list[tuple[float, int]], done: int, selected: int) -> None:
    marks.append((time.perf_counter(), done))


def _cpu() -> float:
    """CPU seconds used so far by this process and its reaped children (the workers):
    a figure that other load on the machine does not inflate, unlike wall time."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--commits", type=int, default=1_000)
    parser.add_argument("--distinct", type=int, default=None,
                        help="Distinct decisions to generate (default: --records).")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "DECISION_ENGINE_TEST_POSTGRES_URL"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    distinct = args.distinct or args.records
    print(f"generating {distinct:,} decisions with the engine ...", file=sys.stderr)
    t0 = time.perf_counter()
    made = make_decisions(distinct)
    sizes = sorted(len(d.canonical_json()) for _, d in made[:1000])
    print(f"  {time.perf_counter() - t0:.1f} s; canonical JSON median {sizes[len(sizes) // 2]} "
          "bytes", file=sys.stderr)

    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    for backend in args.backends.split(","):
        if backend == "postgresql" and not args.postgres_url:
            print("postgresql: skipped (no --postgres-url / DECISION_ENGINE_TEST_POSTGRES_URL)")
            continue
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp, \
                database(backend, args.postgres_url, Path(tmp)) as url, \
                open_store(url) as store:
            rate = bench_appends(store, made, args.commits)
            print(f"{backend}: append, 1 decision per durable COMMIT: {rate:,.0f} decisions/s "
                  f"({1000 / rate:.2f} ms each, {args.commits:,} decisions)")
            group = fill(store, made, args.records)
            print(f"{backend}: append, 100 decisions per durable COMMIT: {group:,.0f} "
                  f"decisions/s (to {args.records:,} stored)")
            cpu_before = _cpu()
            marks: list[tuple[float, int]] = []
            report = replay(store, RecordFilter(), ReplayOptions(workers=args.workers), ACCESS,
                            progress=False, on_progress=partial(_mark, marks))
            cpu = _cpu() - cpu_before
            assert report.ok, report.summary_json()
            per_s = report.processed / report.elapsed
            # Steady state: from the first finished chunk (workers started, policies
            # compiled) to the last. A million decisions = this run + the rest at that rate.
            started = [(t, n) for t, n in marks if n > 0]
            steady = ((started[-1][1] - started[0][1]) / (started[-1][0] - started[0][0])
                      if len(started) > 1 and started[-1][0] > started[0][0] else per_s)
            million = report.elapsed + (1_000_000 - report.processed) / steady
            print(f"{backend}: replay + byte-compare, engine fast, {args.workers} workers: "
                  f"{report.processed:,} in {report.elapsed:.1f} s = {per_s:,.0f} decisions/s "
                  f"(steady state {steady:,.0f}/s; all reproduced: "
                  f"{report.reproduced == report.processed}); 1,000,000 extrapolated: "
                  f"{million:.0f} s")
            print(f"{backend}: replay CPU {cpu / report.processed * 1e6:.0f} µs per decision "
                  "(workers + parent, including worker start-up and policy compilation)")
            start = time.perf_counter()
            result = store.verify()
            took = time.perf_counter() - start
            assert result.ok, result
            print(f"{backend}: verify {result.records:,} records: {took:.1f} s = "
                  f"{result.records / took:,.0f} records/s")


if __name__ == "__main__":
    main()
