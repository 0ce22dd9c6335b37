"""The decision's canonical JSON is RFC 8785, byte for byte."""

from __future__ import annotations

import datetime as dt
from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.engine import evaluate
from decision_engine.engine.decision import at_path
from decision_engine.policy.registry import Registry
from tests.strategies import facts_for

REGISTRY = Registry.load()
POLICY = REGISTRY.get("gravity-matrix", "npcc-2025").policy


@settings(max_examples=150, deadline=None)
@given(facts=facts_for(POLICY))
def test_canonical_json_is_rfc8785(facts: dict[str, Any]) -> None:
    d = evaluate("gravity-matrix", facts, dt.date(2025, 6, 1), registry=REGISTRY)
    assert d.canonical_json() == rfc8785.dumps(d.as_json())


@settings(max_examples=100, deadline=None)
@given(facts=facts_for(POLICY))
def test_as_json_equals_pydantic_dump(facts: dict[str, Any]) -> None:
    d = evaluate("gravity-matrix", facts, dt.date(2025, 6, 1), registry=REGISTRY)
    assert d.as_json() == d.model_dump(mode="json")


@settings(max_examples=200, deadline=None)
@given(facts=facts_for(POLICY))
def test_the_fast_fact_validator_agrees_with_the_full_one(facts: dict[str, Any]) -> None:
    from decision_engine.compiler.inputs import FactValidator, validate_facts

    validator = FactValidator(POLICY)
    assert validator(facts) == validate_facts(POLICY, facts)


@settings(max_examples=150, deadline=None)
@given(facts=facts_for(POLICY))
def test_the_direct_encoding_equals_the_pydantic_dump(facts: dict[str, Any]) -> None:
    """canonical_json lets orjson walk the model fields; it must give the bytes of
    pydantic's own dump, in every format the engine writes."""
    from decision_engine.engine.decision import DECISION_FORMATS, canonical_bytes

    for fmt in DECISION_FORMATS:
        d = evaluate("gravity-matrix", facts, dt.date(2025, 6, 1), registry=REGISTRY, fmt=fmt)
        assert d.canonical_json() == canonical_bytes(d.model_dump(mode="json"))


@settings(max_examples=10, deadline=None)
@given(facts=facts_for(POLICY))
def test_a_value_orjson_cannot_encode_falls_back_to_pydantic(facts: dict[str, Any]) -> None:
    """A set (pydantic writes it as a list) takes the pydantic path."""
    from decision_engine.engine.decision import canonical_bytes

    d = evaluate("gravity-matrix", facts, dt.date(2025, 6, 1), registry=REGISTRY)
    odd = d.model_copy(update={"derived": {**d.derived, "odd": {"a"}}})
    assert odd.canonical_json() == canonical_bytes(odd.model_dump(mode="json"))


def _paths(data: Any, prefix: str = "") -> list[str]:
    """Every dotted path into *data*'s objects (lists are not indexed by a path)."""
    out: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}{key}"
            out += [path, *_paths(value, path + ".")]
    return out


@settings(max_examples=60, deadline=None)
@given(facts=facts_for(POLICY), fmt=st.sampled_from([1, 2, 3]),
       absent=st.sampled_from(["nothing", "format", "counterfactuals", "derived.nothing",
                               "outcomes.charge.nothing", "summary.x"]))
def test_a_path_reads_what_the_dump_holds_there(facts: dict[str, Any], fmt: int,
                                                absent: str) -> None:
    """``Decision.at`` (a consult's expose path, read without dumping the decision) gives
    what ``as_json`` holds at every path, and fails where it has nothing (format 1 has no
    ``format`` or ``counterfactuals``; a signed_off that is None is no member)."""
    d = evaluate("gravity-matrix", facts, dt.date(2025, 6, 1), registry=REGISTRY, fmt=fmt)
    data = d.as_json()
    for path in _paths(data):
        assert d.at(path) == at_path(data, path), path
    try:
        expected: Any = ("ok", at_path(data, absent))
    except (KeyError, TypeError) as exc:
        expected = ("error", type(exc))
    try:
        got: Any = ("ok", d.at(absent))
    except (KeyError, TypeError) as exc:
        got = ("error", type(exc))
    assert got == expected
