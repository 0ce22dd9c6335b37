"""Gravity matrix examples, each tied to shared/domain/gravity-matrix.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from decision_engine.engine import decide, evaluate
from decision_engine.errors import InputError
from decision_engine.policy.registry import Registry

NPCC_2023_DAY = dt.date(2024, 5, 1)
ACPO_DAY = dt.date(2018, 5, 1)
NPCC_2025_DAY = dt.date(2025, 6, 1)


def facts(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"offence": "theft_other", "age": 15, "sufficient_evidence": True,
                            "admission": "admitted"}
    base.update(over)
    return base


def gm(registry: Registry, on: dt.date = NPCC_2023_DAY, **over: Any) -> Any:
    return evaluate("gravity-matrix", facts(**over), on, registry=registry)


@pytest.mark.parametrize(("offence", "aggravating", "mitigating", "score", "outcome"), [
    ("harassment_alarm_distress", [], [], 1, "no_further_action"),        # base 1
    ("theft_other", [], [], 2, "community_resolution"),                   # base 2
    ("assault_occasioning_abh", [], [], 3, "youth_caution"),              # base 3
    ("burglary_dwelling", [], [], 4, "youth_conditional_caution"),        # base 4
    ("robbery", [], [], 5, "charge"),                                     # base 5
    ("theft_other", ["premeditated"], [], 3, "youth_caution"),            # +1
    ("theft_other", ["premeditated", "breach_of_trust"], [], 3, "youth_caution"),  # capped +1
    ("theft_other", [], ["provocation"], 1, "no_further_action"),         # -1
    ("robbery", ["premeditated"], [], 5, "charge"),                       # clamped to 5
])
def test_npcc_2023_score_bands(registry: Registry, offence: str, aggravating: list[str],
                               mitigating: list[str], score: int, outcome: str) -> None:
    """§2.2: 1 NFA, 2 informal, 3 YC, 4 YCC, 5 charge; §1.3: adjustment limited to ±1."""
    d = gm(registry, offence=offence, aggravating=aggravating, mitigating=mitigating,
           signed_consent=True)
    assert d.derived["final_score"] == score
    assert d.outcome == outcome
    assert d.indicated == outcome
    band = next(r for r in d.reasons if r.rule.startswith("band-"))
    assert f"Final gravity score {score}" in band.text
    # a revision may make band 1 rest on the parameter band_1_outcome (issue 9, correction
    # 4): then the reason also names it, and the decision warns that it is unverified
    expected: dict[str, Any] = {"final_score": score}
    if score == 1 and "band_1_outcome" in d.derived:
        expected["band_1_outcome"] = d.derived["band_1_outcome"]
        assert any("unverified parameter: band_1_outcome" in w for w in d.warnings)
    assert band.facts == expected
    assert band.source.document == "S1"


def test_no_admission_blocks_both_cautions_but_keeps_other_options(registry: Registry) -> None:
    """§4.1/§4.2: no admission ⇒ no YC/YCC; options that need no admission stay open."""
    d = gm(registry, offence="assault_occasioning_abh", admission="no_comment")
    assert d.indicated == "youth_caution"
    assert d.outcome == "community_resolution"
    assert d.variant == "outcome_22_diversion"
    assert not d.outcomes["youth_caution"].available
    assert d.outcomes["youth_caution"].blocked_by == ["youth-caution-needs-admission"]
    assert not d.outcomes["youth_conditional_caution"].available
    assert d.outcomes["charge"].available and d.outcomes["community_resolution"].available
    assert "youth caution blocked by youth-caution-needs-admission" in d.summary
    gate = next(r for r in d.reasons if r.rule == "youth-caution-needs-admission")
    assert gate.facts == {"admission": "no_comment"}
    assert gate.source.section.startswith("s.66ZA(1)(b)")


def test_conditional_caution_needs_signed_consent(registry: Registry) -> None:
    """§4.2 requirement 5: the child signs consent; without it a YC is the next option."""
    without = gm(registry, offence="burglary_dwelling")
    assert without.outcome == "youth_caution"
    assert without.outcomes["youth_conditional_caution"].blocked_by == [
        "conditional-caution-needs-signed-consent"]
    with_consent = gm(registry, offence="burglary_dwelling", signed_consent=True)
    assert with_consent.outcome == "youth_conditional_caution"
    assert "yot_assessment_required" in with_consent.flags


def test_evidential_test_not_met_means_no_further_action(registry: Registry) -> None:
    d = gm(registry, offence="robbery", sufficient_evidence=False)
    assert d.outcome == "no_further_action"
    for o in ("youth_caution", "youth_conditional_caution", "charge"):
        assert "evidential-test-not-met" in d.outcomes[o].blocked_by


def test_appropriate_adult_flags_follow_the_statutory_ages(registry: Registry) -> None:
    """§4.1: YC under 17 with an appropriate adult; §4.2: YCC explanation for 16 and under."""
    assert "appropriate_adult_required" in gm(registry, offence="assault_occasioning_abh",
                                              age=16).flags
    assert "appropriate_adult_required" not in gm(registry, offence="assault_occasioning_abh",
                                                  age=17).flags
    ycc16 = gm(registry, offence="burglary_dwelling", signed_consent=True, age=16)
    ycc17 = gm(registry, offence="burglary_dwelling", signed_consent=True, age=17)
    assert "appropriate_adult_required" in ycc16.flags
    assert "appropriate_adult_required" not in ycc17.flags


def test_unverified_offence_scores_are_warned(registry: Registry) -> None:
    """§1.5: no offence-level score could be verified, so every decision says so."""
    d = gm(registry, offence="robbery")
    assert any("unverified row" in w and "'robbery'" in w for w in d.warnings)
    row = next(p for p in d.provenance if p.name == "offences/robbery")
    assert row.verified is False
    assert any(p.name == "max_adjustment" and not p.verified for p in d.provenance)


def test_previous_disposals_are_shown_but_never_escalate(registry: Registry) -> None:
    """LASPO removed the escalator (§1.1)."""
    first = gm(registry, previous_disposals=0)
    many = gm(registry, previous_disposals=12)
    assert many.input["previous_disposals"] == 12
    assert (first.outcome, first.reasons) == (many.outcome, many.reasons)


def test_acpo_2013_uses_the_four_point_scale(registry: Registry) -> None:
    d = gm(registry, on=ACPO_DAY, offence="robbery", aggravating=["premeditated"])
    assert d.policy.version == registry.current("gravity-matrix", "acpo-2013")
    assert d.derived["final_score"] == 4
    assert d.outcome == "charge"
    low = gm(registry, on=ACPO_DAY, offence="theft_from_shop")
    assert low.outcome == "community_resolution"
    assert any("band-1-community-resolution" in w for w in low.warnings)


def test_outcome_22_does_not_exist_before_april_2019(registry: Registry) -> None:
    before = gm(registry, on=dt.date(2019, 3, 31), offence="assault_occasioning_abh",
                admission="denied")
    after = gm(registry, on=dt.date(2019, 4, 1), offence="assault_occasioning_abh",
               admission="denied")
    assert before.variant is None and "needs_acceptance_of_responsibility" in before.flags
    assert after.variant == "outcome_22_diversion"


def test_npcc_2025_adds_traffic_cif_and_joint_decision(registry: Registry) -> None:
    """§3: traffic offences, Child Information Form, joint decision making."""
    traffic = gm(registry, on=NPCC_2025_DAY, offence="careless_driving")
    assert traffic.policy.version == registry.current("gravity-matrix", "npcc-2025")
    assert "traffic_oocd_considered" in traffic.flags
    charged = gm(registry, on=NPCC_2025_DAY, offence="robbery", never_charged_before=True)
    assert charged.outcome == "charge"
    assert {"child_information_form_required", "joint_decision_required"} <= set(charged.flags)
    before = gm(registry, on=NPCC_2023_DAY, offence="robbery", never_charged_before=True)
    assert "child_information_form_required" not in before.flags


def test_decide_derives_age_from_date_of_birth(registry: Registry) -> None:
    subject, d = decide("gravity-matrix", {
        "case_reference": "T-1", "date_of_birth": "2008-05-02",
        "facts": {"offence": "theft_other", "sufficient_evidence": True, "admission": "admitted"},
    }, dt.date(2024, 5, 1), registry=registry)
    assert d.input["age"] == 15
    assert subject.case_reference == "T-1"
    assert "T-1" not in d.canonical_json().decode()
    assert "2008-05-02" not in d.canonical_json().decode()


@pytest.mark.parametrize(("case", "field"), [
    ({"age": 9, "facts": facts()}, "age"),
    ({"age": 18, "facts": facts()}, "age"),
    ({"date_of_birth": "2000-01-01", "facts": facts()}, "date_of_birth"),
    ({"age": 15, "facts": {**facts(), "offence": "jaywalking"}}, "facts.offence"),
    ({"age": 15, "facts": {**facts(), "aggravating": ["bad_vibes"]}}, "facts.aggravating"),
    ({"age": 15, "facts": {k: v for k, v in facts().items() if k != "admission"}},
     "facts.admission"),
    ({"age": 15, "facts": {**facts(), "ethnicity": "x"}}, "facts.ethnicity"),
    ({"date_of_birth": "2010-02-30", "facts": facts()}, "date_of_birth"),
    ({"age": 15, "name": "Jo Bloggs", "facts": facts()}, "name"),
])
def test_bad_input_names_the_field(registry: Registry, case: dict[str, Any], field: str) -> None:
    case = {"case_reference": "T-2", **case}
    case["facts"] = {k: v for k, v in case["facts"].items() if k != "age"}
    with pytest.raises(InputError) as err:
        decide("gravity-matrix", case, NPCC_2023_DAY, registry=registry)
    assert err.value.field == field
