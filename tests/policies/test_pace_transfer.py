"""PACE s.38(6) transfers, tied to shared/domain/pace-transfer.md: §1 the duty and its two
exceptions, §1.1 serious harm (violent or sexual offences), §1.3 the s.38(7) certificate,
§1.4 the local authority's duty, §2 17-year-olds from 26 October 2015, §3 grounds that
never make a transfer impracticable, §4 the Concordat."""

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

FAMILY = "pace-transfer"
BEFORE = dt.date(2014, 6, 1)
AFTER = dt.date(2018, 6, 1)
# every registered version, each run by name on a day it is in force (cjca-2015-r2, issue
# 9, supersedes cjca-2015 on the same dates)
DAYS = {"pre-cjca-2015": BEFORE, "cjca-2015": AFTER, "cjca-2015-r2": AFTER}
VERSIONS = list(DAYS)
NOTE_16D = ["behaviour", "offence_nature", "no_secure_bed", "time_of_day"]
REPORT_OUTPUTS = {"accommodation_requested", "accommodation_achieved", "certificate_limb"}
SECURE = {"transfer_secure", "certify_no_secure_accommodation"}
INVALID_GROUNDS = ["behaviour", "offence_nature", "no_secure_bed", "time_of_day",
                   "local_authority_refused", "inconvenience"]
VALID_GROUNDS = ["extreme_weather_or_major_incident", "court_hearing_imminent"]


def facts(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"age": 15, "charged": True, "bail_refused": True,
                            "violent_or_sexual_offence": False, "serious_harm_test_met": False}
    base.update(over)
    return base


def pt(on: dt.date = AFTER, engine: str = "durable", version: str | None = None,
       **over: Any) -> Any:
    return run(FAMILY, facts(**over), on, version, engine=engine)


# --- examples tied to the notes ---------------------------------------------------------

@pytest.mark.parametrize(("on", "version", "outcome"), [
    (dt.date(2015, 10, 25), "pre-cjca-2015", "not_applicable"),
    (dt.date(2015, 10, 26), "cjca-2015", "transfer_non_secure"),
])
def test_seventeen_year_olds_came_within_the_duty_on_26_october_2015(
        on: dt.date, version: str, outcome: str) -> None:
    """§2: before 26 Oct 2015 a 17-year-old was not an arrested juvenile."""
    d = pt(on, age=17)
    assert d.policy.version == REGISTRY.current(FAMILY, version)
    assert d.outcome == outcome
    if outcome == "not_applicable":
        assert "held_in_police_detention_until_court" in d.flags
        assert reason(d, "seventeen-year-old-not-arrested-juvenile").source.document == "S39"
    else:
        assert d.outputs["move_to_local_authority"] is True
        assert "arrested_juvenile_aged_17" in d.flags


def test_a_sixteen_year_old_was_covered_before_2015() -> None:
    d = pt(BEFORE, age=16)
    assert d.outcome == "transfer_non_secure"
    assert d.outputs["accommodation"] == "non_secure"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("over", "rule"), [
    ({"charged": False}, "not-charged"),
    ({"bail_refused": False}, "bail-not-refused"),
])
def test_no_duty_without_charge_and_refusal_of_bail(version: str, over: dict[str, Any],
                                                    rule: str) -> None:
    """§1 trigger: charged, bail refused, detention authorised under s.38(1)."""
    d = pt(DAYS[version], version=version, **over)
    assert d.outcome == "not_applicable"
    assert rule in fired(d)
    assert d.outputs["move_to_local_authority"] is False


@pytest.mark.parametrize("version", VERSIONS)
def test_default_is_a_move_to_non_secure_accommodation(version: str) -> None:
    """§1 and §4.1 principle 2: default = transfer; non-transfer needs a certificate."""
    d = pt(DAYS[version], version=version)
    assert d.outcome == "transfer_non_secure"
    expected = {"move_to_local_authority": True, "accommodation": "non_secure",
                "certificate": "none", "certificate_must_state": ""}
    if set(d.outputs) >= REPORT_OUTPUTS:  # from cjca-2015-r2 (issue 9 item 11)
        expected |= {"accommodation_requested": "not_recorded",
                     "accommodation_achieved": "not_recorded", "certificate_limb": "none"}
    assert d.outputs == expected
    assert reason(d, "transfer-duty").source.section == "s.38(6)"


