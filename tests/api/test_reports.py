"""``/v1/reports/{name}``: auditor only, logged with its justification, own area only."""

from __future__ import annotations

import csv
import io

from decision_engine.audit import RecordFilter
from decision_engine_api.credentials import ROLES
from tests.api.conftest import Api, assert_problem
from tests.reports.fixture import VERSION, fill

WHY = "Quarterly board report AUD-2026-Q4"
PATH = "/v1/reports/disproportionality?from=2024-05-01&to=2024-05-01"


def test_auditor_gets_the_report_logged(api: Api) -> None:
    fill(api.store, area="north")
    fill(api.store, area="south")
    before = api.count("access")
    r = api.client.get(PATH, headers=api.auth("auditor", X_Justification=WHY))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decisions"] == 35  # its own area only (south has 35 more)
    assert body["service_area"] == "north" and body["policy_versions"] == [VERSION]
    rows = {(row[0], row[1]): row for row in body["tables"][1]["rows"]}
    assert rows[("black", "charge")][2:5] == [5, 10, 0.5]
    assert api.count("access") == before + 1
    logged = api.store.list_records(RecordFilter(kind="access"), limit=1000)[-1]
    assert logged.detail_obj["action"] == "report"
    assert logged.detail_obj["justification"] == WHY


def test_html_and_csv(api: Api) -> None:
    fill(api.store)
    headers = api.auth("auditor", X_Justification=WHY)
    page = api.client.get(PATH + "&format=html", headers=headers)
    assert page.status_code == 200 and page.text.count("<svg") >= 3
    assert page.headers["content-type"].startswith("text/html")
    table = api.client.get(PATH + "&format=csv&table=final", headers=headers)
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(table.text)))
    assert rows[0][0] == "group" and ["black", "charge", "7", "10", "0.7"] in [
        r[:5] for r in rows]
    bad = api.client.get(PATH + "&format=csv&table=nope", headers=headers)
    assert_problem(bad, 422)


def test_every_other_role_is_refused(api: Api) -> None:
    before = api.count("access")
    for role in ROLES:
        if role == "auditor":
            continue
        r = api.client.get(PATH, headers=api.auth(role, X_Justification=WHY))
        assert role in assert_problem(r, 403)["detail"]
    assert_problem(api.client.get(PATH), 401)
    assert api.count("access") == before  # nothing read, nothing logged


def test_bad_input_is_a_specific_4xx(api: Api) -> None:
    headers = api.auth("auditor", X_Justification=WHY)
    assert_problem(api.client.get(PATH, headers=api.auth("auditor")), 422,
                   "header.X-Justification")
    assert_problem(api.client.get("/v1/reports/nope?from=2024-01-01&to=2024-02-01",
                                  headers=headers), 404, "path.name")
    assert_problem(api.client.get("/v1/reports/disproportionality?from=2024-03-01"
                                  "&to=2024-02-01", headers=headers), 422, "query.date_to")
    assert_problem(api.client.get("/v1/reports/pace-transfers?from=2024-01-01"
                                  "&to=2024-02-01&family=gravity-matrix", headers=headers),
                   422, "query.family")


def test_a_period_with_no_decisions(api: Api) -> None:
    r = api.client.get("/v1/reports/departures?from=2001-01-01&to=2001-12-31",
                       headers=api.auth("auditor", X_Justification=WHY))
    assert r.status_code == 200 and r.json()["decisions"] == 0
