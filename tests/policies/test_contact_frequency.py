"""Intervention level and contact frequency, tied to shared/domain/contact-frequency.md:
§1.2 Asset bands, §1.4 the highest level any dimension points to, §1.5 contact minimums
(unverified), §2 ISS hours by phase, §4.2 the 2019 standards, §5 local settings."""

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
    policy,
    reason,
    run,
)
from tests.strategies import facts_for

FAMILY = "contact-frequency"
# every registered version, each run by name on a day it is in force; the r2 (issue 9
# item 8) on a day after the Coventry inspection was published, when its flag can fire
DAYS = {"scaled-approach-2009": dt.date(2012, 5, 10),
        "national-standards-2019": dt.date(2022, 5, 10),
        "national-standards-2019-r2": dt.date(2024, 5, 10)}
VERSIONS = list(DAYS)
LEVELS = ["standard", "enhanced", "intensive"]
LOR = ["low", "medium", "high"]
RISK = ["low", "medium", "high", "very_high"]


def facts(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"age": 15, "likelihood_of_reoffending": "low",
                            "risk_of_serious_harm": "low", "safety_and_wellbeing": "low",
                            "months_since_start": 0}
    base.update(over)
    return base


def cf(version: str = "scaled-approach-2009", engine: str = "durable", **over: Any) -> Any:
    return run(FAMILY, facts(**over), DAYS[version], version, engine=engine)


# --- examples tied to the notes ---------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("over", "level", "contacts"), [
    ({}, "standard", 2),                                           # all low
    ({"risk_of_serious_harm": "medium"}, "enhanced", 4),           # medium RoSH
    ({"likelihood_of_reoffending": "medium"}, "enhanced", 4),      # medium LoR
    ({"likelihood_of_reoffending": "high"}, "intensive", 12),      # high LoR
    ({"risk_of_serious_harm": "very_high"}, "intensive", 12),      # very high RoSH
    ({"safety_and_wellbeing": "high"}, "intensive", 12),           # S&W (mapping inferred)
    ({"likelihood_of_reoffending": "medium", "risk_of_serious_harm": "high"}, "intensive", 12),
])
def test_level_is_the_highest_any_dimension_points_to(version: str, over: dict[str, Any],
                                                      level: str, contacts: int) -> None:
    """§1.4: take the highest level either dimension points to; §1.5: 2 / 4 / 12 a month."""
    d = cf(version, **over)
    assert d.outcome == level
    assert d.outputs["level"] == level
    assert d.outputs["min_contacts_per_month"] == contacts
    assert reason(d, f"assessed-{level}").text.endswith(f"the highest is {level}.")


@pytest.mark.parametrize("version", VERSIONS)
def test_contact_minimums_and_mapping_are_unverified_so_every_decision_warns(
        version: str) -> None:
    """§1.5 'NOT verified' and §5: contact figures and the level table are local settings."""
    d = cf(version)
    assert any("table 'min_contacts', row 'standard'" in w for w in d.warnings)
    assert any("row 'low'" in w and "lor_levels" in w for w in d.warnings)
    assert any(w.startswith("rests on rule 'assessed-standard'") for w in d.warnings)
    rows = {p.name: p.verified for p in d.provenance if p.kind == "row"}
    assert rows["min_contacts/standard"] is False


@pytest.mark.parametrize(("score", "band", "level"), [
    (0, "low", "standard"), (14, "low", "standard"), (15, "medium", "enhanced"),
    (32, "medium", "enhanced"), (33, "high", "intensive"), (64, "high", "intensive"),
])
def test_asset_score_bands_set_the_likelihood_of_reoffending(score: int, band: str,
                                                              level: str) -> None:
    """§1.2: February 2009 bands 0-14 / 15-32 / 33-64 (final-version status unverified)."""
    d = cf(asset_score=score, likelihood_of_reoffending=band)
    assert d.derived["lor_band"] == band
    assert d.outcome == level
    assert "lor_band_from_asset_score" in d.flags
    assert "lor_rating_differs_from_asset_band" not in d.flags
    assert any("lor_low_max" in w for w in d.warnings)


def test_asset_band_wins_over_a_different_recorded_rating_and_is_flagged() -> None:
    d = cf(asset_score=40, likelihood_of_reoffending="low")
    assert d.outcome == "intensive"
    assert "lor_rating_differs_from_asset_band" in d.flags
    assert "(low) differs from the Asset score band (high)" in reason(
        d, "lor-band-differs-from-rating").text


