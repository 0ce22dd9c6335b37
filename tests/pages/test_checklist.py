"""The court officer's checklist read from the pathways policy: each item's status follows
from which of its rules fired, for every example and for hand-made variations."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from decision_engine.engine import decide
from decision_engine.policy.registry import Registry
from decision_engine_api.pages.checklist import checklist
from tests.pages.conftest import ROOT

REGISTRY = Registry.load()
EXAMPLES = sorted((ROOT / "examples" / "oocd-pathways").glob("*.json"))


def _run(case: dict[str, Any], on: str) -> tuple[Any, Any]:
    registry = REGISTRY
    _, decision = decide("oocd-pathways", case, dt.date.fromisoformat(on), registry=registry)
    policy = registry.get("oocd-pathways", decision.policy.version).policy
    return policy, decision


def _example(name: str) -> tuple[dict[str, Any], str]:
    wrapped = json.loads((ROOT / "examples" / "oocd-pathways" / f"{name}.json").read_text())
    return wrapped["case"], wrapped["decision_date"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_agrees_with_its_outcome(path: Any) -> None:
    wrapped = json.loads(path.read_text())
    policy, decision = _run(wrapped["case"], wrapped["decision_date"])
    items = checklist(policy, decision)
    assert [i.number for i in items] == sorted({i.number for i in items})
    missed = [i for i in items if i.status == "missed"]
    # a refer-back outcome has a missed item behind it, and an explored case has none
    assert bool(missed) == decision.indicated.startswith("refer_back")
    fired = {r.rule for r in decision.reasons}
    for item in items:
        assert all(rule in fired for rule, _ in item.reasons)
        if item.status == "does not apply":
            assert item.reasons == []


def test_knife_first_offence_misses_c13_and_meets_c2() -> None:
    policy, decision = _run(*_example("knife-first-offence"))
    by_number = {i.number: i for i in checklist(policy, decision)}
    assert by_number[13].status == "missed"
    assert by_number[13].title == "knife possession"
    assert any(rule == "c13-guidance-route-missed" for rule, _ in by_number[13].reasons)
    assert by_number[2].status == "met" and by_number[2].reasons == []


def test_an_item_turns_missed_when_its_rule_fires() -> None:
    case, on = _example("admitted-shoplifting-explored")
    policy, decision = _run(case, on)
    before = {i.number: i.status for i in checklist(policy, decision)}
    assert before[2] == "met"
    policy, decision = _run({**case, "facts": {**case["facts"], "sufficient_evidence": False}},
                            on)
    after = {i.number: i for i in checklist(policy, decision)}
    assert after[2].status == "missed"
    assert "evidential threshold" in after[2].title


def test_an_item_that_only_applies_to_some_cases_says_so() -> None:
    case, on = _example("admitted-shoplifting-explored")
    policy, decision = _run(case, on)
    items = {i.number: i for i in checklist(policy, decision)}
    assert case["facts"]["care_status"] == "none"
    assert items[9].status == "does not apply" and items[9].reasons == []
    policy, decision = _run({**case, "facts": {**case["facts"], "care_status": "looked_after"}},
                            on)
    assert {i.number: i for i in checklist(policy, decision)}[9].status != "does not apply"


def test_other_families_have_no_checklist() -> None:
    registry = REGISTRY
    wrapped = json.loads(next((ROOT / "examples" / "gravity-matrix").glob("*.json")).read_text())
    _, decision = decide("gravity-matrix", wrapped["case"],
                         dt.date.fromisoformat(wrapped["decision_date"]), registry=registry)
    policy = registry.get("gravity-matrix", decision.policy.version).policy
    assert checklist(policy, decision) == []
