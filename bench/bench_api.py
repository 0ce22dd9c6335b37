"""Load benchmark: the recorded decision against the HTTP stack's floor, side by side.

Runs two servers in alternating rounds under the same uvicorn ``--workers`` and the same
load generator, each on 127.0.0.1:
  * **floor**: ``bench/floor_app.py``, a bare FastAPI app that parses the JSON body and
    answers 201 without deciding or recording anything (what the HTTP stack costs);
  * **product**: ``POST /v1/decisions/gravity-matrix`` with recording on (a fresh SQLite
    store in a temporary directory per round, or with ``--postgres-url`` a fresh schema
    on that server, a panel API key), after which every 201 is checked to be in the store.
Each round prints requests/s, latency percentiles, errors, CPU per request (the user
share of it) and how much of the machine stayed idle (a round with idle CPU was bound by
something else: a lock, a disk flush, the load's concurrency); the
summary prints the median of the per-round ratios product/floor for throughput and p99
against issue #14's targets (≥ 0.4x the floor's requests/s, p99 ≤ 2x the floor's, 0
errors, every 201 stored). Alternating rounds share the machine's conditions, so the
ratio is steadier than either figure on a machine doing other work.

Two ways to load it:
  * closed loop (default): each client sends its next request as soon as the previous
    answer arrives, so this measures the most the service does at that concurrency.
    By Little's law its mean latency is clients / throughput (32 clients at 1,000/s
    means 32 ms on average), so a latency target needs the open loop:
  * open loop (``--rate R``): the clients together send R requests/s on a fixed schedule
    and latency is measured from when each request was *due*, so a slow answer is not
    hidden by the client waiting for it (no coordinated omission). Both servers get the
    same rate, so there the p99 ratio is the figure that matters.

``--prefer-minimal`` sends ``Prefer: return=minimal`` (RFC 7240): the product answers
with id, hash and outcome instead of the ~4 KB decision (the floor ignores it).

The load generator is a minimal asyncio HTTP/1.1 client (a pre-built request, the
response read by Content-Length) because on a 2-core machine the client competes with
the server for CPU; a heavyweight client would measure itself.

Usage: python bench/bench_api.py [--duration 20] [--rounds 3] [--clients 32]
       [--workers 2] [--rate 0] [--warmup 3] [--prefer-minimal]
       [--only floor|product] [--access-log] [--no-group-commit] [--postgres-url URL]
Exits 1 if any request failed or a product round lost a 201 (the ratio targets are
reported, not enforced: they are read on an idle machine).
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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_audit import database  # a fresh SQLite file or PostgreSQL schema per round

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


def request_bytes(key: str, index: int, prefer: str | None = None) -> bytes:
    case = {**CASE, "case_reference": f"BENCH-{index:06d}"}
    body = json.dumps({"case": case}, separators=(",", ":")).encode()
    extra = f"Prefer: {prefer}\r\n" if prefer else ""
    head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"{extra}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
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
                rate: float, prefer: str | None) -> tuple[Stats, float]:
    requests = [request_bytes(key, i, prefer) for i in range(256)]
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


def tree_cpu_seconds(root: int) -> tuple[float, float] | None:
    """User and system CPU seconds of *root* and its children (Linux /proc), else None."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        user = system = 0
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
                user += int(fields[11])
                system += int(fields[12])
        return user / tick, system / tick
    except (OSError, ValueError):
        return None


