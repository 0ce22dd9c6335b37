"""Cost as the history grows: fill, size, verify and replay at several store sizes.

For each size N this fills a fresh SQLite store with ``decision-engine demo-data
--cases N`` (the real recording path, all five families), then runs, each as its own
process so wall time and peak memory are the command's own:
  * ``decision-engine audit verify`` (hashes, links, decisions against their outputs,
    Merkle tree, subjects, the database's integrity check; workers per core from
    200,000 records);
  * ``decision-engine audit replay --workers 2 --format json`` (every decision again,
    byte for byte, under the version in force on its date);
and reads the store's size on disk. It prints one Markdown row per size, the figures
``docs/scale.md`` tabulates (issue 14, target 4: what grows linearly and what does not).

Usage: python bench/bench_scale.py [--cases 10000,100000] [--dir /tmp] [--keep]
Run from outside a checkout with uncommitted policies (the CLI reads ./policies.yaml).
Peak memory is the largest resident set of the command's own process (its worker
processes are not added in).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = str(Path(sys.executable).with_name("decision-engine"))


def _run(args: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MB) and stdout of one CLI command."""
    start = time.perf_counter()
    proc = subprocess.Popen([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"decision-engine {' '.join(args)} failed ({status})")
    return took, usage.ru_maxrss // 1024, out


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def measure(cases: int, directory: Path, keep: bool) -> dict[str, int | float]:
    db = directory / f"scale-{cases}.db"
    for old in directory.glob(db.name + "*"):
        old.unlink()
    url = f"sqlite:///{db}"
    fill_s, fill_mb, _ = _run(["demo-data", "--cases", str(cases), "--database-url", url])
    records = _size(db)
    verify_s, verify_mb, _ = _run(["audit", "verify", "--database-url", url])
    replay_s, replay_mb, out = _run(["audit", "replay", "--database-url", url, "--workers", "2",
                                     "--format", "json", "--no-progress"])
    replayed = json.loads(out)["summary"]
    if not keep:
        for path in directory.glob(db.name + "*"):
            path.unlink()
    return {"fill_s": fill_s, "fill_per_s": cases / fill_s, "fill_mb": fill_mb,
            "bytes": records, "bytes_per_decision": records / cases,
            "verify_s": verify_s, "verify_mb": verify_mb,
            "replay_s": replay_s, "replay_mb": replay_mb,
            "reproduced": int(replayed["reproduced"]), "selected": int(replayed["selected"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="10000,100000")
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--keep", action="store_true", help="keep the filled stores")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, 1-min load {os.getloadavg()[0]:.2f} at start")
    print("| decisions | fill s (per s, MB) | store MB (B/decision) | verify s (MB) "
          "| replay s (MB) | reproduced |")
    print("|---:|---:|---:|---:|---:|---:|")
    for cases in (int(c) for c in args.cases.split(",")):
        m = measure(cases, Path(args.dir), args.keep)
        print(f"| {cases:,} | {m['fill_s']:,.1f} ({m['fill_per_s']:,.0f}/s, {m['fill_mb']}) "
              f"| {m['bytes'] / 1e6:,.0f} ({m['bytes_per_decision']:,.0f}) "
              f"| {m['verify_s']:,.1f} ({m['verify_mb']}) "
              f"| {m['replay_s']:,.1f} ({m['replay_mb']}) "
              f"| {m['reproduced']:,} of {m['selected']:,} |", flush=True)
    print(f"1-min load {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
