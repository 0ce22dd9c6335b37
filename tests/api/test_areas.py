"""Two service areas on one store: a credential never sees another area's decisions.

Another area's decision is answered 404, exactly as a decision that does not exist,
so neither its existence nor its area leaks.
"""

from __future__ import annotations

import time
from typing import Any

from decision_engine.audit import RecordFilter
from tests.api.conftest import Api, assert_problem

AUDIT = {"X_Justification": "area isolation test"}


def _wait(api: Api, location: str, area: str) -> dict[str, Any]:
    for _ in range(200):
        job = api.client.get(location, headers=api.auth("auditor", area)).json()
        if job["status"] in ("succeeded", "failed"):
            return dict(job)
        time.sleep(0.05)
    raise AssertionError("replay job did not finish")


def test_other_area_is_404_everywhere(api: Api) -> None:
    north = api.record(area="north")
    assert north["service_area"] == "north"
    decision = north["id"]
    missing = "00000000-0000-4000-8000-000000000000"
    for target in (decision, missing):  # same answer: existence does not leak
        r = api.client.get(f"/v1/decisions/{target}", headers=api.auth("panel", "south"))
        assert_problem(r, 404, "path.decision_id")
        r = api.client.get(f"/v1/decisions/{target}",
                           headers=api.auth("auditor", "south", **AUDIT))
        assert_problem(r, 404, "path.decision_id")
        r = api.client.post(f"/v1/decisions/{target}/final",
                            json={"final_outcome": "community_resolution"},
                            headers=api.auth("panel", "south"))
        assert_problem(r, 404, "path.decision_id")
        r = api.client.post(f"/v1/decisions/{target}/replay", json={},
                            headers=api.auth("auditor", "south", **AUDIT))
        assert_problem(r, 404, "path.decision_id")
    # nothing was chained for the south attempts except access records
    assert api.count("final_decision") == 0
    # and the owning area still sees it
    r = api.client.get(f"/v1/decisions/{decision}", headers=api.auth("panel", "north"))
    assert r.status_code == 200 and r.json()["service_area"] == "north"


def test_exports_and_bulk_replays_cover_only_own_area(api: Api) -> None:
    for _ in range(3):
        api.record(area="north")
    api.record(area="south")
    north_csv = api.client.get("/v1/exports/decisions?format=csv",
                               headers=api.auth("auditor", "north", **AUDIT))
    south_csv = api.client.get("/v1/exports/decisions?format=csv",
                               headers=api.auth("auditor", "south", **AUDIT))
    assert north_csv.status_code == south_csv.status_code == 200
    assert len(north_csv.text.strip().splitlines()) == 1 + 3
    assert len(south_csv.text.strip().splitlines()) == 1 + 1
    assert ",north," in north_csv.text and ",north," not in south_csv.text

    r = api.client.post("/v1/replays", json={"family": "gravity-matrix"},
                        headers=api.auth("auditor", "south", **AUDIT))
    assert r.status_code == 202
    job = _wait(api, r.headers["location"], "south")
    assert job["status"] == "succeeded", job
    assert job["result"]["selected"] == 1 and job["result"]["reproduced"] == 1
    # a job is invisible to the other area
    r = api.client.get(r.headers["location"], headers=api.auth("auditor", "north"))
    assert_problem(r, 404, "path.job_id")


def test_access_records_carry_the_readers_area(api: Api) -> None:
    decision = api.record(area="north")["id"]
    api.client.get(f"/v1/decisions/{decision}", headers=api.auth("panel", "south"))
    accesses = api.store.list_records(RecordFilter(kind="access"))
    assert [a.service_area for a in accesses] == ["south"]
    assert accesses[0].detail_obj["record_ids"] == [decision]