def test_asset_score_is_not_an_input_of_the_2019_standards() -> None:
    """§4.1: after AssetPlus there is no single numeric LoR band."""
    with pytest.raises(InputError) as err:
        cf("national-standards-2019", asset_score=20)
    assert err.value.field == "facts.asset_score"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("assessed", "override", "direction"), [
    ({"likelihood_of_reoffending": "high"}, "enhanced", "down"),
    ({}, "intensive", "up"),
    ({"risk_of_serious_harm": "medium"}, "standard", "down"),
])
def test_professional_override_with_rationale_moves_the_level(
        version: str, assessed: dict[str, Any], override: str, direction: str) -> None:
    """§1.1/§1.4: professional judgement moves the level up or down with recorded reasons."""
    d = cf(version, override_level=override, override_rationale_recorded=True, **assessed)
    assert d.outcome == override
    assert d.outputs["override"] == direction
    assert "professional_override" in d.flags
    assert f"moves the level {direction}" in reason(d, f"override-to-{override}").text


@pytest.mark.parametrize("version", VERSIONS)
def test_override_without_recorded_rationale_is_not_applied(version: str) -> None:
    d = cf(version, likelihood_of_reoffending="high", override_level="standard")
    assert d.outcome == "intensive"
    assert d.outputs["override"] == "not_applied"
    assert "override_rationale_missing" in d.flags
    same = cf(version, override_level="standard", override_rationale_recorded=True)
    assert same.outcome == "standard" and same.outputs["override"] == "same"
    assert "professional_override" not in same.flags


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("month", "hours", "flag"), [
    (0, 25, "iss_hours_apply"), (2, 25, "iss_hours_apply"), (3, 5, "iss_weekend_support"),
    (5, 5, "iss_weekend_support"), (6, 0, "iss_programme_completed"),
])
def test_iss_hours_by_phase(version: str, month: int, hours: int, flag: str) -> None:
    """§2: 25 h/week for 3 months, then at least 5 h/week plus weekend support for 3 months,
    then ordinary supervision."""
    d = cf(version, likelihood_of_reoffending="high", iss=True, months_since_start=month)
    assert d.outputs["iss_hours_per_week"] == hours
    assert flag in d.flags
    assert cf(version, months_since_start=month).outputs["iss_hours_per_week"] == 0


@pytest.mark.parametrize(("month", "phase", "in_months", "by"), [
    (0, "first_3_months", 3, "2012-08-10"),
    (2, "first_3_months", 1, "2012-06-10"),
    (3, "after_3_months", 3, "2012-08-10"),
    (20, "after_3_months", 3, "2012-08-10"),
])
def test_phase_and_next_review_point(month: int, phase: str, in_months: int, by: str) -> None:
    """§1.5 and §5: phase boundary after 3 months; review at the phase change or at the
    review interval, whichever comes first (both unverified local settings)."""
    d = cf(months_since_start=month)
    assert d.outputs["phase"] == phase
    assert d.outputs["next_review_in_months"] == in_months
    assert d.outputs["next_review_by"] == by


def test_very_high_risk_of_serious_harm_needs_immediate_action() -> None:
    """§1.3: very high RoSH: imminent; immediate action, multi-agency monitoring."""
    assert "immediate_multi_agency_action" in cf(risk_of_serious_harm="very_high").flags


@pytest.mark.parametrize(("on", "version"), [
    (dt.date(2009, 11, 30), "scaled-approach-2009"),
    (dt.date(2019, 3, 31), "scaled-approach-2009"),
    (dt.date(2019, 4, 1), "national-standards-2019"),
])
def test_version_in_force_by_date(on: dt.date, version: str) -> None:
    """§1.1: live 30 November 2009; §4.2: 2019 standards in force 1 April 2019."""
    assert run(FAMILY, facts(), on).policy.version == REGISTRY.current(FAMILY, version)


@pytest.mark.parametrize(("name", "on", "level"), [
    ("asset-score-medium-rosh-high.json", dt.date(2012, 5, 10), "intensive"),
    ("iss-step-down.json", dt.date(2016, 1, 10), "intensive"),
    ("standards-2019-override-down.json", dt.date(2022, 1, 10), "enhanced"),
])
def test_examples(name: str, on: dt.date, level: str) -> None:
    d = decide_example(FAMILY, name, on)
    assert d.outcome == level
    assert d.canonical_json() == decide_example(FAMILY, name, on, "fast").canonical_json()


def test_every_example_is_covered() -> None:
    assert set(example_names(FAMILY)) == {
        "asset-score-medium-rosh-high.json", "iss-step-down.json",
        "standards-2019-override-down.json"}


