"""The court officer's out-of-court pathways check, tied to
shared/domain/oocd-pathways.md §3 (checklist C1-C18 and the result codes) and §4 (the
Child Information Form, mandatory from 1 February 2025, which replaced the first-time
entrant and looked-after checklists), consulting the gravity matrix in force
(gravity-matrix.md §2-4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.engine import decide
from decision_engine.errors import InputError, UnknownPolicyError
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

FAMILY = "oocd-pathways"
ON = dt.date(2025, 6, 1)
PRE_CIF_DAY = dt.date(2024, 9, 1)
AFTER_KNIFE_GUIDANCE = dt.date(2026, 3, 1)
OOCD = policy(FAMILY, "cif-2025")
PRE_CIF = policy(FAMILY, "pre-cif-2023")
ACPO_DAY = dt.date(2023, 3, 1)
ACPO = policy(FAMILY, "acpo-2022")
VERSIONS = {"acpo-2022": ACPO, "pre-cif-2023": PRE_CIF, "cif-2025": OOCD}
VERSION_DAYS = {"acpo-2022": [ACPO_DAY], "pre-cif-2023": [PRE_CIF_DAY],
                "cif-2025": [ON, AFTER_KNIFE_GUIDANCE]}
SEVERITY = OOCD.outcomes
OPTIONS = ["outcome_22_or_23", "community_resolution", "youth_caution",
           "youth_conditional_caution"]


def facts(**over: Any) -> dict[str, Any]:
    """An admitted, band-2 theft by a child with history, everything recorded."""
    base: dict[str, Any] = {
        "offence": "theft_other", "age": 15, "sufficient_evidence": True,
        "admission": "admitted", "never_charged_before": False,
        "considered": ["community_resolution"], "charging_decision_by": "police",
        "joint_decision_recorded": True, "departure_rationale_recorded": True,
        "cif_completed": False, "care_status": "none", "first_time_entrant": False,
    }
    base.update(over)
    return base


def check(on: dt.date = ON, engine: str = "durable", **over: Any) -> Any:
    return run(FAMILY, facts(**over), on, engine=engine)


# --- examples tied to the notes ---------------------------------------------------------

def test_everything_recorded_is_pathways_explored_ok() -> None:
    """§3 PATHWAYS_EXPLORED_OK."""
    d = check()
    assert d.outcome == "pathways_explored_ok"
    assert d.outputs["matrix_points_to"] == "community_resolution"
    assert d.outputs["community_resolution"] == "considered"
    assert d.outputs["youth_caution"] == "open_not_considered"
    assert {"c3_admission", "c5_gravity", "c7_joint_decision"} == set(d.flags)


def test_consults_the_gravity_matrix_in_force_and_carries_its_warnings() -> None:
    """§3 C5: the gravity score under the matrix version in force on the decision date."""
    d = check()
    consulted = [p for p in d.provenance if p.kind == "policy"]
    matrix = f"gravity-matrix@{REGISTRY.current('gravity-matrix', 'npcc-2025')}"
    assert [p.name for p in consulted] == [matrix]
    assert consulted[0].verified is False  # its offence base scores are unverified rows
    assert any(w.startswith(f"{matrix}: rests on an unverified row: table "
                            "'offences', row 'theft_other'") for w in d.warnings)
    assert d.outputs["gravity_score"] == 2
    assert "final gravity score 2" in reason(d, "c5-gravity").text


@pytest.mark.parametrize(("on", "version", "gravity"), [
    (dt.date(2022, 11, 1), "acpo-2022", "acpo-2013"),
    (dt.date(2023, 9, 30), "acpo-2022", "acpo-2013"),
    (dt.date(2023, 10, 1), "pre-cif-2023", "npcc-2023"),
    (dt.date(2025, 1, 31), "pre-cif-2023", "npcc-2023"),
    (dt.date(2025, 2, 1), "cif-2025", "npcc-2025"),
])
def test_version_and_consulted_matrix_by_date(on: dt.date, version: str, gravity: str) -> None:
    """The check and the gravity matrix it consults are both the versions in force."""
    fact_set = facts() if version == "cif-2025" else {
        k: v for k, v in facts().items() if k != "cif_completed"}
    d = run(FAMILY, fact_set, on)
    assert d.policy.version == version
    in_force = REGISTRY.current("gravity-matrix", gravity)  # its current revision (issue 9)
    assert [p.name for p in d.provenance if p.kind == "policy"] == [f"gravity-matrix@{in_force}"]


def test_not_in_force_before_the_inspection_found_the_check() -> None:
    """The check is evidenced from the Coventry inspection's fieldwork (November 2022)."""
    with pytest.raises(UnknownPolicyError, match="2022-10-31"):
        check(dt.date(2022, 10, 31))


