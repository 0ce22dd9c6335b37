"""Recording, reading and finalising decisions through the real ASGI app."""

from __future__ import annotations

import pytest

from decision_engine.audit import RecordFilter
from tests.api.conftest import GRAVITY_CASE, Api, assert_problem, example_body
from tests.api.test_access import FAMILIES


def test_create_returns_the_recorded_decision(api: Api) -> None:
    r = api.client.post("/v1/decisions/gravity-matrix", json={"case": GRAVITY_CASE},
                        headers=api.auth("panel"))
    assert r.status_code == 201
    body = r.json()
    assert r.headers["location"] == f"/v1/decisions/{body['id']}"
    assert body["seq"] == 1 and len(body["hash"]) == 64 and body["service_area"] == "north"
    decision = body["decision"]
    assert decision["policy"]["family"] == "gravity-matrix"
    assert decision["outcome"] and decision["reasons"]
    assert GRAVITY_CASE["case_reference"] not in r.text  # identifiers are not echoed
    stored = api.store.get(body["id"])
    assert stored is not None and stored.hash == body["hash"]
    assert stored.actor_role == "panel" and stored.actor_id.startswith("panel north#")
    assert api.store.verify().ok


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_records(api: Api, family: str) -> None:
    role = sorted(FAMILIES[family])[0]
    body = api.record(family, role=role)
    assert body["decision"]["policy"]["family"] == family


def test_named_version_and_date(api: Api) -> None:
    body = api.record(decision_date="2024-06-01", policy_version="npcc-2023")
    assert body["decision"]["decision_date"] == "2024-06-01"
    assert body["decision"]["policy"]["version"] == "npcc-2023"


def test_read_is_logged_with_actor_time_and_justification(api: Api) -> None:
    decision = api.record()["id"]
    r = api.client.get(f"/v1/decisions/{decision}",
                       headers=api.auth("auditor", X_Justification="Complaint review 7"))
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == decision and body["final"] is None and body["finals"] == []
    assert "pseudonym" not in r.text and "subject_digest" not in r.text
    assert GRAVITY_CASE["case_reference"] not in r.text
    (access,) = api.store.list_records(RecordFilter(kind="access"))
    assert access.actor_role == "auditor" and access.actor_id.startswith("auditor north#")
    assert access.recorded_at
    assert access.detail_obj["justification"] == "Complaint review 7"
    assert access.detail_obj["action"] == "read"
    assert access.detail_obj["record_ids"] == [decision]


def test_auditor_must_justify_a_read_and_nothing_is_disclosed(api: Api) -> None:
    decision = api.record()["id"]
    r = api.client.get(f"/v1/decisions/{decision}", headers=api.auth("auditor"))
    body = assert_problem(r, 422, "header.X-Justification")
    assert "decision" not in body
    assert api.count("access") == 0


def test_operational_read_defaults_its_justification(api: Api) -> None:
    decision = api.record()["id"]
    assert api.client.get(f"/v1/decisions/{decision}",
                          headers=api.auth("panel")).status_code == 200
    (access,) = api.store.list_records(RecordFilter(kind="access"))
    assert access.detail_obj["justification"] == "case work (panel)"


def test_justification_may_not_name_the_child(api: Api) -> None:
    decision = api.record()["id"]
    r = api.client.get(f"/v1/decisions/{decision}", headers=api.auth(
        "auditor", X_Justification=f"checking {GRAVITY_CASE['case_reference']}"))
    assert_problem(r, 422, "header.X-Justification")
    assert api.count("access") == 0


def test_final_outcome_departing_needs_a_rationale(api: Api) -> None:
    created = api.record()
    decision, recommended = created["id"], created["decision"]["outcome"]
    other = "charge" if recommended != "charge" else "no_further_action"
    url = f"/v1/decisions/{decision}/final"
    r = api.client.post(url, json={"final_outcome": other}, headers=api.auth("panel"))
    assert_problem(r, 422, "body.rationale")
    assert api.count("final_decision") == 0
    r = api.client.post(url, json={"final_outcome": other, "rationale": "   "},
                        headers=api.auth("panel"))
    assert_problem(r, 422, "body.rationale")
    r = api.client.post(url, json={"final_outcome": other,
                                   "rationale": "Panel weighed the victim's view."},
                        headers=api.auth("panel"))
    assert r.status_code == 201, r.text
    final = r.json()
    assert final["departs_from_recommendation"] is True
    assert final["recommended_outcome"] == recommended and final["final_outcome"] == other
    assert final["decision_id"] == decision and final["supersedes"] is None
    stored = api.client.get(f"/v1/decisions/{decision}", headers=api.auth("panel")).json()
    assert stored["final"]["id"] == final["id"]
    assert stored["decision"] == created["decision"]  # the recorded decision is unchanged


def test_accepting_needs_no_rationale_but_replacing_does(api: Api) -> None:
    created = api.record()
    url = f"/v1/decisions/{created['id']}/final"
    accept = {"final_outcome": created["decision"]["outcome"]}
    first = api.client.post(url, json=accept, headers=api.auth("panel"))
    assert first.status_code == 201
    assert first.json()["departs_from_recommendation"] is False
    assert_problem(api.client.post(url, json=accept, headers=api.auth("panel")), 422,
                   "body.rationale")
    second = api.client.post(url, json={**accept, "rationale": "Re-heard with new CIF."},
                             headers=api.auth("panel"))
    assert second.status_code == 201 and second.json()["supersedes"] == first.json()["id"]
    stored = api.client.get(f"/v1/decisions/{created['id']}", headers=api.auth("panel"))
    assert [f["id"] for f in stored.json()["finals"]] == [first.json()["id"],
                                                          second.json()["id"]]


def test_final_outcome_must_be_an_outcome_of_the_policy(api: Api) -> None:
    decision = api.record()["id"]
    r = api.client.post(f"/v1/decisions/{decision}/final",
                        json={"final_outcome": "detention", "rationale": "x"},
                        headers=api.auth("panel"))
    body = assert_problem(r, 422, "body.final_outcome")
    assert "youth_caution" in body["detail"]


def test_rationale_may_not_name_the_child(api: Api) -> None:
    created = api.record()
    r = api.client.post(f"/v1/decisions/{created['id']}/final", json={
        "final_outcome": "charge",
        "rationale": f"{GRAVITY_CASE['case_reference']} reoffended"}, headers=api.auth("panel"))
    assert_problem(r, 422, "body.rationale")


def test_final_for_a_family_of_another_role_is_404(api: Api) -> None:
    decision = api.record("pace-transfer", role="custody")["id"]
    r = api.client.post(f"/v1/decisions/{decision}/final",
                        json={"final_outcome": "charge"}, headers=api.auth("panel"))
    assert_problem(r, 404, "path.decision_id")


def test_example_bodies_of_every_family_work(api: Api) -> None:
    for family, roles in FAMILIES.items():
        r = api.client.post(f"/v1/decisions/{family}", json=example_body(family),
                            headers=api.auth(sorted(roles)[0]))
        assert r.status_code == 201, (family, r.text)
