"""Each evaluation is isolated: no state leaks between cases, threads or sessions."""

from __future__ import annotations

import datetime as dt
import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.engine import Engine, matchers
from decision_engine.policy.registry import Registry
from tests.strategies import facts_for

DAY = dt.date(2024, 1, 1)


def _engine(registry: Registry) -> Engine:
    return Engine(registry)


REGISTRY = Registry.load()
CASES = facts_for(REGISTRY.get("gravity-matrix", "npcc-2023").policy)


@settings(max_examples=60, deadline=None)
@given(st.lists(CASES, min_size=2, max_size=6))
def test_interleaved_cases_match_fresh_engines(cases: list[dict[str, Any]]) -> None:
    """Every engine here is new, so each has its own durable-rules sessions; the
    registry (compiled policies, ~2 s to load) is the same for all, as in the service."""
    shared = _engine(REGISTRY)
    interleaved = [shared.evaluate("gravity-matrix", c, DAY).canonical_json() for c in cases]
    fresh = [_engine(REGISTRY).evaluate("gravity-matrix", c, DAY).canonical_json()
             for c in cases]
    assert interleaved == fresh


def test_threads_give_the_same_answers_as_sequential(registry: Registry) -> None:
    """Threads sharing one engine give the sequential answers (why no lock of ours is
    needed for this on a GIL build: tests/test_engine_lock.py)."""
    engine = _engine(registry)
    rng = random.Random(7)
    offences = list(registry.get("gravity-matrix", "npcc-2023").policy.tables["offences"].rows)
    cases = [{"offence": rng.choice(offences), "age": rng.randint(10, 17),
              "sufficient_evidence": rng.random() > 0.2,
              "admission": rng.choice(["admitted", "denied", "no_comment"]),
              "signed_consent": rng.random() > 0.5} for _ in range(400)]
    sequential = [engine.evaluate("gravity-matrix", c, DAY).canonical_json() for c in cases]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda c: engine.evaluate("gravity-matrix", c, DAY)
                                 .canonical_json(), cases))
    assert threaded == sequential


def test_one_session_serves_sequential_evaluations_so_the_session_cap_is_never_reached(
        registry: Registry) -> None:
    """durable-rules segfaults past 1,024 live sessions per ruleset; an evaluation
    leaves its session empty for the next one, so one session serves them all."""
    engine = _engine(registry)
    facts = {"offence": "robbery", "age": 15, "sufficient_evidence": True,
             "admission": "admitted"}
    outcomes = {engine.evaluate("gravity-matrix", facts, DAY).outcome for _ in range(3000)}
    assert outcomes == {"charge"}
    assert engine.matcher(registry.select("gravity-matrix", DAY), "durable")._idle == ["1"]


def test_a_session_whose_evaluation_failed_is_deleted_not_reused(
        registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """An evaluation that fails between assert and retract leaves its fact in its
    session: that session is deleted, and the next evaluation starts a clean one."""
    engine = _engine(registry)
    matcher = engine.matcher(registry.select("gravity-matrix", DAY), "durable")
    facts = {"offence": "robbery", "age": 15, "sufficient_evidence": True,
             "admission": "admitted"}
    expected = engine.evaluate("gravity-matrix", facts, DAY).canonical_json()
    real = matchers.dre.complete_and_start_action

    def failing(*args: Any) -> Any:
        raise RuntimeError("injected")

    monkeypatch.setattr(matchers.dre, "complete_and_start_action", failing)
    with pytest.raises(RuntimeError, match="injected"):
        engine.evaluate("gravity-matrix", facts, DAY)
    assert matcher._idle == []  # session 1 held the fact: deleted
    monkeypatch.setattr(matchers.dre, "complete_and_start_action", real)
    assert engine.evaluate("gravity-matrix", facts, DAY).canonical_json() == expected
    assert matcher._idle == ["2"]


@pytest.mark.parametrize(("family", "version", "own_rule"), [
    ("gravity-matrix", "npcc-2023", True),  # has a `when: always` rule
    ("contact-frequency", "national-standards-2019-r2", False),  # has none
])
def test_a_case_durable_rules_did_not_evaluate_is_refused(
        registry: Registry, monkeypatch: pytest.MonkeyPatch, family: str, version: str,
        own_rule: bool) -> None:
    """A rule that matches every case must fire: the policy's own `always` rule when it
    has one (no sentinel is added, one action fewer per case), else the sentinel. When
    it does not fire, durable-rules did not evaluate the case: the matcher refuses."""
    engine = _engine(registry)
    pv = registry.get(family, version)
    cp = engine.compiled(pv)
    ruleset = cp.durable_ruleset()
    assert (cp.sentinel is not None) is own_rule
    assert (matchers.SENTINEL in ruleset) is not own_rule
    every = f"r{cp.sentinel}" if own_rule else matchers.SENTINEL
    assert ruleset[every] == {"all": [{"m": {"$ex": {"__case__": 1}}}]}
    matcher = engine.matcher(pv, "durable")
    real_start = matchers.dre.start_action_for_state
    real_next = matchers.dre.complete_and_start_action

    def skip(action: Any, *args: Any) -> Any:  # drop the every-case rule's action
        while action and action[1] is not None and action[1].startswith(f'{{"{every}"'):
            action = (action[0], real_next(*args))
        return action

    monkeypatch.setattr(matchers.dre, "start_action_for_state",
                        lambda *a: skip(real_start(*a), *a))
    monkeypatch.setattr(matchers.dre, "complete_and_start_action",
                        lambda *a: skip((None, real_next(*a)), *a)[1])
    with pytest.raises(RuntimeError, match="did not run the sentinel rule"):
        matcher.match({"__no_such_fact__": 1})
