"""The outcome compiler agrees with durable-rules on every bundled version of every family:
outcome, indicated outcome, rules fired, blocked outcomes and derived facts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.compiler.outcome import OutcomeResult, exposed, outcome_program_for
from decision_engine.engine import Decision, Engine
from decision_engine.errors import InputError
from decision_engine.policy.registry import PolicyVersion, Registry
from tests.strategies import cases_for

REGISTRY = Registry.load()
ENGINE = Engine(REGISTRY)
VERSIONS = [(f, pv.version) for f in REGISTRY.families() for pv in REGISTRY.versions(f)]


def consulted_facts(pv: PolicyVersion, inputs: dict[str, Any], on: dt.date,
                    ) -> dict[str, Any]:
    """The facts the consulted families expose, through the outcome compiler itself."""
    out: dict[str, Any] = {}
    for spec in pv.policy.consults.values():
        other = REGISTRY.select(spec.family, on)
        cp = ENGINE.compiled(other)
        passed = cp.validate({k: inputs[k] for k in spec.pass_facts if k in inputs})
        result = outcome_program_for(cp).evaluate(passed, on)
        out.update({fact: exposed(result, path) for fact, path in spec.expose.items()})
    return out


def decided(data: st.DataObject, family: str, version: str, engine: Engine = ENGINE,
            ) -> tuple[dict[str, Any], dt.date, Decision] | None:
    """A case drawn for *version*, its day and its decision; None when the version
    refuses the case (facts outside what it accepts, e.g. an age on a date)."""
    facts, on = data.draw(cases_for(engine.registry.get(family, version)))
    try:
        return facts, on, engine.evaluate(family, facts, on, version)
    except InputError:
        return None


def _agree(result: OutcomeResult, d: Decision) -> None:
    assert result.outcome == d.outcome
    assert result.indicated == d.indicated
    assert list(result.fired) == [r.rule for r in d.reasons]
    assert result.blocked == {o for o, s in d.outcomes.items() if not s.available}
    assert result.derived == d.derived


@pytest.mark.parametrize(("family", "version"), VERSIONS)
@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_outcome_compiler_agrees_with_durable_rules(family: str, version: str,
                                                    data: st.DataObject) -> None:
    case = decided(data, family, version)
    if case is None:
        return
    facts, on, d = case
    pv = REGISTRY.get(family, version)
    cp = ENGINE.compiled(pv)
    inputs = cp.validate(facts)
    program = outcome_program_for(cp)
    result = program.evaluate({**inputs, **consulted_facts(pv, inputs, on)}, on)
    _agree(result, d)
    assert program.outcome({**inputs, **consulted_facts(pv, inputs, on)}, on) == d.outcome


def test_the_generated_source_is_flat_python_with_no_engine_calls() -> None:
    cp = ENGINE.compiled(REGISTRY.get("gravity-matrix", "npcc-2025"))
    source = outcome_program_for(cp).source
    assert source.startswith("def _outcome(f, _day, _date):")
    assert "durable" not in source and "lambda" not in source
    compile(source, "<check>", "exec")


@pytest.mark.parametrize(("family", "version"), VERSIONS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_fast_evaluator_makes_the_same_decision_bytes(family: str, version: str,
                                                          data: st.DataObject) -> None:
    """The fast evaluator's generated matching (``compiler.matching``) fires the rules
    durable-rules fires, so the whole decision is the same bytes."""
    case = decided(data, family, version)
    if case is None:
        return
    facts, on, durable = case
    fast = ENGINE.evaluate(family, facts, on, version, engine="fast")
    assert fast.canonical_json() == durable.canonical_json()