def test_acpo_period_asks_the_gravity_questions_of_the_acpo_matrix() -> None:
    """Issue 9 item 9: an admitted ABH scores 3 on the ACPO scale (1-4), which points to a
    youth conditional caution; only a community resolution considered ⇒ C5 missed, and the
    C5 rules resting on the ACPO mapping are unverified, so the decision says so."""
    fact_set = {k: v for k, v in facts(offence="assault_occasioning_abh",
                                       considered=["community_resolution"],
                                       departure_rationale_recorded=False).items()
                if k != "cif_completed"}
    d = run(FAMILY, fact_set, ACPO_DAY)
    assert d.policy.version == "acpo-2022"
    assert d.outcome == "refer_back_police"
    assert {"c5-matrix-outcome-not-considered", "c5-departure-without-rationale"} <= set(
        fired(d))
    assert d.outputs["matrix_points_to"] == "youth_conditional_caution"
    assert "ACPO 2013 scale" in reason(d, "c5-gravity").text
    assert any("c5-matrix-outcome-not-considered" in w and "unverified" in w
               for w in d.warnings)


def test_no_comment_without_outcome_22_considered_goes_back_to_police() -> None:
    """§3 C4 (i): Outcome 22/23 needs no admission and must have been considered."""
    d = check(offence="assault_occasioning_abh", admission="no_comment", considered=[])
    assert d.outcome == "refer_back_police"
    assert "c4-outcome-22-not-considered" in fired(d)
    assert d.outputs["outcome_22_or_23"] == "open_not_considered"
    assert d.outputs["youth_caution"] == "not_open"
    assert {"c4_no_admission", "c4_oocd_not_explained_before_interview"} <= set(d.flags)


def test_no_comment_with_outcome_22_considered_is_a_note_for_the_defence() -> None:
    """§3 NOTE_FOR_DEFENCE: no-comment case where an OOCD might follow an admission."""
    d = check(offence="assault_occasioning_abh", admission="no_comment",
              considered=["outcome_22_or_23"])
    assert d.outcome == "note_for_defence"
    note = reason(d, "c4-note-for-defence")
    assert "points to youth_caution (score 3)" in note.text
    assert d.outputs["outcome_22_or_23"] == "considered"


def test_denial_gets_no_note_for_the_defence() -> None:
    d = check(offence="assault_occasioning_abh", admission="denied",
              considered=["outcome_22_or_23"])
    assert d.outcome == "pathways_explored_ok"
    assert "c4_no_admission" in d.flags


def test_band_5_charge_needs_no_departure_rationale() -> None:
    """gravity-matrix §2.2 band 5: the child should normally be charged."""
    d = check(offence="robbery", departure_rationale_recorded=False, considered=["youth_caution"],
              cif_completed=True)  # robbery carries 14 years or more: a CIF trigger
    assert d.outputs["matrix_points_to"] == "charge"
    assert d.outcome == "pathways_explored_ok"


def test_departing_from_an_oocd_band_without_a_rationale_goes_back_to_police() -> None:
    """§3 C5: bands 2-4 make an out-of-court outcome the working assumption."""
    d = check(departure_rationale_recorded=False)
    assert d.outcome == "refer_back_police"
    assert "c5-departure-without-rationale" in fired(d)


def test_matrix_outcome_not_considered_goes_back_to_police() -> None:
    d = check(offence="assault_occasioning_abh", considered=["community_resolution"])
    assert d.outputs["matrix_points_to"] == "youth_caution"
    assert d.outcome == "refer_back_police"
    assert "youth_caution, which is open" in reason(d, "c5-matrix-outcome-not-considered").text


def test_admitted_and_nothing_considered_goes_back_to_police() -> None:
    """§3 C3: admitted ⇒ was YC/YCC/CR considered?"""
    d = check(considered=[])
    assert d.outcome == "refer_back_police"
    assert {"c3-admitted-nothing-considered", "c5-matrix-outcome-not-considered"} <= fired(d)


