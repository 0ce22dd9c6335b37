"""Replay through the API: one decision (reproduce or what-if) and bulk jobs."""

from __future__ import annotations

import time
from typing import Any

from decision_engine.audit import RecordFilter
from decision_engine.policy.registry import Registry
from tests.api.conftest import Api, assert_problem

WHY = {"X_Justification": "Quarterly reproducibility check"}


def _wait(api: Api, location: str) -> dict[str, Any]:
    for _ in range(300):
        job: dict[str, Any] = api.client.get(location, headers=api.auth("auditor")).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("replay job did not finish")


def test_replay_one_reproduces(api: Api) -> None:
    decision = api.record()["id"]
    r = api.client.post(f"/v1/decisions/{decision}/replay", headers=api.auth("auditor", **WHY))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "reproduce" and body["status"] == "reproduced"
    assert body["replayed_outcome"] == body["recorded_outcome"] and body["diffs"] == []
    (access,) = api.store.list_records(RecordFilter(kind="access"))
    assert access.detail_obj["action"] == "replay"
    assert access.detail_obj["record_ids"] == [decision]


def test_replay_one_what_if(api: Api) -> None:
    created = api.record(decision_date="2024-06-01")
    # NPCC 2023 through its current revision (issue 9)
    assert created["decision"]["policy"]["version"] == Registry.load().current(
        "gravity-matrix", "npcc-2023")
    r = api.client.post(f"/v1/decisions/{created['id']}/replay",
                        json={"target_version": "acpo-2013"},
                        headers=api.auth("policy_admin", **WHY))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "impact" and body["replay_version"] == "acpo-2013"
    assert body["status"] in ("changed", "unchanged")
    assert (body["status"] == "changed") == (body["replayed_outcome"]
                                             != body["recorded_outcome"])


def test_replay_one_needs_a_known_version_and_a_justification(api: Api) -> None:
    decision = api.record()["id"]
    r = api.client.post(f"/v1/decisions/{decision}/replay", json={"target_version": "v9"},
                        headers=api.auth("auditor", **WHY))
    assert_problem(r, 422, "body.target_version")
    r = api.client.post(f"/v1/decisions/{decision}/replay", headers=api.auth("auditor"))
    assert_problem(r, 422, "header.X-Justification")
    r = api.client.post(f"/v1/decisions/{decision}/replay", json={"engine": "fast"},
                        headers=api.auth("auditor", **WHY))
    assert_problem(r, 422, "body.engine")


def test_bulk_replay_job_reports_progress_and_result(api: Api) -> None:
    for _ in range(5):
        api.record()
    r = api.client.post("/v1/replays", json={"family": "gravity-matrix"},
                        headers=api.auth("auditor", **WHY))
    assert r.status_code == 202, r.text
    queued = r.json()
    assert r.headers["location"] == f"/v1/replays/{queued['id']}"
    assert queued["status"] in ("queued", "running", "succeeded")
    assert queued["created_by"].startswith("auditor north#")
    job = _wait(api, r.headers["location"])
    assert job["status"] == "succeeded", job
    assert job["progress"] == {"selected": 5, "processed": 5, "fraction": 1.0}
    result = job["result"]
    assert result["mode"] == "reproduce" and result["reproduced"] == 5
    assert result["differs"] == 0 and result["errors"] == 0 and result["items"] == []
    assert job["started_at"] and job["finished_at"]


def test_bulk_what_if_counts_changed_outcomes(api: Api) -> None:
    for _ in range(3):
        api.record(decision_date="2024-06-01")
    r = api.client.post("/v1/replays", json={"family": "gravity-matrix",
                                             "target_version": "acpo-2013",
                                             "date_from": "2024-01-01",
                                             "date_to": "2024-12-31"},
                        headers=api.auth("policy_admin", **WHY))
    assert r.status_code == 202, r.text
    job = _wait(api, r.headers["location"])
    assert job["status"] == "succeeded"
    result = job["result"]
    assert result["mode"] == "impact" and result["processed"] == 3
    assert len(result["items"]) == result["outcome_changed"]


def test_bulk_replay_validation(api: Api) -> None:
    headers = api.auth("auditor", **WHY)
    r = api.client.post("/v1/replays", json={"target_version": "acpo-2013"}, headers=headers)
    assert_problem(r, 422, "body.family")
    r = api.client.post("/v1/replays", json={"family": "gravity-matrix",
                                             "target_version": "nope"}, headers=headers)
    assert_problem(r, 422, "body.target_version")
    r = api.client.post("/v1/replays", json={"date_from": "2025-02-01",
                                             "date_to": "2025-01-01"}, headers=headers)
    assert_problem(r, 422, "body.date_to")
    r = api.client.post("/v1/replays", json={"family": "no-such"}, headers=headers)
    assert_problem(r, 422, "body.family")
    r = api.client.post("/v1/replays", json={}, headers=api.auth("auditor"))
    assert_problem(r, 422, "header.X-Justification")
    assert_problem(api.client.get("/v1/replays/00000000-0000-4000-8000-000000000000",
                                  headers=headers), 404, "path.job_id")
