"""Loading the policy registry: the reading without node positions (libyaml's C parser,
what ``Registry.load`` does first) against the round-trip reading that knows each node's
line (what it falls back to when something is wrong), and the floor: reading the same
files' bytes. Every CLI command, API worker and replay worker pays one load at start.

    .venv/bin/python bench/bench_load.py [--runs 5] [--root DIR]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from decision_engine.policy.registry import Registry, default_root


def timed(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--root", type=Path, default=None)
    args = parser.parse_args()
    root = args.root or default_root()
    files = [root / "policies.yaml", *sorted((root / "rules").glob("*/*.yaml"))]
    floor = timed(lambda: [f.read_bytes() for f in files], args.runs)
    fast = timed(lambda: Registry._load(root, positions=False), args.runs)
    positioned = timed(lambda: Registry._load(root, positions=True), args.runs)
    versions = sum(len(Registry.load(root).versions(f)) for f in Registry.load(root).families())
    print(f"{len(files)} files, {versions} versions under {root} (median of {args.runs})")
    print(f"  floor, reading the bytes:        {floor * 1e3:8.1f} ms")
    print(f"  without positions (C parser):    {fast * 1e3:8.1f} ms")
    print(f"  with positions (round trip):     {positioned * 1e3:8.1f} ms"
          f"   {positioned / fast:.1f}x the reading without")


if __name__ == "__main__":
    main()
