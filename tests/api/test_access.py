"""Every (role, route) pair against the documented role matrix (docs/api.md).

No credentials → 401, a wrong or revoked key → 401, a role the matrix does not allow →
403; an allowed role gets past authorisation (whatever the route then answers). The
expected table is written out here, not imported, so it checks the code against the
documentation rather than against itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from decision_engine_api.credentials import ROLES
from tests.api.conftest import GRAVITY_CASE, Api, assert_problem, example_body

FAMILIES = {
    "gravity-matrix": {"panel"},
    "oocd-pathways": {"court_officer"},
    "enhanced-case-management": {"case_manager"},
    "contact-frequency": {"case_manager"},
    "pace-transfer": {"custody"},
}
OPERATIONAL = {"panel", "court_officer", "case_manager", "custody"}
OVERSIGHT = {"auditor", "policy_admin"}

# (route name, allowed roles) — docs/api.md, "Role matrix"
MATRIX: dict[str, set[str]] = {
    "get_decision": OPERATIONAL | {"auditor"},
    "record_final_decision": OPERATIONAL,
    "replay_decision": OVERSIGHT,
    "create_replay_job": OVERSIGHT,
    "get_replay_job": OVERSIGHT,
    "export_decisions": {"auditor"},
    "get_report": {"auditor"},
    "list_policies": set(ROLES),
    "get_policy_version": set(ROLES),
}


def _requests(api: Api) -> dict[str, tuple[str, str, Any]]:
    decision = api.record()["id"]
    job = api.client.post("/v1/replays", json={"family": "gravity-matrix"},
                          headers=api.auth("auditor", X_Justification="matrix test"))
    assert job.status_code == 202, job.text
    return {
        "get_decision": ("GET", f"/v1/decisions/{decision}", None),
        "record_final_decision": ("POST", f"/v1/decisions/{decision}/final",
                                  {"final_outcome": "community_resolution"}),
        "replay_decision": ("POST", f"/v1/decisions/{decision}/replay", {}),
        "create_replay_job": ("POST", "/v1/replays", {"family": "gravity-matrix"}),
        "get_replay_job": ("GET", f"/v1/replays/{job.json()['id']}", None),
        "export_decisions": ("GET", "/v1/exports/decisions?format=csv", None),
        "get_report": ("GET", "/v1/reports/departures?from=2024-01-01&to=2024-12-31", None),
        "list_policies": ("GET", "/v1/policies", None),
        "get_policy_version": ("GET", "/v1/policies/gravity-matrix/npcc-2025", None),
    }


def _call(api: Api, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return api.client.request(method, path, json=body, headers=headers)


def test_every_role_on_every_route(api: Api) -> None:
    requests = _requests(api)
    assert set(requests) == set(MATRIX)
    for name, (method, path, body) in requests.items():
        r = _call(api, method, path, body, {})
        assert_problem(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")
        for role in ROLES:
            r = _call(api, method, path, body, api.auth(role, X_Justification="matrix test"))
            if role in MATRIX[name]:
                assert r.status_code not in (401, 403), (name, role, r.text)
                assert r.status_code < 500, (name, role, r.text)
            else:
                body_ = assert_problem(r, 403)
                assert role in body_["detail"], (name, role)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_who_may_record_each_family(api: Api, family: str) -> None:
    body = example_body(family)
    for role in ROLES:
        before = api.count()
        r = api.client.post(f"/v1/decisions/{family}", json=body, headers=api.auth(role))
        if role in FAMILIES[family]:
            assert r.status_code == 201, (family, role, r.text)
            assert api.count() == before + 1
        else:
            assert_problem(r, 403)
            assert api.count() == before  # nothing written
    assert_problem(api.client.post(f"/v1/decisions/{family}", json=body), 401)


def test_unknown_family_is_404_for_every_operational_role(api: Api) -> None:
    for role in OPERATIONAL:
        r = api.client.post("/v1/decisions/no-such-family", json={"case": GRAVITY_CASE},
                            headers=api.auth(role))
        assert_problem(r, 404, "path.family")


@pytest.mark.parametrize("header", [
    "Bearer de_000000000000_" + "0" * 64,  # well-formed, unknown
    "Bearer not-a-key",
    "Basic dXNlcjpwYXNz",
    "Bearer ",
])
def test_bad_credentials_are_401(api: Api, header: str) -> None:
    r = api.client.get("/v1/policies", headers={"Authorization": header})
    assert_problem(r, 401)


def test_wrong_secret_for_a_real_key_id_is_401(api: Api) -> None:
    key = api.keys[("panel", "north")]
    forged = key[:-4] + ("0000" if not key.endswith("0000") else "1111")
    assert_problem(api.client.get("/v1/policies",
                                  headers={"Authorization": f"Bearer {forged}"}), 401)


def test_revoked_key_is_refused(api: Api) -> None:
    headers = api.auth("panel")
    assert api.client.get("/v1/policies", headers=headers).status_code == 200
    key_id = api.keys[("panel", "north")].split("_")[1]
    api.services.credentials.revoke(key_id, revoked_by="tests")
    body = assert_problem(api.client.get("/v1/policies", headers=headers), 401)
    assert "revoked" in body["detail"]


def test_health_index_and_docs_need_no_credentials(api: Api) -> None:
    for path in ("/healthz", "/readyz", "/", "/docs", "/openapi.json"):
        assert api.client.get(path).status_code == 200, path


def test_operational_roles_see_only_their_families(api: Api) -> None:
    """A stored decision of another family is 404 (not 403) for an operational role."""
    gm = api.record()["id"]
    pt = api.record("pace-transfer", role="custody")["id"]
    for role, visible in (("panel", gm), ("custody", pt)):
        for decision in (gm, pt):
            r = api.client.get(f"/v1/decisions/{decision}", headers=api.auth(role))
            if decision == visible:
                assert r.status_code == 200, r.text
            else:
                assert_problem(r, 404, "path.decision_id")
    for decision in (gm, pt):  # auditors read every family of their area
        r = api.client.get(f"/v1/decisions/{decision}",
                           headers=api.auth("auditor", X_Justification="annual audit"))
        assert r.status_code == 200
