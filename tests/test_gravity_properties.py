"""Properties of every gravity-matrix version, over its whole declared input domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.engine import evaluate
from decision_engine.policy.registry import Registry
from tests.strategies import facts_for

ROOT_REGISTRY = Registry.load()
VERSIONS = {pv.version: pv for pv in ROOT_REGISTRY.versions("gravity-matrix")}
DAYS = {"acpo-2013": dt.date(2020, 1, 1), "npcc-2023": dt.date(2024, 1, 1),
        "npcc-2025": dt.date(2026, 1, 1)}
# a revision (issue 9: `supersedes`) is tested on the day of the version it corrects
for _pv in VERSIONS.values():
    if _pv.entry.supersedes in DAYS:
        DAYS[_pv.version] = DAYS[_pv.entry.supersedes]
SEVERITY = VERSIONS["npcc-2023"].policy.outcomes
CAUTIONS = {"youth_caution", "youth_conditional_caution"}


def run(version: str, facts: dict[str, Any], engine: str = "durable") -> Any:
    return evaluate("gravity-matrix", facts, DAYS[version], version, registry=ROOT_REGISTRY,
                    engine="fast" if engine == "fast" else "durable")


def cases(version: str) -> st.SearchStrategy[dict[str, Any]]:
    return facts_for(VERSIONS[version].policy)


def factor(version: str, table: str) -> st.SearchStrategy[str]:
    return st.sampled_from(list(VERSIONS[version].policy.tables[table].rows))


@pytest.mark.parametrize("version", list(VERSIONS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_extra_aggravating_factor_never_less_severe(version: str, data: st.DataObject) -> None:
    facts = data.draw(cases(version))
    extra = data.draw(factor(version, "aggravating_factors"))
    more = {**facts, "aggravating": sorted({*facts.get("aggravating", []), extra})}
    before, after = run(version, facts), run(version, more)
    assert SEVERITY.index(after.outcome) >= SEVERITY.index(before.outcome)


@pytest.mark.parametrize("version", list(VERSIONS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_extra_mitigating_factor_never_more_severe(version: str, data: st.DataObject) -> None:
    facts = data.draw(cases(version))
    extra = data.draw(factor(version, "mitigating_factors"))
    more = {**facts, "mitigating": sorted({*facts.get("mitigating", []), extra})}
    before, after = run(version, facts), run(version, more)
    assert SEVERITY.index(after.outcome) <= SEVERITY.index(before.outcome)


@pytest.mark.parametrize("version", list(VERSIONS))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_not_admitted_never_a_caution(version: str, data: st.DataObject) -> None:
    facts = data.draw(cases(version))
    facts["admission"] = data.draw(st.sampled_from(["denied", "no_comment", "not_interviewed"]))
    d = run(version, facts)
    assert d.outcome not in CAUTIONS
    assert not any(d.outcomes[c].available for c in CAUTIONS)


@pytest.mark.parametrize("version", list(VERSIONS))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_previous_disposals_never_change_the_outcome(version: str, data: st.DataObject) -> None:
    facts = data.draw(cases(version))
    other = {**facts, "previous_disposals": data.draw(st.integers(0, 50))}
    assert run(version, facts).outcome == run(version, other).outcome


@pytest.mark.parametrize("version", list(VERSIONS))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_durable_rules_and_fast_evaluator_agree_byte_for_byte(version: str,
                                                              data: st.DataObject) -> None:
    facts = data.draw(cases(version))
    assert run(version, facts).canonical_json() == run(version, facts, "fast").canonical_json()


@settings(max_examples=100, deadline=None)
@given(facts=cases("npcc-2023"))
def test_same_inputs_same_bytes(facts: dict[str, Any]) -> None:
    first = run("npcc-2023", facts).canonical_json()
    for _ in range(3):
        assert run("npcc-2023", facts).canonical_json() == first
