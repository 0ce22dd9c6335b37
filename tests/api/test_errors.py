"""Bad requests get RFC 9457 problem+json naming the field, never a 500, and write
nothing: malformed JSON, unknown fields, wrong types, oversized bodies, bad dates,
unknown offence codes, unknown versions and families."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from decision_engine_api.app import create_app
from tests.api.conftest import GRAVITY_CASE, Api, assert_problem

URL = "/v1/decisions/gravity-matrix"


def case(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(GRAVITY_CASE))
    for key, value in changes.items():
        if key.startswith("facts_"):
            out["facts"][key[6:]] = value
        else:
            out[key] = value
    return out


BAD_BODIES: list[tuple[str, Any, int, str]] = [
    ("unknown top-level field", {"case": case(), "colour": "red"}, 422, "body.colour"),
    ("unknown case field", {"case": case(name="Jo Bloggs")}, 422, "body.case.name"),
    ("missing case", {"decision_date": "2025-01-01"}, 422, "body.case"),
    ("case not an object", {"case": "EX-1"}, 422, "body.case"),
    ("body not an object", [1, 2], 422, "body"),
    ("wrong type for age", {"case": case(age="fourteen")}, 422, "body.case.age"),
    ("age out of range", {"case": case(age=30)}, 422, "body.case.age"),
    ("impossible date of birth", {"case": case(age=None, date_of_birth="2011-02-30")},
     422, "body.case.date_of_birth"),
    ("date of birth not a date", {"case": case(age=None, date_of_birth="last May")},
     422, "body.case.date_of_birth"),
    ("born after the decision", {"case": case(age=None, date_of_birth="2030-01-01"),
                                 "decision_date": "2025-06-01"}, 422,
     "body.case.date_of_birth"),
    ("bad decision date", {"case": case(), "decision_date": "2025-13-01"}, 422,
     "body.decision_date"),
    ("decision date in the future", {"case": case(), "decision_date": "2999-01-01"}, 422,
     "body.decision_date"),
    ("no version in force", {"case": case(), "decision_date": "1999-01-01"}, 422,
     "body.decision_date"),
    ("unknown offence code", {"case": case(facts_offence="jaywalking")}, 422,
     "body.case.facts.offence"),
    ("unknown fact", {"case": case(facts_favourite_colour="red")}, 422,
     "body.case.facts.favourite_colour"),
    ("wrong fact type", {"case": case(facts_sufficient_evidence="yes")}, 422,
     "body.case.facts.sufficient_evidence"),
    ("unknown policy version", {"case": case(), "policy_version": "npcc-1999"}, 422,
     "body.policy_version"),
    ("bad case reference", {"case": case(case_reference="no spaces please")}, 422,
     "body.case.case_reference"),
]


@pytest.mark.parametrize(("name", "body", "status", "field"), BAD_BODIES,
                         ids=[b[0] for b in BAD_BODIES])
def test_bad_body_is_a_problem_naming_the_field(api: Api, name: str, body: Any,
                                                 status: int, field: str) -> None:
    before = api.count(None)
    r = api.client.post(URL, json=body, headers=api.auth("panel"))
    assert_problem(r, status, field)
    assert api.count(None) == before, "nothing may be written for a bad request"


def test_malformed_json_is_400(api: Api) -> None:
    for raw in (b"{", b'{"case": }', b"\xff\xfe", b"NaN", b""):
        r = api.client.post(URL, content=raw, headers={**api.auth("panel"),
                                                       "Content-Type": "application/json"})
        assert r.status_code in (400, 422), raw
        assert_problem(r, r.status_code, "body")
    assert api.count(None) == 0


def test_non_finite_numbers_are_refused(api: Api) -> None:
    raw = json.dumps({"case": case(facts_previous_disposals=float("nan"))}).encode()
    r = api.client.post(URL, content=raw, headers={**api.auth("panel"),
                                                   "Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
    assert api.count(None) == 0


def test_oversized_body_is_413_whether_declared_or_streamed(api: Api) -> None:
    limit = api.services.settings.max_body_bytes
    big = json.dumps({"case": case(), "pad": "x" * limit}).encode()
    r = api.client.post(URL, content=big, headers={**api.auth("panel"),
                                                   "Content-Type": "application/json"})
    assert_problem(r, 413, "body")

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        for i in range(0, len(big), 4096):
            yield big[i:i + 4096]

    r = api.client.post(URL, content=chunks(), headers={**api.auth("panel"),
                                                        "Content-Type": "application/json"})
    assert_problem(r, 413, "body")
    assert api.count(None) == 0


def test_wrong_content_type_is_4xx(api: Api) -> None:
    r = api.client.post(URL, content=b"case_reference=X", headers={
        **api.auth("panel"), "Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/problem+json")


def test_unknown_route_and_method(api: Api) -> None:
    assert_problem(api.client.get("/v2/anything"), 404)
    r = api.client.delete("/v1/policies", headers=api.auth("panel"))
    assert_problem(r, 405)


def test_a_wrong_method_on_a_family_or_a_decision_path_is_405_with_allow(api: Api) -> None:
    """/v1/decisions/{family} and /v1/decisions/{decision_id} share a segment; each path
    has one route, so a wrong method is 405 naming the right one (it was 422 or 404)."""
    decision_id = api.record("gravity-matrix")["id"]
    for method, path, allow in [
            ("GET", "/v1/decisions/gravity-matrix", "POST"),
            ("PUT", "/v1/decisions/pace-transfer", "POST"),
            ("POST", f"/v1/decisions/{decision_id}", "GET"),
            ("DELETE", f"/v1/decisions/{decision_id}", "GET"),
            ("GET", f"/v1/decisions/{decision_id}/final", "POST"),
            ("GET", f"/v1/decisions/{decision_id}/replay", "POST")]:
        r = api.client.request(method, path, headers=api.auth("panel"))
        assert_problem(r, 405)
        assert r.headers["allow"] == allow, (method, path)
        assert allow in r.json()["detail"]
    # A UUID starting with a letter is still an id, an unknown family still 404.
    r = api.client.get("/v1/decisions/abcdef01-2345-6789-abcd-ef0123456789",
                       headers=api.auth("panel", X_Justification="405 test"))
    assert_problem(r, 404, "path.decision_id")
    r = api.client.post("/v1/decisions/no-such-family", json={}, headers=api.auth("panel"))
    assert_problem(r, 404, "path.family")


def test_bad_path_and_query_parameters(api: Api) -> None:
    assert_problem(api.client.get("/v1/decisions/not_a_uuid", headers=api.auth("panel")),
                   422, "path.decision_id")
    r = api.client.get("/v1/exports/decisions?format=xlsx",
                       headers=api.auth("auditor", X_Justification="export test"))
    assert_problem(r, 422, "query.format")
    r = api.client.get("/v1/exports/decisions?date_from=2025-02-30",
                       headers=api.auth("auditor", X_Justification="export test"))
    assert_problem(r, 422, "query.date_from")


def test_unexpected_failure_is_a_bare_500(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """An internal error says nothing about itself: no message, no traceback."""
    import decision_engine_api.routes.decisions as routes

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"secret detail {GRAVITY_CASE['case_reference']}")

    monkeypatch.setattr(routes, "decide", boom)
    app = create_app(services=api.services)
    # raise_server_exceptions: the test client would re-raise anything that escaped the
    # app (and a server would log its traceback); nothing may escape.
    with TestClient(app, raise_server_exceptions=True) as client:
        r = client.post(URL, json={"case": case()}, headers=api.auth("panel"))
    assert_problem(r, 500)
    assert "secret" not in r.text and GRAVITY_CASE["case_reference"] not in r.text
    assert "RuntimeError" not in r.text
    assert api.count(None) == 0


@pytest.mark.parametrize("changes", [
    {"age": None, "date_of_birth": "2008-06-14"},   # 18 on the decision date
    {"age": 17, "date_of_birth": "2008-06-14"},     # does not match it
    {"age": 19},
])
def test_an_age_error_echoes_neither_the_date_of_birth_nor_the_age(
        api: Api, changes: dict[str, Any]) -> None:
    """docs/api.md: responses never include the values sent (nor an age derived from
    them); the date that fails is named, with the day the case does decide on."""
    r = api.client.post(URL, json={"case": case(**changes), "decision_date": "2026-07-01"},
                        headers=api.auth("panel"))
    body = assert_problem(r, 422)
    assert body["errors"][0]["field"] in ("body.case.date_of_birth", "body.case.age")
    for sent in ("2008", "06-14", "17", "18", "19"):
        assert sent not in r.text.replace("10 and 17", ""), sent


def test_a_case_failing_only_for_its_date_says_which_date_works(api: Api) -> None:
    r = api.client.post(URL, json={"case": case(age=None, date_of_birth="2008-06-14"),
                                   "decision_date": "2026-07-01"}, headers=api.auth("panel"))
    body = assert_problem(r, 422, "body.case.date_of_birth")
    assert 'only the decision date fails it: send "decision_date": "2025-02-01"' in body["detail"]
