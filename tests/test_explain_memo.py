"""The explainer's reason memo: a remembered reason is only ever reused for a rule whose
facts and template values are exactly those it was made from."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.engine import Engine
from decision_engine.engine.evaluation import explainer
from decision_engine.engine.explain import _plain_fields
from decision_engine.policy.registry import Registry
from tests.test_outcome_compiler import VERSIONS, decided

DAY = dt.date(2024, 6, 1)


def test_plain_fields_only_for_plain_names() -> None:
    assert _plain_fields("Score {final_score} ({base_score}) {{literal}}") == (
        "final_score", "base_score")
    assert _plain_fields("no fields") == ()
    for template in ("{x!r}", "{x:>4}", "{x.y}", "{x[0]}", "{}", "{unclosed"):
        assert _plain_fields(template) is None


def test_reasons_are_shared_only_between_equal_reasons(registry: Registry) -> None:
    engine = Engine(registry)
    base = {"offence": "robbery", "age": 15, "sufficient_evidence": True,
            "admission": "admitted", "signed_consent": True}
    a = engine.evaluate("gravity-matrix", base, DAY, "npcc-2023")
    b = engine.evaluate("gravity-matrix", base, DAY, "npcc-2023")
    c = engine.evaluate("gravity-matrix", {**base, "age": 16}, DAY, "npcc-2023")
    assert a.reasons == b.reasons
    assert all(x is y for x, y in zip(a.reasons, b.reasons, strict=True))
    pv = registry.get("gravity-matrix", "npcc-2023")
    fresh = Engine(registry).evaluate("gravity-matrix", {**base, "age": 16}, DAY, "npcc-2023")
    assert c.canonical_json() == fresh.canonical_json()
    assert explainer(engine.compiled(pv))._reasons  # the memo was used


WARM = Engine(Registry.load())
COLD = Engine(Registry.load())


@pytest.mark.parametrize(("family", "version"), VERSIONS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_remembered_reasons_are_those_made_afresh(
        family: str, version: str, data: st.DataObject) -> None:
    """The warm engine's memos (one reason list per set of rules and values) serve many
    cases; the cold one forgets its reasons before every decision."""
    case = decided(data, family, version, WARM)
    if case is None:
        return
    facts, on, warm = case
    cold_explainer = explainer(COLD.compiled(COLD.registry.get(family, version)))
    cold_explainer._reasons.clear()
    cold_explainer._reason_lists.clear()
    cold = COLD.evaluate(family, facts, on, version)
    assert warm.reasons == cold.reasons
    assert warm.canonical_json() == cold.canonical_json()
