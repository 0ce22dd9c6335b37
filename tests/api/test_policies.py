"""Policies, the HTML index and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import ROOT, Api, assert_problem

OPERATION_IDS = {
    "get_decision", "record_final_decision", "replay_decision",
    "create_replay_job", "get_replay_job", "export_decisions", "get_report", "list_policies",
    "get_policy_version", "healthz", "readyz",
}


def test_list_policies(api: Api) -> None:
    r = api.client.get("/v1/policies", headers=api.auth("policy_admin"))
    assert r.status_code == 200
    families = {f["family"]: f for f in r.json()}
    assert set(families) == set(api.services.registry.families())
    versions = {v["version"] for v in families["gravity-matrix"]["versions"]}
    assert {"acpo-2013", "npcc-2023", "npcc-2025"} <= versions
    first = families["gravity-matrix"]["versions"][0]
    assert first["href"] == f"/v1/policies/gravity-matrix/{first['version']}"


def test_revisions_say_what_they_supersede_and_correct(api: Api) -> None:
    """Issue 9: a revision names the version it supersedes and what it corrects; the
    superseded version names its revision."""
    r = api.client.get("/v1/policies", headers=api.auth("panel"))
    assert r.status_code == 200
    versions = {v["version"]: v for f in r.json() if f["family"] == "gravity-matrix"
                for v in f["versions"]}
    assert versions["npcc-2023"]["superseded_by"] == ["npcc-2023-r2"]
    assert versions["npcc-2023-r2"]["supersedes"] == "npcc-2023"
    assert any(c.startswith("1: s.66B") for c in versions["npcc-2023-r2"]["corrects"])
    one = api.client.get("/v1/policies/gravity-matrix/npcc-2025", headers=api.auth("panel"))
    assert one.json()["summary"]["superseded_by"] == ["npcc-2025-r2"]


def test_policy_version_has_yaml_and_rendered_tables(api: Api) -> None:
    r = api.client.get("/v1/policies/gravity-matrix/npcc-2025", headers=api.auth("panel"))
    assert r.status_code == 200
    body = r.json()
    assert body["yaml"] == (ROOT / "rules/gravity-matrix/npcc-2025.yaml").read_text(
        encoding="utf-8")
    assert body["summary"]["sha256"] == api.services.registry.get(
        "gravity-matrix", "npcc-2025").sha256
    tables = {t["name"]: t for t in body["tables"]}
    offences = tables["offences"]
    robbery = next(row for row in offences["rows"] if row["key"] == "robbery")
    assert robbery["base_score"] == 5 and robbery["verified"] is False
    assert offences["markdown"].startswith("| key | title | base_score")
    assert "| robbery |" in offences["markdown"]
    assert "youth_caution" in body["outcomes"] and body["rules"] > 0
    document = body["document"]
    assert '<a id="rule-band-3-youth-caution"></a>' in document
    assert "| <a id=\"row-offences-robbery\"></a>robbery | Robbery (Theft Act 1968 s.8) | 5 |" \
        in document


def test_unknown_policy_is_404(api: Api) -> None:
    assert_problem(api.client.get("/v1/policies/nope/v1", headers=api.auth("panel")), 404,
                   "path.family")
    assert_problem(api.client.get("/v1/policies/gravity-matrix/v0",
                                  headers=api.auth("panel")), 404, "path.version")


def test_index_lists_families_and_links_docs(api: Api) -> None:
    r = api.client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'href="/docs"' in r.text
    for family in api.services.registry.families():
        assert f"({family})" in r.text
    assert "npcc-2025" in r.text
    assert "1 February 2025 →" in r.text  # the dates a version is in force, written out


def test_health(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz").json()
    assert ready["status"] == "ready" and "gravity-matrix" in ready["families"]


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in schema["paths"].values() for op in path.values()]


def _creates(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """POST /v1/decisions/<family> by family."""
    return {path.rsplit("/", 1)[1]: item["post"] for path, item in schema["paths"].items()
            if path.startswith("/v1/decisions/") and "{" not in path}


def test_openapi_operation_ids_are_stable(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    creates = {f"create_{f.replace('-', '_')}_decision"
               for f in api.services.registry.families()}
    assert {op["operationId"] for op in _operations(schema)} == OPERATION_IDS | creates
    assert {op["operationId"] for op in _creates(schema).values()} == creates


def test_openapi_has_an_example_for_every_request_body(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    bodies = [op for op in _operations(schema) if "requestBody" in op]
    assert len(bodies) == 3 + len(api.services.registry.families())
    for op in bodies:
        examples = op["requestBody"]["content"]["application/json"]["examples"]
        assert examples, op["operationId"]
    for family, create in _creates(schema).items():  # each family's own examples only
        examples = create["requestBody"]["content"]["application/json"]["examples"]
        assert {name.split("/")[0] for name in examples} == {family}


def test_openapi_examples_for_decisions_evaluate(api: Api) -> None:
    """Every documented case example is a real case that records (201)."""
    from tests.api.test_access import FAMILIES

    schema = api.client.get("/openapi.json").json()
    for family, create in _creates(schema).items():
        for name, example in create["requestBody"]["content"]["application/json"][
                "examples"].items():
            r = api.client.post(f"/v1/decisions/{family}", json=example["value"],
                                headers=api.auth(sorted(FAMILIES[family])[0]))
            assert r.status_code == 201, (name, r.text)


def test_openapi_errors_are_problem_json_and_routes_need_a_bearer_key(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, item in schema["paths"].items():
        for op in item.values():
            if path.startswith("/v1/"):
                assert op["security"] == [{"bearer": []}]
                assert "401" in op["responses"] and "403" in op["responses"]
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (
                        path, status)
