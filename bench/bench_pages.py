"""Server time to render the pages beside the JSON API, for the same decision, same run.

In-process (Starlette's TestClient over the real app, a fresh SQLite store in a
temporary directory): no network and no browser, so the figures are the server's own
work. Every timed request is a logged read (an access record is appended and committed
before anything is shown), in the pages and the API alike, so the ratio isolates what
rendering HTML costs. Prints p50/p99 for:

  * ``GET /v1/decisions/{id}`` — the JSON API read (the floor),
  * ``GET /decisions/{id}`` — the panel's decision record page,
  * ``GET /audit?run=1&...`` — the auditor's search page over the recorded decisions,
    (it lists up to 200 rows; this store holds ``--decisions`` of them).

Usage: python bench/bench_pages.py [--n 300] [--decisions 200]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from decision_engine.audit import open_store
from decision_engine.policy.registry import Registry
from decision_engine_api.app import create_app
from decision_engine_api.services import Services
from decision_engine_api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CASE = json.loads((ROOT / "examples" / "gravity-matrix" / "admitted-shoplifting.json")
                  .read_text(encoding="utf-8"))
PASSWORD = "bench password 1234"


def sign_in(client: TestClient, user: str) -> None:
    form = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    r = client.post("/sign-in", data={"username": user, "password": PASSWORD,
                                      "csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text


def timed(n: int, call: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--decisions", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        registry = Registry.load(None)
        services = Services.open(Settings(database_url=url, credential_cache_seconds=5),
                                 registry=registry, store=open_store(url))
        _, key = services.credentials.create("panel", "bench", "north", created_by="bench")
        _, audit_key = services.credentials.create("auditor", "bench", "north",
                                                   created_by="bench")
        services.people.create("panel.bench", PASSWORD, "panel", "north", created_by="bench")
        services.people.create("auditor.bench", PASSWORD, "auditor", "north",
                               created_by="bench")
        app = create_app(services=services)
        with TestClient(app) as api, TestClient(app) as panel, TestClient(app) as auditor:
            ids = []
            for i in range(args.decisions):
                case = {**CASE, "case_reference": f"BENCH-{i}"}
                r = api.post("/v1/decisions/gravity-matrix", json={"case": case},
                             headers={"Authorization": f"Bearer {key}"})
                assert r.status_code == 201, r.text
                ids.append(r.json()["id"])
            sign_in(panel, "panel.bench")
            sign_in(auditor, "auditor.bench")
            one = ids[-1]
            why = "Benchmark of the audit pages"

            def json_read() -> None:
                r = api.get(f"/v1/decisions/{one}", headers={"Authorization": f"Bearer {key}"})
                assert r.status_code == 200

            def record_page() -> None:
                r = panel.get(f"/decisions/{one}")
                assert r.status_code == 200 and "Recommended outcome" in r.text

            def search_page() -> None:
                r = auditor.get("/audit", params={"run": "1", "justification": why,
                                                  "family": "gravity-matrix"})
                assert r.status_code == 200 and "decisions found" in r.text

            def json_audit_read() -> None:
                r = api.get(f"/v1/decisions/{one}", headers={
                    "Authorization": f"Bearer {audit_key}", "X-Justification": why})
                assert r.status_code == 200

            for call in (json_read, record_page, search_page, json_audit_read):
                timed(10, call)  # warm up
            calls = [("GET /v1/decisions/{id} (JSON, panel key)", json_read),
                     ("GET /decisions/{id} (panel record page)", record_page),
                     (f"GET /audit search page ({args.decisions} rows)", search_page),
                     ("GET /v1/decisions/{id} (JSON, auditor key)", json_audit_read)]
            # Interleaved, so drift in the machine's load falls on all alike.
            samples: dict[str, list[float]] = {name: [] for name, _ in calls}
            for _ in range(args.n):
                for name, call in calls:
                    samples[name].extend(timed(1, call))
            rows = list(samples.items())
        services.close()
    floor = statistics.median(rows[0][1])
    print(f"{'request':<46} {'p50 ms':>8} {'p99 ms':>8} {'p50 / JSON':>11}")
    for name, values in rows:
        print(f"{name:<46} {pct(values, .5):8.2f} {pct(values, .99):8.2f} "
              f"{statistics.median(values) / floor:10.1f}x")


if __name__ == "__main__":
    main()