def test_evidential_threshold_not_recorded_goes_back_to_cps() -> None:
    """§3 C2."""
    d = check(sufficient_evidence=False)
    assert d.outcome == "refer_back_cps"
    assert "c2_evidential_threshold" in d.flags


def test_escalator_reasoning_goes_back_to_police() -> None:
    """§3 C6: earlier disposals do not rule out another out-of-court outcome."""
    d = check(oocd_refused_for_previous_disposals=True, previous_disposals=4)
    assert d.outcome == "refer_back_police"
    assert "c6_previous_disposals" in d.flags


def test_previous_disposals_are_shown_but_never_read() -> None:
    assert check(previous_disposals=0).outcome == check(previous_disposals=9).outcome


def test_no_joint_decision_goes_back_to_police() -> None:
    """§3 C7 (NPCC February 2025)."""
    d = check(joint_decision_recorded=False)
    assert d.outcome == "refer_back_police"
    assert reason(d, "c7-joint-decision-missing").source.document == "S3"


@pytest.mark.parametrize(("over", "trigger"), [
    ({"never_charged_before": True}, "never charged before: yes"),
    ({"offence": "exposure", "considered": ["community_resolution"]}, "sexual offence: yes"),
    ({"offence": "burglary_dwelling", "considered": ["youth_conditional_caution"]},
     "14 years or more for an adult: yes"),
    ({"care_status": "child_in_need"}, "care status: child_in_need"),
])
def test_cif_triggers(over: dict[str, Any], trigger: str) -> None:
    """§4: a CIF is required if any trigger applies; missing ⇒ refer back to the CPS."""
    d = check(**over)
    assert "c8_child_information_form" in d.flags
    assert trigger in reason(d, "c8-cif-required").text
    assert d.outcome == "refer_back_cps"
    assert check(**over, cif_completed=True).outcome == "pathways_explored_ok"


def test_no_cif_trigger_no_cif_needed() -> None:
    d = check()
    assert "c8_child_information_form" not in d.flags
    assert not d.derived["cif_required"]


def test_looked_after_protocol_not_followed_goes_back_to_cps() -> None:
    """§3 C9: looked-after / care-experienced children."""
    d = check(care_status="looked_after", cif_completed=True, offence_in_care_placement=True)
    assert d.outcome == "refer_back_cps"
    assert {"c9_looked_after_protocol", "c9_offence_in_care_placement"} <= set(d.flags)
    ok = check(care_status="care_leaver", cif_completed=True, lac_protocol_followed=True)
    assert ok.outcome == "pathways_explored_ok"
    assert "c9_looked_after_protocol" in ok.flags


def test_first_time_entrant_with_nothing_considered_goes_back_to_police() -> None:
    """§3 C10."""
    d = check(offence="robbery", first_time_entrant=True, considered=[])
    assert d.outcome == "refer_back_police"
    assert "c10-no-diversion-considered" in fired(d)


def test_exploitation_not_considered_goes_back_to_cps() -> None:
    """§3 C11."""
    d = check(exploitation_concerns=True)
    assert d.outcome == "refer_back_cps"
    assert "c11_exploitation" in d.flags
    assert check(exploitation_concerns=True, exploitation_considered=True).outcome == (
        "pathways_explored_ok")


def test_knife_possession_guidance_applies_from_february_2026() -> None:
    """§3 C13: the Feb 2026 guidance route (deferred prosecution for a first offence)."""
    knife = {"offence": "possession_bladed_article", "first_time_entrant": True,
             "never_charged_before": True, "cif_completed": True,
             "considered": ["youth_caution"]}
    before = check(**knife)
    assert "c13_knife_possession" in before.flags
    assert "c13-guidance-route-missed" not in fired(before)
    after = check(AFTER_KNIFE_GUIDANCE, **knife)
    assert after.outcome == "refer_back_police"
    assert "c13-guidance-route-missed" in fired(after)
    assert any("knife_guidance_from" in w for w in after.warnings)
    followed = check(AFTER_KNIFE_GUIDANCE, **{**knife, "considered": [
        "youth_caution", "outcome_22_or_23"]})
    assert followed.outcome == "pathways_explored_ok"


def test_traffic_offence_with_nothing_considered_goes_back_to_police() -> None:
    """§3 C14: no blanket exclusion of traffic offences."""
    d = check(offence="careless_driving", admission="denied", considered=[])
    assert "c14_traffic_offence" in d.flags
    assert "c14-traffic-nothing-considered" in fired(d)
    assert d.outcome == "refer_back_police"


