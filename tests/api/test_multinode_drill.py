"""Several ``serve`` nodes on one PostgreSQL, one killed -9 at a random moment, repeated.

Two nodes run as separate process groups on separate free ports against one database
schema; client threads record decisions through both at once. Each round SIGKILLs one
node's whole process group (master and worker, as a machine crash would) at a random
moment and restarts it. Afterwards: the chain verifies (it never forked: one head, seq
contiguous, every prev_hash the previous hash), and every decision acknowledged with 201
is stored under the id and seq the node returned. Rounds: DECISION_ENGINE_NODE_ROUNDS
(default 5); the summary line is printed (run with ``-s`` to see it).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import pytest

from decision_engine.audit import open_store
from tests.api.conftest import example_body
from tests.api.processes import free_port, healthy

CLI = Path(sys.executable).parent / "decision-engine"
PG_ENV = "DECISION_ENGINE_TEST_POSTGRES_URL"
ROUNDS = int(os.environ.get("DECISION_ENGINE_NODE_ROUNDS", "5"))

pytestmark = [
    pytest.mark.postgres, pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get(PG_ENV),
                       reason=f"{PG_ENV} is not set: the multi-node drill needs PostgreSQL"),
    pytest.mark.skipif(not CLI.exists(), reason=f"{CLI} is not installed"),
]


class Node:
    """One ``decision-engine serve`` process group on its own port."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name, self.port = url, name, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        env = {**os.environ, "DECISION_ENGINE_DATABASE_URL": self.url}
        self.proc = subprocess.Popen(
            [str(CLI), "serve", "--port", str(self.port), "--workers", "1",
             "--no-access-log", "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def start(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.spawn()
        assert self.proc is not None
        deadline = time.monotonic() + 60
        while not healthy(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"node {self.name} did not come up "
                                     f"(exit {self.proc.poll()})")
            time.sleep(0.1)

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Client(threading.Thread):
    """Records decisions through one node until told to stop; keeps what got a 201."""

    def __init__(self, node: Node, key: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.node, self.key, self.stop = node, key, stop
        self.acked: list[tuple[str, int]] = []
        self.failed = 0
        self.body = json.dumps(example_body("gravity-matrix")).encode()

    def run(self) -> None:
        sent = 0
        while not self.stop.is_set() and sent < 20_000:
            sent += 1
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.node.port}/v1/decisions/gravity-matrix",
                data=self.body, method="POST",
                headers={"Authorization": f"Bearer {self.key}",
                         "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    payload = json.loads(response.read())
                    assert response.status == 201, payload
                    self.acked.append((str(payload["id"]), int(payload["seq"])))
            except urllib.error.HTTPError as exc:
                raise AssertionError(f"node answered {exc.code}: {exc.read()[:300]!r}") from exc
            # the node is down, or was killed mid-request (before or while it answered: a
            # 201 whose body was cut off names no decision): not acknowledged
            except (OSError, http.client.HTTPException):
                self.failed += 1
                time.sleep(0.05)


def _schema_url(base: str, schema: str) -> str:
    parts = urlsplit(base)
    extra = urlencode({"options": f"-csearch_path={schema}"})
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def test_two_nodes_one_killed_nine_repeatedly_lose_nothing_and_never_fork() -> None:
    base = os.environ[PG_ENV]
    schema = f"drill_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = _schema_url(base, schema)
    nodes = [Node(url, "a"), Node(url, "b")]
    stop = threading.Event()
    clients: list[Client] = []
    rng = random.Random(int(os.environ.get("DECISION_ENGINE_DRILL_SEED", "0")) or None)
    try:
        created = subprocess.run(
            [str(CLI), "credentials", "create", "--role", "panel", "--name", "Drill",
             "--service-area", "north", "--json"],
            env={**os.environ, "DECISION_ENGINE_DATABASE_URL": url},
            capture_output=True, check=True)
        key = json.loads(created.stdout)["key"]
        for node in nodes:  # both start at once (start-up is most of the drill's time)
            node.spawn()
        for node in nodes:
            node.start()
        clients = [Client(node, key, stop) for node in nodes for _ in range(2)]
        for client in clients:
            client.start()
        killed = []
        for _ in range(ROUNDS):
            time.sleep(rng.uniform(0.3, 1.5))  # a random moment, load on both nodes
            victim = rng.choice(nodes)
            victim.kill9()
            killed.append(victim.name)
            time.sleep(rng.uniform(0.0, 0.5))  # the other node carries on alone
            victim.start()
        time.sleep(0.5)
        stop.set()
        for client in clients:
            client.join(timeout=60)
            assert not client.is_alive()
    finally:
        stop.set()
        for node in nodes:
            node.stop()
    try:
        acked = [a for c in clients for a in c.acked]
        with open_store(url) as store:
            result = store.verify()
            assert result.ok, (result.broken, result.subject_problems)
            rows = dict(store.db.query("SELECT id, seq FROM audit_records "
                                       "WHERE kind = 'decision'"))
            count = store.db.query_one("SELECT count(*), min(seq), max(seq) "
                                       "FROM audit_records")
        lost = [(i, s) for i, s in acked if rows.get(i) != s]
        assert count is not None and count[0] == count[2] and count[1] == 1  # no gaps
        assert len({s for _, s in acked}) == len(acked)  # no seq handed out twice
        print(f"\nmulti-node drill: {ROUNDS} rounds (killed {','.join(killed)}), "
              f"{len(acked)} acknowledged, {len(lost)} lost, "
              f"{sum(c.failed for c in clients)} requests cut off unacknowledged, "
              f"{count[0]} records, verify ok")
        assert not lost, lost[:5]
        assert len(acked) > 20 * ROUNDS  # both nodes really recorded throughout
        assert all(c.acked for c in clients)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
