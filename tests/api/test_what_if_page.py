"""The auditor's what-if over a search, without a browser: refused requests start no job
and say why beside the search; a started job is the API's replay job (same area, same
logging), and another area cannot open it. Runs on SQLite and (CI) PostgreSQL."""

from __future__ import annotations

import re

from decision_engine.audit import RecordFilter
from tests.api.conftest import Api
from tests.api.test_sign_in import PASSWORD, _token, sign_in

WHY = "What-if for the board's Q4 review"


def _auditor(api: Api, name: str = "aud.north", area: str = "north") -> str:
    api.services.people.create(name, PASSWORD, "auditor", area, created_by="tests")
    sign_in(api, name)
    return _token(api.client.get("/home").text)


def _jobs(api: Api) -> int:
    row = api.services.store.db.query_one("SELECT count(*) FROM api_replay_jobs")
    return int(row[0]) if row else 0


def test_a_refused_what_if_starts_nothing_and_says_why(api: Api) -> None:
    token = _auditor(api)
    cases = [({"family": "gravity-matrix", "target_version": "no-such-version"},
              "target_version"),
             ({"target_version": "npcc-2023"}, "family"),
             ({"family": "gravity-matrix", "target_version": "npcc-2023",
               "date_from": "2025-02-01", "date_to": "2024-01-01"}, "date_to")]
    for form, field in cases:
        r = api.client.post("/audit/what-if", data={"csrf_token": token,
                                                    "justification": WHY, **form})
        assert r.status_code == 422, r.text
        assert "What-if refused" in r.text and field.replace("_", " ") in r.text.replace(
            "_", " ")
    r = api.client.post("/audit/what-if", data={"csrf_token": token, "family":
                                                "gravity-matrix", "target_version": "npcc-2023"})
    assert r.status_code in (400, 422) and "justification" in r.text.lower()
    r = api.client.post("/audit/what-if", data={"family": "gravity-matrix",
                                                "target_version": "npcc-2023",
                                                "justification": WHY})
    assert r.status_code == 403  # no CSRF token
    assert _jobs(api) == 0


def test_a_what_if_is_a_logged_replay_job_of_its_own_area(api: Api) -> None:
    token = _auditor(api)
    before = api.services.store.count(RecordFilter(kind="access"))
    r = api.client.post("/audit/what-if", data={"csrf_token": token, "justification": WHY,
                                                "family": "gravity-matrix",
                                                "target_version": "acpo-2013"},
                        follow_redirects=False)
    assert r.status_code == 303
    job_url = r.headers["location"]
    assert re.fullmatch(r"/audit/jobs/[0-9a-f-]{36}", job_url)
    page = api.client.get(job_url)
    assert page.status_code == 200 and "acpo-2013" in page.text
    job = api.services.jobs.get(job_url.rsplit("/", 1)[1], "north")
    assert job is not None and job.request.target_version == "acpo-2013"
    assert job.request.family == "gravity-matrix" and job.created_by == "aud.north#user"
    api.services.jobs.stop(timeout=30)  # let the job finish and log its access
    logged = [r for r in api.services.store.list_records(RecordFilter(kind="access"),
                                                         limit=1000)][before:]
    assert any(r.detail_obj.get("action") == "replay"
               and r.detail_obj.get("justification") == WHY for r in logged)
    api.client.post("/sign-out", data={"csrf_token": token})
    _auditor(api, "aud.south", "south")
    assert api.client.get(job_url).status_code == 404