@pytest.mark.parametrize("version", VERSIONS)
def test_secure_when_12_plus_violent_or_sexual_and_serious_harm(version: str) -> None:
    """§1 limb (b), §1.1, §4.1 principle 3."""
    d = pt(DAYS[version], version=version,
           violent_or_sexual_offence=True, serious_harm_test_met=True)
    assert d.outcome == "transfer_secure"
    assert d.outputs["accommodation"] == "secure"
    assert {"ask_la_for_secure_bed", "record_secure_justification"} <= set(d.flags)
    with_bed = pt(DAYS[version], version=version,
                  violent_or_sexual_offence=True, serious_harm_test_met=True,
                  secure_bed_available=True)
    assert with_bed.outcome == "transfer_secure"
    assert "ask_la_for_secure_bed" not in with_bed.flags


@pytest.mark.parametrize("version", VERSIONS)
def test_no_secure_bed_certificate_and_what_it_must_state(version: str) -> None:
    """§1 exception (b) and §1.3: the certificate goes to the court at first appearance."""
    d = pt(DAYS[version], version=version,
           violent_or_sexual_offence=True, serious_harm_test_met=True,
           secure_bed_available=False)
    assert d.outcome == "certify_no_secure_accommodation"
    assert d.outputs["certificate"] == "s.38(6)(b)"
    assert d.outputs["move_to_local_authority"] is False
    assert "no secure accommodation is available" in d.outputs["certificate_must_state"]
    assert {"certificate_for_court", "check_non_secure_considered"} <= set(d.flags)


@pytest.mark.parametrize("version", VERSIONS)
def test_under_12_never_secure_even_when_serious_harm_is_claimed(version: str) -> None:
    """§1: exception (b) and secure accommodation are for children aged 12 or over."""
    d = pt(DAYS[version], version=version,
           age=11, violent_or_sexual_offence=True, serious_harm_test_met=True,
           secure_bed_available=False)
    assert d.outcome == "transfer_non_secure"
    assert d.outcomes["transfer_secure"].blocked_by == ["secure-not-under-12"]
    assert d.outcomes["certify_no_secure_accommodation"].blocked_by == ["secure-not-under-12"]
    assert "aged 12 or over" in reason(d, "secure-not-under-12").text


@pytest.mark.parametrize("version", VERSIONS)
def test_serious_harm_on_a_charge_neither_violent_nor_sexual_goes_to_legal_review(
        version: str) -> None:
    """§1.1 engine rule: flag other offences for legal review rather than reject silently."""
    d = pt(DAYS[version], version=version, serious_harm_test_met=True, secure_bed_available=False)
    assert d.outcome == "transfer_non_secure"
    assert "legal_review_serious_harm_limb" in d.flags
    assert any("serious-harm-needs-violent-or-sexual-offence" in w for w in d.warnings)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("ground", INVALID_GROUNDS)
def test_grounds_that_never_make_a_transfer_impracticable_are_rejected(
        version: str, ground: str) -> None:
    """§3: behaviour, offence, no secure bed, LA refusal, time of day, inconvenience."""
    d = pt(DAYS[version], version=version, impracticability_grounds=[ground])
    assert d.outcome == "transfer_non_secure"
    assert f"ground_rejected_{ground}" in d.flags
    assert reason(d, f"ground-rejected-{ground.replace('_', '-')}").text.startswith(
        "Rejected ground")
    assert not d.outputs["certificate"].startswith("s.38")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("ground", VALID_GROUNDS)
def test_impracticable_only_for_exceptional_circumstances(version: str, ground: str) -> None:
    """§3: extreme weather / major incident, or an imminent court hearing (Code C 16D,
    paraphrased and unverified, so the decision warns)."""
    d = pt(DAYS[version], version=version, impracticability_grounds=[ground, "behaviour"])
    assert d.outcome == "certify_impracticable"
    assert d.outputs["certificate"] == "s.38(6)(a)"
    assert {f"certificate_circumstance_{ground}", "certificate_for_court",
            "ground_rejected_behaviour"} <= set(d.flags)
    assert d.warnings