def test_cps_decisions_and_17_year_olds_are_flagged() -> None:
    """§3 C18 and C1."""
    d = check(charging_decision_by="cps", age=17)
    assert {"c18_cps_children_guidance", "c1_age"} <= set(d.flags)


def test_police_outranks_cps_outranks_the_note() -> None:
    """The result needing most action wins: refer to police > CPS > note for defence."""
    d = check(admission="no_comment", considered=[], cif_completed=False,
              never_charged_before=True)
    assert {"c4-note-for-defence", "c8-cif-missing", "c4-outcome-22-not-considered"} <= fired(d)
    assert d.outcome == "refer_back_police"
    assert d.outputs["action"].startswith("Refer the case back to the police")


# --- before the Child Information Form (pre-cif-2023) ---------------------------------

def pre_cif(**over: Any) -> Any:
    base = {k: v for k, v in facts().items() if k not in ("cif_completed",)}
    base.update(over)
    return run(FAMILY, base, PRE_CIF_DAY)


def test_pre_cif_first_time_entrant_checklist_missing_goes_back_to_cps() -> None:
    """§4: the CIF replaced the First Time Entrants checklist (whether that checklist was
    mandatory is unverified, so the decision warns)."""
    d = pre_cif(first_time_entrant=True)
    assert d.outcome == "refer_back_cps"
    assert "c10_first_time_entrant_checklist" in d.flags
    assert any("c10-fte-checklist-missing" in w for w in d.warnings)
    assert pre_cif(first_time_entrant=True, fte_checklist_completed=True).outcome == (
        "pathways_explored_ok")


def test_pre_cif_looked_after_checklist_missing_goes_back_to_cps() -> None:
    """§4: the CIF replaced the 10-point Looked After Children checklist."""
    d = pre_cif(care_status="looked_after", lac_protocol_followed=True)
    assert d.outcome == "refer_back_cps"
    assert "c9_looked_after_checklist" in d.flags
    assert pre_cif(care_status="looked_after", lac_protocol_followed=True,
                   lac_checklist_completed=True).outcome == "pathways_explored_ok"


def test_pre_cif_joint_decision_and_traffic_changes_came_later() -> None:
    """gravity-matrix §3: joint decisions and traffic offences are February 2025 changes."""
    d = pre_cif(joint_decision_recorded=False, offence="careless_driving",
                considered=["community_resolution"])
    assert d.outcome == "pathways_explored_ok"
    assert "c7_no_joint_decision_recorded" in d.flags
    assert "c14_traffic_offence" not in d.flags
    knife = pre_cif(offence="possession_bladed_article", considered=["youth_caution"])
    assert "c13_knife_possession" in knife.flags
    assert knife.outcome == "pathways_explored_ok"


def test_pre_cif_has_no_child_information_form() -> None:
    with pytest.raises(InputError) as err:
        pre_cif(cif_completed=True)
    assert err.value.field == "facts.cif_completed"


@pytest.mark.parametrize(("name", "on", "outcome"), [
    ("no-comment-robbery-minor-role.json", AFTER_KNIFE_GUIDANCE, "refer_back_police"),
    ("admitted-shoplifting-explored.json", AFTER_KNIFE_GUIDANCE, "pathways_explored_ok"),
    ("looked-after-no-cif.json", AFTER_KNIFE_GUIDANCE, "refer_back_cps"),
    ("knife-first-offence.json", AFTER_KNIFE_GUIDANCE, "refer_back_police"),
    ("pre-cif-first-time-entrant.json", PRE_CIF_DAY, "refer_back_cps"),
    ("pre-npcc-admitted-caution-not-considered.json", ACPO_DAY, "refer_back_police"),
])
def test_examples(name: str, on: dt.date, outcome: str) -> None:
    d = decide_example(FAMILY, name, on)
    assert d.outcome == outcome
    assert d.canonical_json() == decide_example(FAMILY, name, on, "fast").canonical_json()


def test_every_example_is_covered() -> None:
    assert set(example_names(FAMILY)) == {
        "no-comment-robbery-minor-role.json", "admitted-shoplifting-explored.json",
        "looked-after-no-cif.json", "knife-first-offence.json",
        "pre-cif-first-time-entrant.json", "pre-npcc-admitted-caution-not-considered.json"}


