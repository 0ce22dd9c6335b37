"""Enhanced Case Management Pathway eligibility (Coventry 2020), tied to
shared/domain/enhanced-case-management.md §1.2 (criteria E1-E3) and §5 (open questions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.engine import decide
from decision_engine.errors import InputError
from tests.policies.support import (
    REGISTRY,
    decide_example,
    example_names,
    fired,
    policy,
    reason,
    run,
)
from tests.strategies import facts_for

FAMILY = "enhanced-case-management"
ON = dt.date(2020, 7, 1)
ECM = policy(FAMILY, "coventry-2020")
DISPOSALS = ECM.inputs["offences"].items["disposal"].values  # type: ignore[index]


def offence(oid: str, date: str, disposal: str = "conviction") -> dict[str, str]:
    return {"id": oid, "date": date, "disposal": disposal}


def facts(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "age": 15,
        "offences": [offence("A", "2019-09-01"), offence("B", "2020-01-15"),
                     offence("C", "2020-06-30")],
        "complexity": ["multiple_aces"],
        "current_intervention": "youth_rehabilitation_order",
    }
    base.update(over)
    return base


def ecm(on: dt.date = ON, engine: str = "durable", **over: Any) -> Any:
    return run(FAMILY, facts(**over), on, engine=engine)


# --- examples tied to the notes ---------------------------------------------------------

def test_all_three_criteria_met_is_eligible() -> None:
    """§1.2: E1 (3 offences in 12 months), E2 (complexity) and E3 (intervention) all met."""
    d = ecm()
    assert d.outcome == "eligible"
    assert d.outputs["criterion_offences"] == "met"
    assert d.outputs["criterion_complexity"] == "met"
    assert d.outputs["criterion_intervention"] == "met"
    assert d.outputs["offences_in_window"] == ["A", "B", "C"]
    assert d.outputs["offences_in_window_count"] == 3
    assert "refer_to_yos_health_team" in d.flags  # §1.1: health-team oversight
    e1 = reason(d, "e1-offences-met")
    assert "A, B, C" in e1.text and "2019-07-01" in e1.text
    assert e1.source.document == "SEED-001"


def test_window_is_twelve_months_back_from_the_decision_date_inclusive() -> None:
    """§1.2 E1: window 12 months, run back from the decision date (anchor chosen, §5)."""
    inside = ecm(offences=[offence("A", "2019-07-01"), offence("B", "2020-01-15"),
                           offence("C", "2020-07-01")])
    assert inside.outcome == "eligible"
    assert inside.derived["window_start"] == "2019-07-01"
    outside = ecm(offences=[offence("A", "2019-06-30"), offence("B", "2020-01-15"),
                            offence("C", "2020-07-01")])
    assert outside.outcome == "not_eligible"
    assert outside.outputs["offences_in_window"] == ["B", "C"]
    assert outside.derived["offences_not_counted"] == ["A"]
    assert "Not counted: A" in reason(outside, "e1-offences-unmet").text


def test_only_the_counting_disposals_count_and_that_choice_warns() -> None:
    """§1.2 E1 ambiguity ("offences" vs "repeated convictions") and §5 Q1: which disposals
    count is an unverified parameter; by default OOCDs other than cautions do not."""
    d = ecm(offences=[offence("A", "2019-09-01", "community_resolution"),
                      offence("B", "2020-01-15", "outcome_22"),
                      offence("C", "2020-06-30", "youth_caution")])
    assert d.outcome == "not_eligible"
    assert d.outputs["offences_in_window"] == ["C"]
    assert d.outcomes["eligible"].blocked_by == ["e1-offences-unmet"]
    # the unverified counting parameter of the version in force (coventry-2020:
    # counting_disposals; its r2: counting_out_of_court_disposals, issue 9 item 3)
    (name,) = [n for n, p in policy(FAMILY, d.policy.version).parameters.items()
               if n.startswith("counting_") and not p.verified]
    assert any(name in w for w in d.warnings)
    assert any(p.name == name and not p.verified for p in d.provenance)


def test_practitioner_recorded_complexity_is_enough() -> None:
    """§1.2 E2: the indicator list is illustrative; practitioner judgement counts too."""
    d = ecm(complexity=[], practitioner_recorded_complexity=True)
    assert d.outcome == "eligible"
    assert d.outputs["criterion_complexity"] == "met"
    none = ecm(complexity=[])
    assert none.outcome == "not_eligible"
    assert none.outputs["criterion_complexity"] == "unmet"
    assert "e2-complexity-unmet" in fired(none)


def test_one_complexity_indicator_is_enough_but_that_is_unverified() -> None:
    """§1.2 E2: 'one indicator appears to be enough; not stated explicitly [U]'."""
    d = ecm(complexity=["speech_language_communication_needs"])
    assert d.outcome == "eligible"
    assert any("min_complexity_indicators" in w for w in d.warnings)


def test_no_current_intervention_is_not_eligible() -> None:
    """§1.2 E3: currently subject to a YOT intervention."""
    d = ecm(current_intervention="none")
    assert d.outcome == "not_eligible"
    assert d.outputs["criterion_intervention"] == "unmet"
    assert d.outcomes["eligible"].blocked_by == ["e3-intervention-unmet"]
    assert "(none)" in reason(d, "e3-intervention-unmet").text


def test_every_unmet_criterion_is_reported() -> None:
    d = ecm(offences=[], complexity=[], current_intervention="none")
    assert d.outcome == "not_eligible"
    assert {d.outputs[k] for k in ("criterion_offences", "criterion_complexity",
                                   "criterion_intervention")} == {"unmet"}
    assert set(d.outcomes["eligible"].blocked_by) == {
        "e1-offences-unmet", "e2-complexity-unmet", "e3-intervention-unmet"}


def test_offence_dated_after_the_decision_is_flagged_not_counted() -> None:
    d = ecm(offences=[offence("A", "2019-09-01"), offence("B", "2020-01-15"),
                      offence("C", "2020-07-02")])
    assert d.outcome == "not_eligible"
    assert "offence_dated_after_decision" in d.flags
    assert d.derived["offences_not_counted"] == ["C"]


@pytest.mark.parametrize(("name", "on", "outcome"), [
    ("eligible-three-convictions.json", dt.date(2020, 7, 1), "eligible"),
    ("not-eligible-community-resolutions-not-counted.json", dt.date(2020, 7, 1),
     "not_eligible"),
    ("not-eligible-no-current-intervention.json", dt.date(2021, 12, 1), "not_eligible"),
])
def test_examples(name: str, on: dt.date, outcome: str) -> None:
    d = decide_example(FAMILY, name, on)
    assert d.outcome == outcome
    assert d.policy.version == REGISTRY.current(FAMILY, "coventry-2020")
    assert d.canonical_json() == decide_example(FAMILY, name, on, "fast").canonical_json()


def test_every_example_is_covered() -> None:
    assert set(example_names(FAMILY)) == {
        "eligible-three-convictions.json",
        "not-eligible-community-resolutions-not-counted.json",
        "not-eligible-no-current-intervention.json"}


# --- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize(("over", "field"), [
    ({"current_intervention": None}, "facts.current_intervention"),
    ({"offences": None}, "facts.offences"),
    ({"current_intervention": "detention"}, "facts.current_intervention"),
    ({"complexity": ["poverty"]}, "facts.complexity"),
    ({"offences": [{"id": "A", "date": "2020-01-01", "disposal": "warning"}]},
     "facts.offences[0].disposal"),
    ({"offences": [{"id": "A", "date": "2020-13-01", "disposal": "conviction"}]},
     "facts.offences[0].date"),
    ({"offences": [{"id": "A", "disposal": "conviction"}]}, "facts.offences[0].date"),
])
def test_bad_facts_name_the_field(over: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        run(FAMILY, facts(**over), ON)
    assert err.value.field == field


@pytest.mark.parametrize("age", [9, 18])
def test_age_outside_10_to_17_is_refused(age: int) -> None:
    case = {"case_reference": "T-1", "age": age, "facts": {k: v for k, v in facts().items()
                                                          if k != "age"}}
    with pytest.raises(InputError) as err:
        decide(FAMILY, case, ON, registry=REGISTRY)
    assert err.value.field == "age"
    assert "between 10 and 17" in str(err.value)


# --- properties ---------------------------------------------------------------------

DAYS = st.dates(dt.date(2020, 4, 1), dt.date(2024, 12, 31))


def offences_near(on: dt.date) -> st.SearchStrategy[list[dict[str, str]]]:
    dates = st.dates(on - dt.timedelta(days=800), on + dt.timedelta(days=30))
    item = st.builds(lambda i, d, k: {"id": f"O{i}", "date": d.isoformat(), "disposal": k},
                     st.integers(0, 999), dates, st.sampled_from(DISPOSALS))
    return st.lists(item, max_size=8)


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, Any], dt.date]:
    on = draw(DAYS)
    base = draw(facts_for(ECM))
    base["offences"] = draw(offences_near(on))
    return base, on


@settings(max_examples=200, deadline=None)
@given(case=cases(), data=st.data())
def test_an_extra_offence_inside_the_window_never_makes_a_child_ineligible(
        case: tuple[dict[str, Any], dt.date], data: st.DataObject) -> None:
    facts_, on = case
    days_back = data.draw(st.integers(0, 360))
    extra = {"id": "EXTRA", "date": (on - dt.timedelta(days=days_back)).isoformat(),
             "disposal": data.draw(st.sampled_from(DISPOSALS))}
    before = run(FAMILY, facts_, on)
    after = run(FAMILY, {**facts_, "offences": [*facts_["offences"], extra]}, on)
    if before.outcome == "eligible":
        assert after.outcome == "eligible"
    assert after.outputs["offences_in_window_count"] >= before.outputs["offences_in_window_count"]


@settings(max_examples=200, deadline=None)
@given(case=cases())
def test_eligible_exactly_when_every_criterion_is_met(
        case: tuple[dict[str, Any], dt.date]) -> None:
    facts_, on = case
    d = run(FAMILY, facts_, on)
    criteria = [d.outputs[k] for k in ("criterion_offences", "criterion_complexity",
                                       "criterion_intervention")]
    assert (d.outcome == "eligible") == (criteria == ["met", "met", "met"])
    assert d.outputs["offences_in_window_count"] == len(d.outputs["offences_in_window"])
    window = set(d.outputs["offences_in_window"]) | set(d.derived["offences_not_counted"])
    assert window == {o["id"] for o in facts_["offences"]}


@settings(max_examples=150, deadline=None)
@given(case=cases())
def test_durable_rules_and_fast_evaluator_agree_byte_for_byte(
        case: tuple[dict[str, Any], dt.date]) -> None:
    facts_, on = case
    assert (run(FAMILY, facts_, on).canonical_json()
            == run(FAMILY, facts_, on, engine="fast").canonical_json())


# --- coventry-2020-r2 (issue 9 item 3) ---------------------------------------------------

def test_r2_is_in_force_from_the_2019_20_plan_and_supersedes_coventry_2020() -> None:
    early = run(FAMILY, facts(offences=[offence("A", "2018-09-01"), offence("B", "2019-01-15"),
                                        offence("C", "2019-05-30")]), dt.date(2019, 6, 1))
    assert early.policy.version == "coventry-2020-r2" and early.outcome == "eligible"
    assert ecm().policy.version == "coventry-2020-r2"
    assert REGISTRY.get(FAMILY, "coventry-2020-r2").entry.supersedes == "coventry-2020"


def test_voluntary_prevention_is_not_a_current_intervention() -> None:
    """Local offer (SEED-000): involved only for the duration of a court order or OOCD."""
    for engine in ("durable", "fast"):
        d = ecm(engine=engine, current_intervention="voluntary_prevention")
        assert d.outcome == "not_eligible"
        assert d.outputs["criterion_intervention"] == "unmet"
        assert "voluntary_prevention_not_counted" in d.flags
        assert reason(d, "e3-voluntary-prevention-not-an-intervention").source.document == \
            "SEED-000"
    old = run(FAMILY, facts(current_intervention="voluntary_prevention"), ON, "coventry-2020")
    assert old.outcome == "eligible"  # the superseded encoding, as replay re-makes it


def test_whether_out_of_court_outcomes_count_is_an_unverified_parameter() -> None:
    cautions = facts(offences=[offence("A", "2019-09-01", "youth_caution"),
                               offence("B", "2020-01-15", "youth_conditional_caution"),
                               offence("C", "2020-06-30")])
    d = run(FAMILY, cautions, ON)
    assert d.outputs["offences_in_window_count"] == 3
    assert any(w.startswith("rests on an unverified parameter: counting_out_of_court_disposals")
               for w in d.warnings)
    assert not any("counting_convictions" in w for w in d.warnings)  # verified
