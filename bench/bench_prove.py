"""Prove every declared property of every bundled version; print the time per version,
the reduced domain size and the cost per case, and the total against the issue's target
(every bundled version proved in ≤ 10 s on this machine).

    .venv/bin/python bench/bench_prove.py [--runs 3]

The floor printed for comparison is one outcome-only evaluation of a gravity-matrix case
(the cost every enumerated case pays at least once), measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from decision_engine.authoring import domain as dom
from decision_engine.authoring.evaluate import compiled, evaluate
from decision_engine.authoring.prove import MAX_CASES, load_side, prove
from decision_engine.policy.registry import Registry


def once(registry: Registry) -> list[tuple[str, int | None, int, float, str]]:
    rows = []
    for family in registry.families():
        for pv in registry.versions(family):
            t0 = time.perf_counter()
            policy, _, _ = load_side(pv.policy, pv.path)
            d = dom.for_version(registry, family, pv.version, policy,
                                rules=dom.outcome_rules(policy), limit=MAX_CASES)
            proof = prove(d)
            status = (f"refused ({proof.refused[:60]}…)" if proof.refused else
                      f"{sum(v.holds for v in proof.verdicts)}/{len(proof.verdicts)} proved")
            rows.append((f"{family} {pv.version}", d.raw, d.size if not d.refused else 0,
                         time.perf_counter() - t0, status))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    registry = Registry.load()
    pv = registry.get("gravity-matrix", "npcc-2025")
    cp = compiled(pv.policy)
    facts = cp.validate({"offence": "robbery", "age": 15, "sufficient_evidence": True,
                         "admission": "admitted", "aggravating": ["premeditated"]})
    n = 5000
    t0 = time.perf_counter()
    for _ in range(n):
        evaluate(cp, facts, dt.date(2025, 6, 1))
    floor = (time.perf_counter() - t0) / n
    totals = []
    rows: list[tuple[str, int | None, int, float, str]] = []
    for _ in range(args.runs):
        rows = once(registry)
        totals.append(sum(r[3] for r in rows))
    print(f"floor: one outcome-only evaluation {floor * 1e6:.1f} µs")
    print(f"{'version':<44} {'raw':>24} {'reduced':>10} {'s':>7} {'µs/case':>8}  status")
    for name, raw, size, secs, status in rows:
        per = f"{secs / size * 1e6:.0f}" if size else "-"
        print(f"{name:<44} {raw if raw is not None else 'unbounded':>24} {size:>10,} "
              f"{secs:>7.2f} {per:>8}  {status}")
    print(f"total (median of {args.runs}): {statistics.median(totals):.2f} s "
          f"(target ≤ 10 s; {statistics.median(totals) / 10:.0%} of it)")


if __name__ == "__main__":
    main()