def test_la_refusal_is_recorded_and_reimbursement_follows_the_concordat() -> None:
    """§1.4: the LA must accommodate; §4.1 principle 6 (from October 2017)."""
    before = pt(dt.date(2016, 6, 1), la_response="refused")
    assert before.outcome == "transfer_non_secure"
    assert "local_authority_failed_to_accommodate" in before.flags
    assert "reimbursement_claim" not in before.flags
    after = pt(dt.date(2018, 6, 1), la_response="no_response")
    assert {"local_authority_failed_to_accommodate", "reimbursement_claim"} <= set(after.flags)
    assert any("concordat_from" in w for w in after.warnings)
    assert not any("concordat_from" in w for w in pt(AFTER).warnings)


def test_local_authority_not_yet_contacted() -> None:
    assert "contact_local_authority_now" in pt(la_response="not_contacted").flags


@pytest.mark.parametrize(("name", "on", "outcome"), [
    ("seventeen-year-old.json", dt.date(2014, 6, 1), "not_applicable"),
    ("seventeen-year-old.json", dt.date(2016, 6, 1), "transfer_non_secure"),
    ("secure-no-bed.json", dt.date(2018, 6, 1), "certify_no_secure_accommodation"),
    ("under-12-serious-harm.json", dt.date(2019, 3, 1), "transfer_non_secure"),
    ("impracticable-extreme-weather.json", dt.date(2019, 3, 1), "certify_impracticable"),
])
def test_examples(name: str, on: dt.date, outcome: str) -> None:
    d = decide_example(FAMILY, name, on)
    assert d.outcome == outcome
    assert d.canonical_json() == decide_example(FAMILY, name, on, "fast").canonical_json()


def test_every_example_is_covered() -> None:
    assert set(example_names(FAMILY)) == {
        "seventeen-year-old.json", "secure-no-bed.json", "under-12-serious-harm.json",
        "impracticable-extreme-weather.json"}