# --- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("over", "field"), [
    ({"risk_of_serious_harm": None}, "facts.risk_of_serious_harm"),
    ({"months_since_start": None}, "facts.months_since_start"),
    ({"risk_of_serious_harm": "extreme"}, "facts.risk_of_serious_harm"),
    ({"override_level": "maximum"}, "facts.override_level"),
    ({"months_since_start": 37}, "facts.months_since_start"),
])
def test_bad_facts_name_the_field(version: str, over: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        cf(version, **over)
    assert err.value.field == field


def test_asset_score_outside_0_to_64_is_refused() -> None:
    with pytest.raises(InputError) as err:
        cf(asset_score=65)
    assert err.value.field == "facts.asset_score"


@pytest.mark.parametrize("age", [9, 18])
def test_age_outside_10_to_17_is_refused(age: int) -> None:
    case = {"case_reference": "T-1", "age": age,
            "facts": {k: v for k, v in facts().items() if k != "age"}}
    with pytest.raises(InputError) as err:
        decide(FAMILY, case, DAYS["national-standards-2019"], registry=REGISTRY)
    assert err.value.field == "age"


# --- properties ---------------------------------------------------------------------

def cases(version: str) -> st.SearchStrategy[dict[str, Any]]:
    return facts_for(policy(FAMILY, version))


def higher(values: list[str], current: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values[values.index(current):])


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_higher_assessed_risk_never_lowers_the_required_contacts(
        version: str, data: st.DataObject) -> None:
    base = data.draw(cases(version))
    base.pop("override_level", None)
    base.pop("asset_score", None)
    raised = {
        **base,
        "likelihood_of_reoffending": data.draw(higher(LOR, base["likelihood_of_reoffending"])),
        "risk_of_serious_harm": data.draw(higher(RISK, base["risk_of_serious_harm"])),
        "safety_and_wellbeing": data.draw(higher(RISK, base["safety_and_wellbeing"])),
    }
    before = run(FAMILY, base, DAYS[version], version)
    after = run(FAMILY, raised, DAYS[version], version)
    assert LEVELS.index(after.outcome) >= LEVELS.index(before.outcome)
    for key in ("min_contacts_per_month", "min_contacts_first_3_months",
                "min_contacts_after_3_months"):
        assert after.outputs[key] >= before.outputs[key]


@settings(max_examples=150, deadline=None)
@given(facts_=cases("scaled-approach-2009"), data=st.data())
def test_higher_asset_score_never_lowers_the_required_contacts(
        facts_: dict[str, Any], data: st.DataObject) -> None:
    facts_.pop("override_level", None)
    score = data.draw(st.integers(0, 64))
    more = data.draw(st.integers(score, 64))
    low = run(FAMILY, {**facts_, "asset_score": score}, DAYS["scaled-approach-2009"])
    high = run(FAMILY, {**facts_, "asset_score": more}, DAYS["scaled-approach-2009"])
    assert high.outputs["min_contacts_per_month"] >= low.outputs["min_contacts_per_month"]


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_recorded_override_always_sets_the_level(version: str, data: st.DataObject) -> None:
    facts_ = data.draw(cases(version))
    level = data.draw(st.sampled_from(LEVELS))
    d = run(FAMILY, {**facts_, "override_level": level, "override_rationale_recorded": True},
            DAYS[version], version)
    assert d.outcome == level
    assert d.outputs["override"] in {"up", "down", "same"}


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_durable_rules_and_fast_evaluator_agree_byte_for_byte(
        version: str, data: st.DataObject) -> None:
    facts_ = data.draw(cases(version))
    on = DAYS[version]
    assert (run(FAMILY, facts_, on, version).canonical_json()
            == run(FAMILY, facts_, on, version, "fast").canonical_json())


# --- national-standards-2019-r2 (issue 9 item 8): dual high risk -------------------------

@pytest.mark.parametrize(("wellbeing", "rosh", "on", "flagged"), [
    ("high", "high", dt.date(2024, 5, 10), True),
    ("very_high", "high", dt.date(2024, 5, 10), True),
    ("high", "very_high", dt.date(2024, 5, 10), True),
    ("medium", "very_high", dt.date(2024, 5, 10), False),
    ("high", "medium", dt.date(2024, 5, 10), False),
    ("high", "high", dt.date(2023, 2, 20), False),  # before the inspection was published
    ("high", "high", dt.date(2023, 2, 21), True),
])
def test_dual_high_risk_asks_for_management_oversight(wellbeing: str, rosh: str, on: dt.date,
                                                      flagged: bool) -> None:
    """HMI Probation, Coventry (Feb 2023), recommendation 5: management oversight where
    both the risk to safety and wellbeing and the risk of serious harm are high."""
    for engine in ("durable", "fast"):
        d = run(FAMILY, facts(safety_and_wellbeing=wellbeing, risk_of_serious_harm=rosh),
                on, "national-standards-2019-r2", engine=engine)
        assert ("management_oversight_dual_high_risk" in d.flags) is flagged
        dated = any("dual_high_risk_oversight_from" in w for w in d.warnings)
        both_high = {wellbeing, rosh} <= {"high", "very_high"}
        assert dated is both_high  # only decisions resting on the start date say so
        if flagged:
            r = reason(d, "dual-high-risk-management-oversight")
            assert r.source.document == "SEED-003" and "recommendation 5" in r.source.section
            assert any("dual-high-risk-management-oversight" in w for w in d.warnings)
    # the superseded version, named as replay names it, never raises the flag
    old = run(FAMILY, facts(safety_and_wellbeing="high", risk_of_serious_harm="high"),
              dt.date(2024, 5, 10), "national-standards-2019")
    assert "management_oversight_dual_high_risk" not in old.flags