def machine_ticks() -> tuple[int, int] | None:
    """``(idle, total)`` jiffies of the whole machine (Linux /proc/stat), else None: a
    round whose machine still had idle CPU was not bound by the CPU."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return values[3] + values[4], sum(values[:8])  # idle + iowait; without guest time


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


FLOOR_KEY = "de_" + "0" * 40
"""Sent to the floor (which reads no header) so both servers get requests of one size."""


@dataclass
class Round:
    """One server's run: what the load generator saw and what the server spent."""

    target: str
    number: int
    requests: int
    per_second: float
    p50: float
    p99: float
    stats: Stats
    stored: int | None
    cpu_per_request: float | None
    cores_used: float | None
    client_cpu_per_request: float
    user_share: float | None = None
    """The server's user time as a share of its CPU (the rest is system time)."""
    idle_share: float | None = None
    """The machine's idle share over the round (every core, every process)."""

    @property
    def errors(self) -> int:
        return self.stats.errors

    @property
    def lost(self) -> int:
        """Acknowledged 201s missing from the store (product rounds)."""
        return 0 if self.stored is None else self.stats.ok - self.stored

    def line(self) -> str:
        user = f" ({self.user_share:.0%} user)" if self.user_share is not None else ""
        idle = (f"machine idle {self.idle_share:.0%}, " if self.idle_share is not None
                else "")
        cpu = (f"server CPU {self.cpu_per_request * 1e6:,.0f} us/request{user} on "
               f"{self.cores_used:.2f} cores, {idle}" if self.cpu_per_request is not None
               and self.cores_used is not None else "")
        stored = f", in the store {self.stored}/{self.stats.ok}" if self.stored is not None else ""
        return (f"  round {self.number} {self.target:<7} {self.per_second:>8,.0f} requests/s  "
                f"p50 {self.p50 * 1e3:6.1f} ms  p99 {self.p99 * 1e3:6.1f} ms  "
                f"errors {self.errors}{stored}\n"
                f"          {cpu}load generator {self.client_cpu_per_request * 1e6:,.0f} "
                f"us/request; responses {dict(sorted(self.stats.statuses.items()))}")


