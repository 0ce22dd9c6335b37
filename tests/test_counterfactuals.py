"""Counterfactuals on every decision: each one listed is right (the change really gives
that outcome, through the full engine), and none is missing (every single change to an
actionable input that changes the outcome is listed), on every version of every family."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.engine import Decision, Engine
from decision_engine.engine.counterfactuals import counterfactuals, plans
from decision_engine.engine.decision import DECISION_FORMAT
from decision_engine.errors import DecisionEngineError
from tests.strategies import cases_for
from tests.test_outcome_compiler import ENGINE, REGISTRY, VERSIONS, decided


def _outcome(family: str, version: str, facts: dict[str, Any], on: dt.date) -> str:
    return ENGINE.evaluate(family, facts, on, version, engine="fast", fmt=1).outcome


def _changes(d: Decision) -> dict[tuple[str, str, str], str]:
    """(input, change, one value as JSON) → outcome, one entry per single change."""
    out: dict[tuple[str, str, str], str] = {}
    for c in d.counterfactuals:
        values = c.value if c.change in ("add", "remove") else [c.value]
        for v in values:
            key = (c.input, c.change, json.dumps(v, sort_keys=True))
            assert key not in out, f"listed twice: {key}"
            out[key] = c.outcome
    return out


@pytest.mark.parametrize(("family", "version"), VERSIONS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_counterfactuals_are_exactly_the_single_changes_that_change_the_outcome(
        family: str, version: str, data: st.DataObject) -> None:
    case = decided(data, family, version)
    if case is None:
        return
    _, on, d = case
    pv = REGISTRY.get(family, version)
    assert d.format == DECISION_FORMAT == 3
    assert all(c.outcome != d.outcome for c in d.counterfactuals)
    listed = _changes(d)
    policy = pv.policy
    inputs = dict(d.input)
    brute: dict[tuple[str, str, str], str] = {}
    for p in plans(policy):
        inp = policy.inputs[p.name]
        current = inputs.get(p.name)
        if p.kind == "band":
            assert inp.from_table is not None
            rows = policy.tables[inp.from_table].rows
            mine = {c: rows[current][c] for c in p.columns}
            for key, row in rows.items():
                band = {c: row[c] for c in p.columns}
                if band == mine:
                    continue
                got = _outcome(family, version, {**inputs, p.name: key}, on)
                k = (p.name, "band", json.dumps(band, sort_keys=True))
                if got != d.outcome:
                    assert brute.setdefault(k, got) == got, f"band {band} is not one outcome"
        elif p.kind in ("count", "members"):
            present = list(current or [])
            for member in p.domain:
                change = "remove" if member in present else "add"
                changed = ([x for x in present if x != member] if change == "remove"
                           else [*present, member])
                got = _outcome(family, version, {**inputs, p.name: changed}, on)
                if got != d.outcome:
                    brute[(p.name, change, json.dumps(member))] = got
        else:
            values = [True, False] if p.kind == "bool" else list(p.domain)
            for value in values:
                if value == current:
                    continue
                got = _outcome(family, version, {**inputs, p.name: value}, on)
                if got != d.outcome:
                    brute[(p.name, "set", json.dumps(value))] = got
    assert listed == brute


def test_the_gravity_matrix_hinges_on_what_a_panel_can_act_on() -> None:
    facts = {"offence": "robbery", "age": 15, "sufficient_evidence": True,
             "admission": "no_comment", "mitigating": ["minor_role_or_exploited"]}
    d = ENGINE.evaluate("gravity-matrix", facts, dt.date(2024, 5, 1))
    assert d.outcome == "community_resolution"
    got = {(c.input, c.change): (c.current, c.value, c.outcome) for c in d.counterfactuals}
    assert got[("admission", "set")] == ("no_comment", "admitted", "youth_caution")
    assert got[("sufficient_evidence", "set")] == (True, False, "no_further_action")
    assert got[("mitigating", "remove")] == (["minor_role_or_exploited"],
                                             ["minor_role_or_exploited"], "charge")
    assert got[("aggravating", "add")][2] == "charge"
    assert len(got[("aggravating", "add")][1]) == 9  # any one of the nine factors
    bands = [c for c in d.counterfactuals if c.change == "band"]
    assert {json.dumps(c.value) for c in bands} == {'{"base_score": 2}', '{"base_score": 1}'}
    assert all(c.current == {"base_score": 5} for c in bands)  # a band, never an offence
    # age and previous disposals are facts, not choices; informs_only is never a hinge
    assert not {c.input for c in d.counterfactuals} & {"age", "previous_disposals"}


def test_every_family_gets_counterfactuals() -> None:
    for family in REGISTRY.families():
        for pv in REGISTRY.versions(family):
            assert plans(pv.policy), f"{family} {pv.version}: nothing a panel can act on"


def test_explain_shows_what_the_outcome_hinges_on() -> None:
    from decision_engine.cli.render import explain_text

    facts = {"offence": "robbery", "age": 15, "sufficient_evidence": True,
             "admission": "no_comment", "mitigating": ["minor_role_or_exploited"]}
    text = explain_text(ENGINE.evaluate("gravity-matrix", facts, dt.date(2024, 5, 1)))
    hinge = text.split("The outcome hinges on:\n", 1)[1]
    assert "  admission no_comment -> admitted: youth caution\n" in hinge
    assert "  offence in another band (base_score 5 -> base_score 1): no further action" in hinge
    assert "  removing minor_role_or_exploited from mitigating: charge" in hinge


def test_format_1_has_no_counterfactuals_and_format_2_bytes_carry_them() -> None:
    facts = {"offence": "theft_from_shop", "age": 13, "sufficient_evidence": True,
             "admission": "admitted"}
    two = ENGINE.evaluate("gravity-matrix", facts, dt.date(2024, 5, 1), fmt=2)
    one = ENGINE.evaluate("gravity-matrix", facts, dt.date(2024, 5, 1), fmt=1)
    data = json.loads(two.canonical_json())
    assert data["format"] == 2 and data["counterfactuals"] == [
        c.model_dump(mode="json") for c in two.counterfactuals] != []
    old = json.loads(one.canonical_json())
    assert "format" not in old and "counterfactuals" not in old
    del data["format"], data["counterfactuals"]
    assert data == old


def test_a_fact_passed_to_a_consulted_family_is_tried_through_it() -> None:
    """The pathways check reads the admission itself and hands it to the gravity matrix:
    a change of admission is decided again by the matrix, and the result is what the
    whole engine gives for the changed case."""
    facts = {"offence": "theft_from_shop", "age": 15, "sufficient_evidence": True,
             "admission": "admitted", "never_charged_before": False,
             "considered": ["community_resolution", "youth_caution"],
             "charging_decision_by": "police", "joint_decision_recorded": True,
             "departure_rationale_recorded": True, "cif_completed": False,
             "care_status": "none", "first_time_entrant": False}
    on = dt.date(2026, 3, 1)
    d = ENGINE.evaluate("oocd-pathways", facts, on)
    hinges = {(c.input, json.dumps(c.value)): c.outcome for c in d.counterfactuals}
    assert ("admission", '"no_comment"') in hinges
    for (name, value), outcome in hinges.items():
        if name in ("admission", "sufficient_evidence"):
            again = ENGINE.evaluate("oocd-pathways", {**facts, name: json.loads(value)}, on)
            assert again.outcome == outcome != d.outcome
    # without an engine to consult, nothing passed on is tried
    from decision_engine.engine.counterfactuals import counterfactuals

    cp = ENGINE.compiled(REGISTRY.select("oocd-pathways", on))
    alone = counterfactuals(cp).search(dict(d.input), on, d.outcome)
    assert alone and not any(counterfactuals(cp).plans[e[0]].consults for e in alone)


# A change tried through a consult is decided by the consulted version the decision
# used, which replay pins to what was recorded. Two versions can agree on a case (the
# same exposed facts) and not on a change to it, so the memo must not answer one
# version's decision with another's counterfactuals: one engine deciding under both
# must give exactly the bytes of an engine that only ever decided under one.
_PINNED: dict[str, Engine] = {}


def _alone(pin: str) -> Engine:
    """An engine that only ever decides with the consulted gravity matrix *pin*."""
    if pin not in _PINNED:
        _PINNED[pin] = Engine(REGISTRY)
    return _PINNED[pin]


def _pathways(engine: Engine, facts: dict[str, Any], on: dt.date, version: str,
              pin: str) -> bytes:
    return engine.evaluate("oocd-pathways", facts, on, version, engine="fast",
                           pins={"gravity-matrix": pin}).canonical_json()


def test_counterfactuals_through_a_consult_follow_the_consulted_version() -> None:
    # insufficient evidence: both matrices expose the same facts, but with the
    # evidence the 2013 matrix leaves the pathways explored and the 2023 one does not
    facts = {"admission": "admitted", "age": 15, "aggravating": [], "care_status": "none",
             "charging_decision_by": "police", "considered": ["community_resolution"],
             "departure_rationale_recorded": False, "exploitation_concerns": True,
             "exploitation_considered": True, "first_time_entrant": False,
             "fte_checklist_completed": True, "joint_decision_recorded": False,
             "lac_checklist_completed": False, "lac_protocol_followed": False,
             "mitigating": [], "never_charged_before": False, "offence": "sexual_assault",
             "offence_in_care_placement": True, "oocd_explained_before_interview": False,
             "oocd_refused_for_previous_disposals": False, "previous_disposals": 3,
             "sufficient_evidence": False}
    on, version = dt.date(2024, 10, 30), "pre-cif-2023"
    old, new = "acpo-2013-r4", "npcc-2023-r4"
    alone = {pin: _pathways(Engine(REGISTRY), facts, on, version, pin) for pin in (old, new)}
    hinge = {pin: {c["input"]: c["outcome"] for c in json.loads(made)["counterfactuals"]}
             for pin, made in alone.items()}
    assert hinge[old]["sufficient_evidence"] == "pathways_explored_ok"
    assert hinge[new]["sufficient_evidence"] == "refer_back_police"
    shared = Engine(REGISTRY)
    for pin in (old, new, old):
        assert _pathways(shared, facts, on, version, pin) == alone[pin], pin


_PATHWAYS = [pv.version for pv in REGISTRY.versions("oocd-pathways")]
_GRAVITY = [pv.version for pv in REGISTRY.versions("gravity-matrix")]
_SHARED = Engine(REGISTRY)


@pytest.mark.parametrize("version", _PATHWAYS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_one_engine_answers_each_pinned_version_as_an_engine_of_its_own(
        version: str, data: st.DataObject) -> None:
    facts, on = data.draw(cases_for(REGISTRY.get("oocd-pathways", version)))
    pins = data.draw(st.lists(st.sampled_from(_GRAVITY), min_size=2, max_size=4))
    for pin in pins:
        try:
            expected = _pathways(_alone(pin), facts, on, version, pin)
        except DecisionEngineError as exc:
            with pytest.raises(type(exc)):
                _pathways(_SHARED, facts, on, version, pin)
            continue
        assert _pathways(_SHARED, facts, on, version, pin) == expected, pin


# A derived fact no change tried can move keys the memo by its value (Enhanced Case
# Management's count of offences in the window, in place of the offence history and the
# decision date it is counted from), so cases with other histories share a search.
_FIXED = [(f, pv.version) for f in REGISTRY.families() for pv in REGISTRY.versions(f)
          if counterfactuals(ENGINE.compiled(pv)).fixed]
_WARM = Engine(REGISTRY)


def test_a_derived_fact_no_change_moves_keys_the_memo_by_its_value() -> None:
    assert ("enhanced-case-management", "coventry-2020-r2") in _FIXED
    pv = REGISTRY.get("enhanced-case-management", "coventry-2020-r2")
    shared = Engine(REGISTRY)

    def case(dates: list[str], disposals: list[str]) -> dict[str, Any]:
        return {"offences": [{"id": f"O{i}", "date": d, "disposal": p}
                             for i, (d, p) in enumerate(zip(dates, disposals, strict=True))],
                "complexity": ["multiple_aces"], "current_intervention": "referral_order",
                "age": 15}

    three = case(["2019-09-01", "2020-01-15", "2020-06-30"], ["conviction"] * 3)
    other = case(["2019-10-02", "2020-02-01", "2020-05-30", "2016-01-01"],
                 ["conviction", "youth_caution", "conviction", "conviction"])
    decided = [shared.evaluate("enhanced-case-management", facts, on, pv.version,
                               engine="fast")
               for facts, on in ((three, dt.date(2020, 7, 1)), (other, dt.date(2020, 8, 3)))]
    assert [d.outputs["offences_in_window_count"] for d in decided] == [3, 3]
    assert decided[0].counterfactuals  # the case hinges on something
    memo = counterfactuals(shared.compiled(pv)).memo
    assert len(memo) == 1, memo  # the second case was answered from the first's search
    for d, (facts, on) in zip(decided, ((three, dt.date(2020, 7, 1)),
                                       (other, dt.date(2020, 8, 3))), strict=True):
        alone = Engine(REGISTRY).evaluate("enhanced-case-management", facts, on, pv.version,
                                          engine="fast")
        assert d.canonical_json() == alone.canonical_json()


@pytest.mark.parametrize(("family", "version"), _FIXED)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_warm_memo_keyed_by_fixed_derived_facts_answers_as_a_cold_one(
        family: str, version: str, data: st.DataObject) -> None:
    """One engine across every example (its memo answering cases other examples
    searched) gives the bytes of an engine that never decided before."""
    case = decided(data, family, version, _WARM)
    if case is None:
        return
    facts, on, warm = case
    cold = Engine(REGISTRY).evaluate(family, facts, on, version)
    assert warm.canonical_json() == cold.canonical_json()
