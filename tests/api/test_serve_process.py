"""``decision-engine serve`` as a real process on a free port (issue 13 defects 7, 8).

Reproduced first:
* a POST declaring ``Content-Length: 1000`` and sending 8 bytes was held open for
  minutes (no body read timeout);
* SIGKILL of only the ``serve`` master left its workers running (still recording
  decisions), and a restart failed with "address already in use".
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.api.processes import free_port, healthy

CLI = Path(sys.executable).parent / "decision-engine"
BODY_TIMEOUT_S = 1.0
CUT_OFF_BOUND_S = BODY_TIMEOUT_S + 9.0
"""The slow body must be answered and closed well inside this (it was minutes)."""
EXIT_BOUND_S = 20.0
"""Workers must be gone, and the port free, within this after the master dies."""


@contextmanager
def serving(tmp: Path, port: int, workers: int = 1) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "DECISION_ENGINE_DATABASE_URL": f"sqlite:///{tmp / 'serve.db'}",
           "DECISION_ENGINE_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT_S)}
    proc = subprocess.Popen(
        [str(CLI), "serve", "--port", str(port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not healthy(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not come up (exit {proc.poll()})")
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    """Running (a zombie nobody has reaped yet counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                       reason="needs Linux /proc to find worker processes"),
    pytest.mark.skipif(not CLI.exists(), reason=f"{CLI} is not installed"),
]


def test_slow_body_is_cut_off_with_408(tmp_path: Path) -> None:
    port = free_port()
    with serving(tmp_path, port), socket.create_connection(("127.0.0.1", port),
                                                          timeout=30) as sock:
        start = time.monotonic()
        sock.sendall(b"POST /v1/decisions/gravity-matrix HTTP/1.1\r\nHost: test\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                     b'{"case":')
        received = b""
        while chunk := sock.recv(65536):  # until the server closes the connection
            received += chunk
        elapsed = time.monotonic() - start
    assert received.startswith(b"HTTP/1.1 408 "), received[:200]
    head, _, payload = received.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower()
    assert b"connection: close" in head.lower()
    problem = json.loads(payload)
    assert problem["status"] == 408 and problem["errors"][0]["field"] == "body"
    assert BODY_TIMEOUT_S * 0.9 <= elapsed < CUT_OFF_BOUND_S, elapsed


@pytest.mark.slow
def test_killing_the_master_stops_its_workers_and_a_restart_works(tmp_path: Path) -> None:
    port = free_port()
    with serving(tmp_path, port, workers=2) as master:
        deadline = time.monotonic() + 30
        while len(workers := [p for p in _children(master.pid) if _alive(p)]) < 2:
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.2)
        os.kill(master.pid, signal.SIGKILL)
        master.wait()
        deadline = time.monotonic() + EXIT_BOUND_S
        while any(_alive(p) for p in workers) or healthy(port):
            assert time.monotonic() < deadline, \
                f"orphaned workers still running: {[p for p in workers if _alive(p)]}"
            time.sleep(0.2)
    with serving(tmp_path, port, workers=1):  # restart on the same port
        assert healthy(port)
