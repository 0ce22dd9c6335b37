"""RFC 7240 ``Prefer: return=minimal`` on POST /v1/decisions/{family}."""

from __future__ import annotations

import json

import pytest

from decision_engine_api.prefer import preferences, preferred_return
from tests.api.conftest import GRAVITY_CASE, Api

PATH = "/v1/decisions/gravity-matrix"
MINIMAL_FIELDS = {"id", "seq", "hash", "outcome", "family", "policy_version"}


def post(api: Api, prefer: str | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = api.auth("panel", **({"Prefer": prefer} if prefer is not None else {}))
    r = api.client.post(PATH, json={"case": GRAVITY_CASE}, headers=headers)
    return r.status_code, dict(r.headers), r.content


def test_minimal_answer_names_the_record_and_location_resolves_to_it(api: Api) -> None:
    status, headers, content = post(api, "return=minimal")
    assert status == 201
    body = json.loads(content)
    assert set(body) == MINIMAL_FIELDS
    assert body["seq"] == 1 and len(body["hash"]) == 64
    assert body["family"] == "gravity-matrix" and body["policy_version"]
    assert GRAVITY_CASE["case_reference"] not in content.decode()
    assert headers["preference-applied"] == "return=minimal"
    assert headers["vary"] == "Prefer"
    assert headers["location"] == f"/v1/decisions/{body['id']}"
    # The Location is readable by the role that recorded it, and is the same record.
    r = api.client.get(headers["location"], headers=api.auth("panel"))
    assert r.status_code == 200, r.text
    stored = r.json()
    assert stored["id"] == body["id"] and stored["hash"] == body["hash"]
    assert stored["seq"] == body["seq"]
    assert stored["recommended_outcome"] == body["outcome"] == stored["decision"]["outcome"]
    assert stored["family"] == body["family"]
    assert stored["policy_version"] == body["policy_version"]


def test_minimal_answer_is_recorded_and_chained(api: Api) -> None:
    _, _, content = post(api, "return=minimal")
    body = json.loads(content)
    record = api.store.get(body["id"])
    assert record is not None and record.kind == "decision"
    assert record.hash == body["hash"] and record.seq == body["seq"]
    assert record.outcome == body["outcome"]
    assert api.count("decision") == 1
    assert api.store.verify().ok


def test_default_and_representation_answer_the_full_decision(api: Api) -> None:
    status, headers, default = post(api)
    assert status == 201 and "preference-applied" not in headers
    assert headers["vary"] == "Prefer"
    first = json.loads(default)
    assert set(first) == {"id", "seq", "hash", "service_area", "decision"}
    record = api.store.get(first["id"])
    assert record is not None and record.hash == first["hash"]
    assert first["decision"] == json.loads(str(record.output))

    status, headers, full = post(api, "return=representation")
    assert status == 201 and headers["preference-applied"] == "return=representation"
    second = json.loads(full)
    assert second["seq"] == 2
    # The same case answers the same bytes but for the record's own id and hash.
    assert full.replace(second["id"].encode(), first["id"].encode()).replace(
        second["hash"].encode(), first["hash"].encode()).replace(
        b'"seq":2', b'"seq":1') == default


@pytest.mark.parametrize("prefer", [
    "RETURN=Minimal",
    'respond-async, wait=10, return="minimal"',
    "return=minimal; foo=bar",
    "handling=lenient,return = minimal",
    'foo="a,return=representation", return=minimal',
    "return=minimal, return=representation",  # the first one counts (RFC 7240 §2)
])
def test_prefer_is_parsed_as_rfc_7240_says(api: Api, prefer: str) -> None:
    status, headers, content = post(api, prefer)
    assert status == 201 and set(json.loads(content)) == MINIMAL_FIELDS
    assert headers["preference-applied"] == "return=minimal"


@pytest.mark.parametrize("prefer", ["respond-async", "return=everything", "return",
                                    "", ";;,=,", 'return="minimal'])
def test_unknown_or_malformed_preferences_are_ignored(api: Api, prefer: str) -> None:
    status, headers, content = post(api, prefer)
    assert status == 201, content
    assert set(json.loads(content)) == {"id", "seq", "hash", "service_area", "decision"}
    assert "preference-applied" not in headers


def test_several_prefer_fields_are_one_list() -> None:
    assert preferred_return(["respond-async", "return=minimal"]) == "minimal"
    assert preferences(['a=1;x="y;z", B="q\\"r"']) == {"a": "1", "b": 'q"r'}
    assert preferred_return([]) is None


def test_refusals_are_unchanged_by_prefer(api: Api) -> None:
    r = api.client.post(PATH, json={"case": {}}, headers=api.auth(
        "panel", Prefer="return=minimal"))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert api.count("decision") == 0