@pytest.mark.parametrize("version", list(VERSIONS))
def test_input_domains_match_every_gravity_version_it_can_consult(version: str) -> None:
    """The offence and factor codes are repeated here; they must stay those of the gravity
    matrix versions in force while this check is."""
    mine = REGISTRY.get(FAMILY, version).entry
    mine_end = mine.effective_to or dt.date.max
    checked = 0
    for pv in REGISTRY.versions("gravity-matrix"):
        end = pv.entry.effective_to or dt.date.max
        if end <= mine.effective_from or pv.entry.effective_from >= mine_end:
            continue
        gm, oocd = pv.policy, VERSIONS[version]
        assert oocd.inputs["offence"].values == list(gm.tables["offences"].rows)
        assert oocd.inputs["aggravating"].values == list(gm.tables["aggravating_factors"].rows)
        assert oocd.inputs["mitigating"].values == list(gm.tables["mitigating_factors"].rows)
        assert set(oocd.consults["gravity"].pass_facts) <= set(gm.inputs)
        checked += 1
    assert checked >= 1


# --- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize(("over", "field"), [
    ({"cif_completed": None}, "facts.cif_completed"),
    ({"joint_decision_recorded": None}, "facts.joint_decision_recorded"),
    ({"offence": "jaywalking"}, "facts.offence"),
    ({"considered": ["caution"]}, "facts.considered"),
    ({"care_status": "fostered"}, "facts.care_status"),
])
def test_bad_facts_name_the_field(over: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as err:
        check(**over)
    assert err.value.field == field


@pytest.mark.parametrize("age", [9, 18])
def test_age_outside_10_to_17_is_refused(age: int) -> None:
    case = {"case_reference": "T-1", "age": age,
            "facts": {k: v for k, v in facts().items() if k != "age"}}
    with pytest.raises(InputError) as err:
        decide(FAMILY, case, ON, registry=REGISTRY)
    assert err.value.field == "age"


def test_protected_characteristics_are_refused_as_facts() -> None:
    with pytest.raises(InputError, match="monitoring"):
        check(ethnicity="x")


# --- properties ---------------------------------------------------------------------

RECORDED = ["cif_completed", "fte_checklist_completed", "lac_checklist_completed",
            "joint_decision_recorded", "departure_rationale_recorded", "lac_protocol_followed",
            "exploitation_considered", "oocd_explained_before_interview"]


def cases(version: str) -> st.SearchStrategy[tuple[dict[str, Any], dt.date]]:
    return st.tuples(facts_for(VERSIONS[version]), st.sampled_from(VERSION_DAYS[version]))


@pytest.mark.parametrize("version", list(VERSIONS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_recording_more_never_asks_for_more_action(version: str, data: st.DataObject) -> None:
    """Considering another option, or recording a check as done, never makes the result
    more severe (no check punishes doing more)."""
    facts_, on = data.draw(cases(version))
    recorded = [r for r in RECORDED if r in VERSIONS[version].inputs]
    more = dict(facts_)
    more["considered"] = sorted({*facts_.get("considered", []),
                                 *data.draw(st.lists(st.sampled_from(OPTIONS), max_size=2))})
    for name in data.draw(st.lists(st.sampled_from(recorded), unique=True, min_size=1)):
        more[name] = True
    more["oocd_refused_for_previous_disposals"] = False
    before, after = run(FAMILY, facts_, on), run(FAMILY, more, on)
    assert SEVERITY.index(after.outcome) <= SEVERITY.index(before.outcome)


@pytest.mark.parametrize("version", list(VERSIONS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_result_other_than_ok_names_what_was_missed(version: str,
                                                          data: st.DataObject) -> None:
    facts_, on = data.draw(cases(version))
    d = run(FAMILY, facts_, on)
    indicating = [r for r in d.reasons if r.effect.get("indicate") == d.outcome]
    if d.outcome == "pathways_explored_ok":
        assert not [r for r in d.reasons if "indicate" in r.effect]
    else:
        assert indicating
    assert all(f.startswith("c") and f[1:3].rstrip("_").isdigit() for f in d.flags)
    assert "c5_gravity" in d.flags and "c7_joint_decision" in d.flags


@pytest.mark.parametrize("version", list(VERSIONS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_durable_rules_and_fast_evaluator_agree_byte_for_byte(version: str,
                                                              data: st.DataObject) -> None:
    facts_, on = data.draw(cases(version))
    assert (run(FAMILY, facts_, on).canonical_json()
            == run(FAMILY, facts_, on, engine="fast").canonical_json())