def server_command(target: str, port: int, workers: int, access_log: bool) -> list[str]:
    """uvicorn as ``decision-engine serve`` runs it (no proxy headers, no Server header),
    the same for both servers; the access log (serve's default) only if asked."""
    app = (["--app-dir", str(ROOT / "bench"), "floor_app:app"] if target == "floor"
           else ["decision_engine_api.app:create_app", "--factory"])
    log = (["--log-level", "info", "--access-log"] if access_log
           else ["--log-level", "warning", "--no-access-log"])
    return [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--no-proxy-headers", "--no-server-header", *log]


def run_round(target: str, number: int, args: argparse.Namespace) -> Round:
    """Start *target* under uvicorn, load it, stop it, and (product) count the store."""
    prefer = "return=minimal" if args.prefer_minimal else None
    backend = "postgresql" if args.postgres_url else "sqlite"
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp, \
            database(backend, args.postgres_url, Path(tmp)) as url:
        key = issue_key(url) if target == "product" else FLOOR_KEY
        port = free_port()
        env = {**os.environ, "DECISION_ENGINE_DATABASE_URL": url,
               "DECISION_ENGINE_POLICY_ROOT": str(ROOT),
               "DECISION_ENGINE_GROUP_COMMIT": "0" if args.no_group_commit else "1"}
        # With the access log, uvicorn logs at info: its lines go to /dev/null, the rest
        # to a file that is shown if the round fails.
        log = open(Path(tmp) / "server.log", "wb") if args.access_log else None  # noqa: SIM115
        proc = subprocess.Popen(server_command(target, port, args.workers, args.access_log),
                                env=env, cwd=tmp, stdout=subprocess.DEVNULL if log else None,
                                stderr=log)
        try:
            wait_ready(port, proc)
            began = time.perf_counter()
            server_cpu0, client_cpu0 = tree_cpu_seconds(proc.pid), time.process_time()
            ticks0 = machine_ticks()
            stats, measured = asyncio.run(drive(port, key, args.clients, args.duration,
                                                args.warmup, args.rate, prefer))
            wall = time.perf_counter() - began
            server_cpu1, client_cpu1 = tree_cpu_seconds(proc.pid), time.process_time()
            ticks1 = machine_ticks()
        except BaseException:
            if log:
                log.flush()
                sys.stderr.write((Path(tmp) / "server.log").read_text(errors="replace")[-4000:])
            raise
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if log:
                log.close()
        stored = count_decisions(url) if target == "product" else None
    lat = stats.latencies
    total = stats.ok + stats.errors
    cpu = cores = user_share = idle_share = None
    if server_cpu0 is not None and server_cpu1 is not None and total:
        user, system = (server_cpu1[0] - server_cpu0[0]), (server_cpu1[1] - server_cpu0[1])
        cpu, cores = (user + system) / total, (user + system) / wall
        user_share = user / (user + system) if user + system else None
    if ticks0 is not None and ticks1 is not None and ticks1[1] > ticks0[1]:
        idle_share = (ticks1[0] - ticks0[0]) / (ticks1[1] - ticks0[1])
    return Round(target, number, len(lat), len(lat) / measured, percentile(lat, .50),
                 percentile(lat, .99), stats, stored, cpu, cores,
                 (client_cpu1 - client_cpu0) / max(total, 1), user_share, idle_share)


def ratio_line(name: str, ratios: list[float], target: str, met: bool) -> str:
    each = ", ".join(f"{r:.2f}x" for r in ratios)
    return (f"  {name}: median {statistics.median(ratios):.2f}x (rounds: {each}); "
            f"target {target}: {'met' if met else 'NOT met'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=20.0, help="measured seconds per round")
    ap.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each server, alternating")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rate", type=float, default=0.0,
                    help="open loop: total requests/s (0: closed loop)")
    ap.add_argument("--prefer-minimal", action="store_true",
                    help="send Prefer: return=minimal (the product answers id, hash, outcome)")
    ap.add_argument("--only", choices=["floor", "product"],
                    help="run one server (no ratio)")
    ap.add_argument("--access-log", action="store_true",
                    help="uvicorn's access log on, as decision-engine serve has it by default "
                    "(written to /dev/null)")
    ap.add_argument("--no-group-commit", action="store_true")
    ap.add_argument("--postgres-url", help="record on PostgreSQL (a fresh schema per round "
                    "on this server) instead of a fresh SQLite file")
    args = ap.parse_args()
    if args.duration > 300 or args.clients > 256 or not 1 <= args.rounds <= 20:
        ap.error("bounded benchmark: at most 300 s, 256 clients and 20 rounds")

    targets = [args.only] if args.only else ["floor", "product"]
    mode = f"open loop at {args.rate:g} req/s" if args.rate else "closed loop"
    print(f"POST {PATH}: {' vs '.join(targets)}, {args.rounds} round(s) of "
          f"{args.duration:g} s after {args.warmup:g} s warm-up, {args.clients} clients, "
          f"{mode}, uvicorn --workers {args.workers}, group commit "
          f"{'off' if args.no_group_commit else 'on'}, "
          f"Prefer: {'return=minimal' if args.prefer_minimal else '(none)'}, access log "
          f"{'on' if args.access_log else 'off'}, store "
          f"{'postgresql' if args.postgres_url else 'sqlite'}", flush=True)
    rounds: list[Round] = []
    for number in range(1, args.rounds + 1):
        for target in targets:
            rounds.append(run_round(target, number, args))
            print(rounds[-1].line(), flush=True)

    ok = all(r.errors == 0 and r.lost == 0 for r in rounds)
    print(f"  errors {sum(r.errors for r in rounds)}, acknowledged 201s missing from the "
          f"store {sum(r.lost for r in rounds)}; 1-min load average "
          f"{os.getloadavg()[0]:.2f} (other work on the machine lowers the figures)")
    if len(targets) == 2:
        floor = [r for r in rounds if r.target == "floor"]
        product = [r for r in rounds if r.target == "product"]
        throughput = [p.per_second / f.per_second for f, p in zip(floor, product, strict=True)]
        p99 = [p.p99 / f.p99 for f, p in zip(floor, product, strict=True)]
        print("product / floor, paired by round:")
        print(ratio_line("requests/s", throughput, ">= 0.4x",
                         statistics.median(throughput) >= 0.4))
        print(ratio_line("p99", p99, "<= 2x", statistics.median(p99) <= 2.0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