# --- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("over", "field"), [
    ({"charged": None}, "facts.charged"),
    ({"serious_harm_test_met": None}, "facts.serious_harm_test_met"),
    ({"impracticability_grounds": ["weekend"]}, "facts.impracticability_grounds"),
    ({"la_response": "maybe"}, "facts.la_response"),
    ({"bail_refused": "yes"}, "facts.bail_refused"),
])
def test_bad_facts_name_the_field(version: str, over: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        pt(DAYS[version], version=version, **over)
    assert err.value.field == field


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("age", [9, 18])
def test_age_outside_10_to_17_is_refused(version: str, age: int) -> None:
    case = {"case_reference": "T-1", "age": age,
            "facts": {k: v for k, v in facts().items() if k != "age"}}
    with pytest.raises(InputError) as err:
        decide(FAMILY, case, DAYS[version], registry=REGISTRY)
    assert err.value.field == "age"
    with pytest.raises(InputError) as err:
        run(FAMILY, facts(age=age), DAYS[version], version)
    assert err.value.field == "facts.age"


# --- properties ---------------------------------------------------------------------

def cases(version: str) -> st.SearchStrategy[dict[str, Any]]:
    return facts_for(policy(FAMILY, version))


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_never_secure_under_12_or_without_the_serious_harm_test(
        version: str, data: st.DataObject) -> None:
    """§1, §1.1, §4.1 principle 3: never a secure request (or the no-secure certificate)
    for a child under 12, without the serious-harm test, or on a charge that is neither
    violent nor sexual."""
    d = run(FAMILY, data.draw(cases(version)), DAYS[version], version)
    facts_ = d.input
    if (facts_["age"] < 12 or not facts_["serious_harm_test_met"]
            or not facts_["violent_or_sexual_offence"]):
        assert d.outcome not in SECURE
        assert d.outputs["accommodation"] != "secure"
        assert d.outputs["certificate"] != "s.38(6)(b)"


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_invalid_grounds_never_change_the_result(version: str, data: st.DataObject) -> None:
    """§3: adding grounds that never make a transfer impracticable changes nothing but
    the flags and reasons."""
    facts_ = data.draw(cases(version))
    extra = data.draw(st.lists(st.sampled_from(INVALID_GROUNDS), unique=True, min_size=1))
    more = {**facts_, "impracticability_grounds": sorted(
        {*facts_.get("impracticability_grounds", []), *extra})}
    before = run(FAMILY, facts_, DAYS[version], version)
    after = run(FAMILY, more, DAYS[version], version)
    assert after.outcome == before.outcome
    assert after.outputs == before.outputs


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_child_charged_and_refused_bail_is_moved_or_certified(
        version: str, data: st.DataObject) -> None:
    """§1 and §4.1 principle 2: the only alternatives to a move are the two certificates."""
    facts_ = {**data.draw(cases(version)), "charged": True, "bail_refused": True}
    d = run(FAMILY, facts_, DAYS[version], version)
    if facts_["age"] == 17 and version == "pre-cjca-2015":
        assert d.outcome == "not_applicable"
    elif d.outputs["move_to_local_authority"]:
        assert d.outputs["certificate"] == "none"
    else:
        assert d.outputs["certificate"] in {"s.38(6)(a)", "s.38(6)(b)"}
        assert "certificate_for_court" in d.flags


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_durable_rules_and_fast_evaluator_agree_byte_for_byte(
        version: str, data: st.DataObject) -> None:
    facts_ = data.draw(cases(version))
    on = data.draw(st.sampled_from([DAYS[version], dt.date(2016, 1, 1)])
                   if version.startswith("cjca-2015") else st.just(DAYS[version]))
    assert (run(FAMILY, facts_, on, version).canonical_json()
            == run(FAMILY, facts_, on, version, "fast").canonical_json())


# --- cjca-2015-r2 (issue 9): Code C Note 16D as quoted in MoJ FOI 81747; report outputs ---

@pytest.mark.parametrize("ground", NOTE_16D)
def test_note_16d_grounds_cite_the_foi_quotation_and_are_verified(ground: str) -> None:
    d = pt(AFTER, version="cjca-2015-r2", impracticability_grounds=[ground])
    assert d.policy.version == "cjca-2015-r2"
    r = reason(d, f"ground-rejected-{ground.replace('_', '-')}")
    assert r.source.document == "FOI81747" and "Note 16D" in r.source.section
    assert not d.warnings  # the rule is verified; nothing else here rests on unverified data
    old = pt(AFTER, version="cjca-2015", impracticability_grounds=[ground])
    assert any(f"ground-rejected-{ground.replace('_', '-')}" in w for w in old.warnings)


@pytest.mark.parametrize("ground", VALID_GROUNDS)
def test_grounds_not_in_note_16d_stay_unverified(ground: str) -> None:
    d = pt(AFTER, version="cjca-2015-r2", impracticability_grounds=[ground])
    rule = f"ground-{ground.replace('_', '-')}"
    assert reason(d, rule).source.document == "S53"
    assert "not in Code C Note 16D as quoted in MoJ FOI 81747" in reason(d, rule).source.section
    assert any(rule in w for w in d.warnings)


@pytest.mark.parametrize(("over", "outcome", "requested", "achieved", "limb"), [
    ({"la_response": "accepted"}, "transfer_non_secure", "yes", "yes", "none"),
    ({"la_response": "refused"}, "transfer_non_secure", "yes", "no", "none"),
    ({"la_response": "not_contacted"}, "transfer_non_secure", "no", "pending", "none"),
    ({}, "transfer_non_secure", "not_recorded", "not_recorded", "none"),
    ({"age": 14, "violent_or_sexual_offence": True, "serious_harm_test_met": True,
      "secure_bed_available": True, "la_response": "accepted"},
     "transfer_secure", "yes", "yes", "none"),
    ({"violent_or_sexual_offence": True, "serious_harm_test_met": True,
      "secure_bed_available": False, "la_response": "no_response"},
     "certify_no_secure_accommodation", "yes", "no", "b"),
    ({"impracticability_grounds": ["court_hearing_imminent"], "la_response": "accepted"},
     "certify_impracticable", "yes", "no", "a"),
    ({"bail_refused": False, "la_response": "accepted"},
     "not_applicable", "not_applicable", "not_applicable", "none"),
])
def test_each_decision_carries_what_the_quarterly_pace_report_needs(
        over: dict[str, Any], outcome: str, requested: str, achieved: str,
        limb: str) -> None:
    """Issue 9 item 11: request made, accommodation achieved, limb of any certificate."""
    for engine in ("durable", "fast"):
        d = pt(AFTER, engine, version="cjca-2015-r2", **over)
        assert d.outcome == outcome
        assert (d.outputs["accommodation_requested"], d.outputs["accommodation_achieved"],
                d.outputs["certificate_limb"]) == (requested, achieved, limb)
        limb_of = {"s.38(6)(a)": "a", "s.38(6)(b)": "b", "none": "none"}
        assert limb_of[d.outputs["certificate"]] == limb
