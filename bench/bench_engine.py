"""Gravity-matrix decisions per second and latency, in-process, in one run.

Compares, on the same 2,000 synthetic cases:
  * durable   - the full decision through durable-rules (validation, derived facts, rule
                matching, resolution, reasons, provenance, warnings, counterfactuals),
                and the same in decision format 1 (no counterfactuals; target ≤ +25%),
                and the same cases under the current revision (npcc-2023-r4: date inputs,
                more rules; what the API decides under);
  * fast      - the same with the compiled-Python matcher (bulk replay path);
  * match     - durable-rules rule matching alone (assert + actions + delete_state);
  * hand      - a hand-written Python function making the same outcome decision (no
                reasons): the floor any engine is measured against;
  * outcome   - the outcome compiler (same YAML, generated flat Python: derived facts,
                rules, resolution; no reasons) on the validated facts, target ≤ 5x hand.
Usage: python bench/bench_engine.py [--n 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from decision_engine.compiler.outcome import outcome_program_for
from decision_engine.engine import Engine
from decision_engine.engine.counterfactuals import counterfactuals
from decision_engine.policy.registry import Registry

DAY = dt.date(2024, 6, 1)
CURRENT = "npcc-2023-r4"


def cases(registry: Registry, n: int) -> list[dict[str, Any]]:
    policy = registry.get("gravity-matrix", "npcc-2023").policy
    rng = random.Random(2026)
    offences = list(policy.tables["offences"].rows)
    agg = list(policy.tables["aggravating_factors"].rows)
    mit = list(policy.tables["mitigating_factors"].rows)
    return [{
        "offence": rng.choice(offences), "age": rng.randint(10, 17),
        "sufficient_evidence": rng.random() > 0.1,
        "admission": rng.choice(["admitted", "admitted", "denied", "no_comment"]),
        "signed_consent": rng.random() > 0.5,
        "aggravating": sorted(rng.sample(agg, rng.randint(0, 2))),
        "mitigating": sorted(rng.sample(mit, rng.randint(0, 2))),
    } for _ in range(n)]


def hand_written(registry: Registry) -> Callable[[dict[str, Any]], str]:
    """The NPCC 2023 outcome, written by hand (bench only: the product never does this)."""
    offences = registry.get("gravity-matrix", "npcc-2023").policy.tables["offences"].rows
    base = {k: int(v["base_score"]) for k, v in offences.items()}
    ladder = ["no_further_action", "community_resolution", "youth_caution",
              "youth_conditional_caution", "charge"]

    def decide(c: dict[str, Any]) -> str:
        if not c["sufficient_evidence"]:
            return "no_further_action"
        adj = max(-1, min(1, len(c["aggravating"]) - len(c["mitigating"])))
        score = max(1, min(5, base[c["offence"]] + adj))
        i = score - 1
        admitted = c["admission"] == "admitted"
        while i > 0 and ((i in (2, 3) and not admitted) or (i == 3 and not c["signed_consent"])):
            i -= 1
        return ladder[i]

    return decide


def timed(fn: Callable[[dict[str, Any]], Any], data: list[dict[str, Any]],
          n: int) -> tuple[list[float], list[Any]]:
    for c in data[:200]:  # warm up
        fn(c)
    times: list[float] = []
    results: list[Any] = []
    for i in range(n):
        c = data[i % len(data)]
        t = time.perf_counter_ns()
        results.append(fn(c))
        times.append((time.perf_counter_ns() - t) / 1000)
    return times, results


def report(name: str, times: list[float], floor: float | None) -> float:
    times = sorted(times)
    p50 = statistics.median(times)
    p99 = times[int(len(times) * 0.99)]
    per_s = len(times) / (sum(times) / 1e6)
    ratio = f"{p50 / floor:7.1f}x hand" if floor else ""
    print(f"{name:<34} {per_s:>10,.0f}/s   p50 {p50:8.2f} µs   p99 {p99:8.2f} µs  {ratio}")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    registry = Registry.load()
    engine = Engine(registry)
    data = cases(registry, 2000)
    pv = registry.get("gravity-matrix", "npcc-2023")
    hand = hand_written(registry)

    durable = lambda c: engine.evaluate("gravity-matrix", c, DAY, "npcc-2023")  # noqa: E731
    cfs = counterfactuals(engine.compiled(pv))

    def durable_cold(c: dict[str, Any]) -> Any:  # counterfactuals with an empty memo
        cfs.memo.clear()
        cfs.described.clear()
        return durable(c)

    durable_f1 = lambda c: engine.evaluate("gravity-matrix", c, DAY, "npcc-2023",  # noqa: E731
                                           fmt=1)
    fast = lambda c: engine.evaluate("gravity-matrix", c, DAY, "npcc-2023",  # noqa: E731
                                     engine="fast")
    # the revision the API decides under today (date inputs, more rules), same cases
    current = lambda c: engine.evaluate("gravity-matrix", c, DAY, CURRENT)  # noqa: E731
    matcher = engine.matcher(pv, "durable")
    prepared = [durable(c) for c in data]
    facts = [{**d.input, **d.derived} for d in prepared]
    match = matcher.match
    cp = engine.compiled(pv)
    validated = [cp.validate(c) for c in data]
    program = outcome_program_for(cp)
    outcome = lambda v: program.outcome(v, DAY)  # noqa: E731

    hand_t, hand_out = timed(hand, data, args.n)
    durable_t, durable_out = timed(durable, data, args.n)
    durable_f1_t, _ = timed(durable_f1, data, args.n)
    durable_cold_t, _ = timed(durable_cold, data, args.n)
    current_t, _ = timed(current, data, args.n)
    fast_t, fast_out = timed(fast, data, args.n)
    match_t, _ = timed(match, facts, args.n)
    outcome_t, outcome_out = timed(outcome, validated, args.n)
    wrong = sum(h != d.outcome for h, d in zip(hand_out, durable_out, strict=True))
    wrong_outcome = sum(o != d.outcome for o, d in zip(outcome_out, durable_out, strict=True))
    differ = sum(a.canonical_json() != b.canonical_json()
                 for a, b in zip(durable_out[:2000], fast_out[:2000], strict=True))

    print(f"gravity-matrix npcc-2023, {args.n:,} decisions each, {len(data):,} distinct cases, "
          f"{len(pv.policy.rules)} rules")
    floor = report("hand-written Python (outcome only)", hand_t, None)
    with_cf = report("durable-rules, full decision", durable_t, floor)
    without_cf = report("  same, format 1 (no counterfactuals)", durable_f1_t, floor)
    cold = report("  same, counterfactual memo empty", durable_cold_t, floor)
    report(f"  same cases under {CURRENT}", current_t, floor)
    report("fast evaluator, full decision", fast_t, floor)
    report("durable-rules rule matching only", match_t, floor)
    report("outcome compiler (outcome only)", outcome_t, floor)
    print(f"counterfactuals cost {100 * (with_cf / without_cf - 1):+.0f}% on the durable p50 "
          f"({100 * (cold / without_cf - 1):+.0f}% with their memo empty every time); "
          f"{sum(len(d.counterfactuals) for d in durable_out[:2000]) / 2000:.1f} per decision")
    print(f"outcome mismatches hand vs durable: {wrong}; outcome compiler vs durable: "
          f"{wrong_outcome}; durable vs fast byte differences (first 2,000): {differ}")


if __name__ == "__main__":
    main()
