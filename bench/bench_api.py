"""Load benchmark: POST /v1/decisions/gravity-matrix with recording on, over loopback.

Starts the service under uvicorn on 127.0.0.1 (a fresh SQLite store in a temporary
directory, ``--workers 2``), issues a panel API key, drives the endpoint from N
concurrent keep-alive clients for a bounded time, prints requests/s and latency
percentiles, checks that every 201 is in the store, then stops the server.

Two ways to load it:
  * closed loop (default): each client sends its next request as soon as the previous
    answer arrives, so this measures the most the service does at that concurrency.
    By Little's law its mean latency is clients / throughput (32 clients at 1,000/s
    means 32 ms on average), so a latency target needs the open loop:
  * open loop (``--rate R``): the clients together send R requests/s on a fixed schedule
    and latency is measured from when each request was *due*, so a slow answer is not
    hidden by the client waiting for it (no coordinated omission).

The load generator is a minimal asyncio HTTP/1.1 client (a pre-built request, the
response read by Content-Length) because on a 2-core machine the client competes with
the server for CPU; a heavyweight client would measure itself.

Usage: python bench/bench_api.py [--duration 20] [--clients 32] [--workers 2]
       [--rate 0] [--warmup 3] [--no-group-commit]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASE = json.loads((ROOT / "examples" / "gravity-matrix" / "admitted-shoplifting.json")
                  .read_text(encoding="utf-8"))["case"]
PATH = "/v1/decisions/gravity-matrix"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def issue_key(url: str) -> str:
    from decision_engine.audit import open_store
    from decision_engine_api.credentials import Credentials

    with open_store(url) as store:
        _, key = Credentials(store.db).create("panel", "bench", "bench", created_by="bench")
    return key


def count_decisions(url: str) -> int:
    from decision_engine.audit import RecordFilter, open_store

    with open_store(url) as store:
        return store.count(RecordFilter(kind="decision"))


def request_bytes(key: str, index: int) -> bytes:
    case = {**CASE, "case_reference": f"BENCH-{index:06d}"}
    body = json.dumps({"case": case}, separators=(",", ":")).encode()
    head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.ok = 0
        self.errors = 0
        self.statuses: dict[int, int] = {}


async def client(port: int, requests: list[bytes], start: float, measure_from: float,
                 stop: float, stats: Stats, interval: float, offset: float,
                 connect_delay: float) -> None:
    # Clients connect one after another, as real ones do: a burst of simultaneous
    # connects is accepted in one go by whichever uvicorn worker wakes first, and with
    # keep-alive that imbalance would last the whole run.
    await asyncio.sleep(connect_delay)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    due = start + offset
    try:
        while True:
            now = time.perf_counter()
            if interval:
                if due >= stop:
                    break
                if due > now:
                    await asyncio.sleep(due - now)
                sent_at = due
                due += interval
            else:
                if now >= stop:
                    break
                sent_at = now
            writer.write(requests[i % len(requests)])
            i += 1
            status = await read_response(reader)
            done = time.perf_counter()
            if status == 201:
                stats.ok += 1
            else:
                stats.errors += 1
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
            if sent_at >= measure_from:
                stats.latencies.append(done - sent_at)
    finally:
        writer.close()


async def drive(port: int, key: str, clients: int, duration: float, warmup: float,
                rate: float) -> tuple[Stats, float]:
    requests = [request_bytes(key, i) for i in range(256)]
    stats = Stats()
    stagger = min(0.05, max(warmup, 0.2) / (2 * clients))
    start = time.perf_counter() + 0.2 + stagger * clients
    measure_from = start + warmup
    stop = measure_from + duration
    interval = clients / rate if rate else 0.0
    tasks = [client(port, requests[i::clients] or requests, start, measure_from, stop, stats,
                    interval, interval * i / clients, stagger * i) for i in range(clients)]
    await asyncio.gather(*tasks)
    return stats, duration


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become ready")


def tree_cpu_seconds(root: int) -> float | None:
    """User+system CPU seconds of *root* and its children (Linux /proc), else None."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(entry), int(fields[1])
            if pid == root or ppid == root:
                total += int(fields[11]) + int(fields[12])
        return total / tick
    except (OSError, ValueError):
        return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    ap.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rate", type=float, default=0.0,
                    help="open loop: total requests/s (0: closed loop)")
    ap.add_argument("--no-group-commit", action="store_true")
    args = ap.parse_args()
    if args.duration > 300 or args.clients > 256:
        ap.error("bounded benchmark: at most 300 s and 256 clients")

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        key = issue_key(url)
        port = free_port()
        env = {**os.environ, "DECISION_ENGINE_DATABASE_URL": url,
               "DECISION_ENGINE_POLICY_ROOT": str(ROOT),
               "DECISION_ENGINE_GROUP_COMMIT": "0" if args.no_group_commit else "1"}
        cmd = [sys.executable, "-m", "uvicorn", "decision_engine_api.app:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
               "--log-level", "warning", "--no-access-log"]
        proc = subprocess.Popen(cmd, env=env, cwd=tmp)
        try:
            wait_ready(port, proc)
            began = time.perf_counter()
            server_cpu0, client_cpu0 = tree_cpu_seconds(proc.pid), time.process_time()
            stats, measured = asyncio.run(drive(port, key, args.clients, args.duration,
                                                args.warmup, args.rate))
            wall = time.perf_counter() - began
            server_cpu1, client_cpu1 = tree_cpu_seconds(proc.pid), time.process_time()
            load = os.getloadavg()[0]
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        stored = count_decisions(url)

    lat = stats.latencies
    mode = f"open loop at {args.rate:g} req/s" if args.rate else "closed loop"
    print(f"POST {PATH} (recording on), {args.clients} clients, {mode}, uvicorn "
          f"--workers {args.workers}, group commit {'off' if args.no_group_commit else 'on'}")
    print(f"  measured {measured:.0f} s after {args.warmup:.0f} s warm-up "
          f"(wall {wall:.1f} s): {len(lat)} requests, "
          f"{len(lat) / measured:,.0f} requests/s")
    if lat:
        print(f"  latency ms: p50 {percentile(lat, .50) * 1e3:.1f}  p90 "
              f"{percentile(lat, .90) * 1e3:.1f}  p99 {percentile(lat, .99) * 1e3:.1f}  "
              f"max {max(lat) * 1e3:.1f}  mean {statistics.fmean(lat) * 1e3:.1f}")
    print(f"  responses: {dict(sorted(stats.statuses.items()))}; decisions in the store: "
          f"{stored} (201s: {stats.ok})")
    total = stats.ok + stats.errors
    if server_cpu0 is not None and server_cpu1 is not None and total:
        server = server_cpu1 - server_cpu0
        client = client_cpu1 - client_cpu0
        print(f"  CPU per request: server {server / total * 1e6:.0f} us, load generator "
              f"{client / total * 1e6:.0f} us; server used {server / wall:.2f} of "
              f"{os.cpu_count()} cores; 1-min load average at the end {load:.2f} "
              "(other work on the machine lowers the figures)")
    return 0 if stats.errors == 0 and stored == stats.ok else 1


if __name__ == "__main__":
    sys.exit(main())
