"""Helpers shared by the policy-family tests: the bundled registry, evaluation on both
engines, and the example cases under examples/<family>/."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from decision_engine.engine import Decision, decide, evaluate
from decision_engine.policy import model as m
from decision_engine.policy.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Registry.load(ROOT)


def policy(family: str, version: str) -> m.Policy:
    return REGISTRY.get(family, version).policy


def run(family: str, facts: dict[str, Any], on: dt.date, version: str | None = None,
        engine: str = "durable") -> Decision:
    return evaluate(family, facts, on, version, registry=REGISTRY,
                    engine="fast" if engine == "fast" else "durable")


def example_file(family: str, name: str) -> dict[str, Any]:
    """An example file as stored: ``{"decision_date": …, "case": …}``."""
    data: dict[str, Any] = json.loads((ROOT / "examples" / family / name).read_text())
    return data


def example(family: str, name: str) -> dict[str, Any]:
    """The case of an example (without the date it was written for)."""
    case: dict[str, Any] = example_file(family, name)["case"]
    return case


def decide_example(family: str, name: str, on: dt.date, engine: str = "durable") -> Decision:
    _, decision = decide(family, example(family, name), on, registry=REGISTRY,
                         engine="fast" if engine == "fast" else "durable")
    return decision


def example_names(family: str) -> list[str]:
    return sorted(p.name for p in (ROOT / "examples" / family).glob("*.json"))


def reason(d: Decision, rule: str) -> Any:
    """The reason a rule gave (fails the test if the rule did not take part)."""
    found = [r for r in d.reasons if r.rule == rule]
    assert found, f"rule {rule!r} did not fire; fired: {[r.rule for r in d.reasons]}"
    return found[0]


def fired(d: Decision) -> set[str]:
    return {r.rule for r in d.reasons}
