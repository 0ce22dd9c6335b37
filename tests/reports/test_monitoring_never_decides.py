"""Monitoring data never decides (issue 12, item 1).

Ethnicity, sex, age band, looked-after status, disability and the rest are recorded
beside a case for disproportionality reports. For every version of every family, a case
decided twice with only its monitoring data changed must give the same decision, byte
for byte, and the same rule inputs (what the audit store records as ``input``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decision_engine.engine import decide
from decision_engine.engine.service import case_facts, parse_case
from decision_engine.errors import DecisionEngineError
from decision_engine.policy.registry import PolicyVersion, Registry
from tests.strategies import facts_for

REGISTRY = Registry.load()
VERSIONS = [pv for family in REGISTRY.families() for pv in REGISTRY.versions(family)]

MONITORING_KEYS = ["ethnicity", "sex", "age_band", "looked_after", "disability", "religion",
                   "gender_identity", "sexual_orientation"]
MONITORING_VALUES = ["white", "black", "asian", "mixed", "other", "not_stated", "female",
                     "male", "10-14", "15-17", "yes", "no", "unknown", ""]


def monitoring() -> st.SearchStrategy[dict[str, str]]:
    """Usual keys and values, plus any text, including keys that name rule inputs."""
    keys = st.sampled_from(MONITORING_KEYS) | st.text(min_size=1, max_size=12)
    values = st.sampled_from(MONITORING_VALUES) | st.text(max_size=12)
    return st.dictionaries(keys, values, max_size=6)


def day_in_force(pv: PolicyVersion) -> st.SearchStrategy[dt.date]:
    start = pv.entry.effective_from
    end = (pv.entry.effective_to - dt.timedelta(days=1) if pv.entry.effective_to
           else dt.date(2026, 11, 1))
    return st.dates(start, end)


def offences(on: dt.date) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Enhanced case management reads a list of offences (per-family strategy)."""
    disposals = ["conviction", "youth_conditional_caution", "youth_caution",
                 "community_resolution", "outcome_22", "outcome_23", "no_further_action"]
    item = st.builds(lambda i, d, k: {"id": f"O{i}", "date": d.isoformat(), "disposal": k},
                     st.integers(0, 99), st.dates(on - dt.timedelta(days=800), on),
                     st.sampled_from(disposals))
    return st.lists(item, max_size=5)


@st.composite
def case_pair(draw: st.DrawFn, pv: PolicyVersion) -> tuple[dict[str, Any], dict[str, Any],
                                                             dt.date]:
    on = draw(day_in_force(pv))
    facts = draw(facts_for(pv.policy))
    for name, inp in pv.policy.inputs.items():
        if inp.type == "list":
            facts[name] = draw(offences(on))
    age = facts.pop("age", None)
    base: dict[str, Any] = {"case_reference": "MON-0001", "facts": facts}
    if age is not None:
        base["age"] = age
    first = {**base, "monitoring": draw(monitoring())}
    second = {**base, "monitoring": draw(monitoring())}
    return first, second, on


def test_every_family_is_covered() -> None:
    """The property below runs over every registered version of every family."""
    assert {pv.family for pv in VERSIONS} == set(REGISTRY.families())
    assert len(REGISTRY.families()) >= 5


@pytest.mark.parametrize("pv", VERSIONS, ids=[f"{pv.family}/{pv.version}" for pv in VERSIONS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_changing_only_monitoring_never_changes_a_byte(pv: PolicyVersion,
                                                        data: st.DataObject) -> None:
    first, second, on = data.draw(case_pair(pv))
    outcomes: list[tuple[str, bytes | str]] = []
    for case in (first, second):
        try:
            subject, decision = decide(pv.family, case, on, pv.version, registry=REGISTRY)
        except DecisionEngineError as exc:  # a refused case is refused the same way
            outcomes.append(("error", f"{type(exc).__name__}: {exc}"))
            continue
        assert dict(subject.monitoring) == case["monitoring"]  # recorded beside the case
        outcomes.append(("decision", decision.canonical_json()))
    assert outcomes[0] == outcomes[1]
    # and the rule inputs never hold monitoring data
    facts = case_facts(parse_case(first), on)
    assert facts == case_facts(parse_case(second), on)


def test_the_property_is_not_vacuous() -> None:
    """A change to a fact (not monitoring) does change the bytes, so the comparison above
    could fail: the same case with a different age decides differently somewhere."""
    case = {"case_reference": "MON-0002", "age": 15,
            "facts": {"offence": "robbery", "sufficient_evidence": True,
                      "admission": "no_comment"}}
    on = dt.date(2024, 5, 1)
    _, a = decide("gravity-matrix", case, on, registry=REGISTRY)
    _, b = decide("gravity-matrix", {**case, "age": 12}, on, registry=REGISTRY)
    _, c = decide("gravity-matrix", {**case, "monitoring": {"ethnicity": "black"}}, on,
                  registry=REGISTRY)
    assert a.canonical_json() != b.canonical_json()
    assert a.canonical_json() == c.canonical_json()
