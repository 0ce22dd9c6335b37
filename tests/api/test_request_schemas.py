"""The generated request schemas agree with the service: schema-valid ⇔ accepted.

schemathesis (test_schemathesis.py) samples this at random; these cases pin the parts
that are easy to get wrong: the version chosen by the decision date, a named version, a
consulted family's days, null facts, whole numbers, and the date patterns themselves.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

import pytest

from decision_engine.engine.service import Case
from decision_engine.policy.registry import Registry
from decision_engine_api import request_schemas
from decision_engine_api.date_patterns import dates_pattern, merge, number_range, subtract
from tests.api.conftest import Api, example_body

jsonschema_rs = pytest.importorskip("jsonschema_rs", reason="jsonschema_rs (a schemathesis "
                                    "dependency, dev extras) is not installed")

GRAVITY_2015 = {"case": {"case_reference": "T-1", "age": 15,
                         "facts": {"offence": "theft_from_shop", "sufficient_evidence": True,
                                   "admission": "admitted"}},
                "decision_date": "2015-06-01"}


def _valid(api: Api, family: str, body: dict[str, Any]) -> bool:
    document = api.client.get("/openapi.json").json()
    name = request_schemas.component_name(family) + "DecisionCreate"
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return bool(jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(body))


def _accepted(api: Api, family: str, body: dict[str, Any], role: str = "panel") -> int:
    return api.client.post(f"/v1/decisions/{family}", json=body,
                           headers=api.auth(role)).status_code


def _agree(api: Api, family: str, body: dict[str, Any], role: str = "panel") -> bool:
    valid, status = _valid(api, family, body), _accepted(api, family, body, role)
    assert status in (201, 422), status
    assert valid == (status == 201), (valid, status, body)
    return valid


@pytest.mark.parametrize("family", ["gravity-matrix", "contact-frequency",
                                    "enhanced-case-management"])
def test_each_example_is_schema_valid_and_accepted(api: Api, family: str) -> None:
    role = {"gravity-matrix": "panel"}.get(family, "case_manager")
    assert _agree(api, family, example_body(family), role)


def test_the_decision_date_chooses_the_version_whose_facts_the_schema_checks(
        api: Api) -> None:
    """The Scaled Approach (until 31 March 2019) reads asset_score, the 2019 standards do
    not: each version's branch admits its own days and facts, exactly as the service."""
    body = example_body("contact-frequency")  # 2012, with an asset_score
    facts = dict(body["case"]["facts"])
    del facts["asset_score"]
    without = {**body, "case": {**body["case"], "facts": facts}}
    for day, with_score in [("2012-05-10", True), ("2019-03-31", True),
                            ("2019-04-01", False), ("2024-01-01", False)]:
        assert _agree(api, "contact-frequency", {**body, "decision_date": day},
                      "case_manager") is with_score
        assert _agree(api, "contact-frequency", {**without, "decision_date": day},
                      "case_manager")  # asset_score may be left out under 2009 too
    assert not _agree(api, "contact-frequency", {**body, "decision_date": "2009-11-29"},
                      "case_manager")  # before any version
    assert _agree(api, "gravity-matrix", GRAVITY_2015)
    assert not _agree(api, "gravity-matrix", {**GRAVITY_2015, "decision_date": "2013-04-07"})
    later = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
    assert not _agree(api, "gravity-matrix", {**GRAVITY_2015,
                                              "decision_date": later.isoformat()})


def test_a_named_version_decides_any_day_up_to_tomorrow(api: Api) -> None:
    body = {**GRAVITY_2015, "policy_version": "npcc-2025", "decision_date": "2001-01-01"}
    assert _agree(api, "gravity-matrix", body)
    assert not _agree(api, "gravity-matrix", {**body, "policy_version": "npcc-2099"})


def test_a_consulted_family_must_have_a_version_in_force(api: Api) -> None:
    """oocd-pathways consults the gravity matrix, registered from 8 April 2013."""
    body = example_body("oocd-pathways")
    named = {**body, "policy_version": "cif-2025"}
    assert _agree(api, "oocd-pathways", {**named, "decision_date": "2015-01-01"},
                  "court_officer")
    assert not _agree(api, "oocd-pathways", {**named, "decision_date": "2010-01-01"},
                      "court_officer")


def test_optional_facts_may_be_null_and_required_ones_may_not(api: Api) -> None:
    body = example_body("pace-transfer")
    facts = body["case"]["facts"]
    optional = {**body, "case": {**body["case"], "facts": {**facts, "la_response": None}}}
    assert _agree(api, "pace-transfer", optional, "custody")
    required = {**body, "case": {**body["case"], "facts": {**facts, "charged": None}}}
    assert not _agree(api, "pace-transfer", required, "custody")


@pytest.mark.parametrize(("age", "accepted"), [(15, True), (15.0, True), (15.5, False),
                                               ("15", False), (True, False)])
def test_whole_numbers_are_integers_strings_and_booleans_are_not(
        api: Api, age: Any, accepted: bool) -> None:
    """JSON Schema's integer admits 15.0 (the same JSON number as 15): so does the
    service, for the age and for every whole-number fact."""
    body = {**GRAVITY_2015, "case": {**GRAVITY_2015["case"], "age": age}}
    assert _agree(api, "gravity-matrix", body) is accepted
    facts = {**GRAVITY_2015["case"]["facts"], "previous_disposals": age}
    assert _agree(api, "gravity-matrix", {**GRAVITY_2015, "case": {
        **GRAVITY_2015["case"], "facts": facts}}) is accepted


@pytest.mark.parametrize("when", ["0", "2025-06-01T00:00:00", "20250601"])
def test_export_and_report_dates_are_yyyy_mm_dd(api: Api, when: str) -> None:
    """`?date_to=0` was read as a Unix timestamp (1970-01-01) and answered 200."""
    headers = api.auth("auditor", X_Justification="schema test")
    r = api.client.get("/v1/exports/decisions", params={"date_to": when}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.date_to"
    r = api.client.get("/v1/reports/disproportionality",
                       params={"from": "2024-01-01", "to": when}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.to"


@pytest.mark.parametrize("role", ["panel", "auditor"])
def test_a_blank_justification_is_refused_for_every_role(api: Api, role: str) -> None:
    """The schema says some non-space character; a blank header used to mean "none" for
    operational roles and "missing" for oversight ones."""
    decision = api.record()
    r = api.client.get(f"/v1/decisions/{decision['id']}",
                       headers=api.auth(role, X_Justification="  "))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "header.X-Justification"


def test_the_case_reference_pattern_is_the_models() -> None:
    field = Case.model_json_schema()["properties"]["case_reference"]
    assert field["pattern"] == request_schemas.CASE_REFERENCE


def test_number_ranges_are_exact() -> None:
    for lo, hi, width in [(0, 99, 2), (1, 31, 2), (8, 30, 2), (2014, 2025, 4), (1, 2025, 4)]:
        pattern = re.compile(f"^(?:{number_range(lo, hi, width)})$")
        assert [n for n in range(10**width) if pattern.match(f"{n:0{width}d}")] == list(
            range(lo, hi + 1))


def test_date_patterns_admit_exactly_their_days() -> None:
    rng = random.Random(9)
    for _ in range(200):
        start = dt.date(rng.randint(1, 2030), rng.randint(1, 12), rng.randint(1, 28))
        end = start + dt.timedelta(days=rng.choice([0, 1, 31, 366, rng.randint(0, 9000)]))
        pattern = re.compile(dates_pattern([(start, end)]))
        days = [start, end, start - dt.timedelta(days=1), end + dt.timedelta(days=1),
                *(start + dt.timedelta(days=rng.randint(0, (end - start).days))
                  for _ in range(20))]
        for day in days:
            assert bool(pattern.match(day.isoformat())) == (start <= day <= end), (start, end,
                                                                                   day)


def test_two_open_ended_intervals_merge() -> None:
    """A version superseded by two open-ended revisions (npcc-2025 by r2, then r3): the
    days to subtract are two intervals ending at dt.date.max, which have no day after."""
    forever = dt.date.max
    assert merge([(dt.date(2025, 2, 1), forever), (dt.date(2025, 2, 1), forever)]) == [
        (dt.date(2025, 2, 1), forever)]
    assert subtract([(dt.date(2025, 2, 1), forever)],
                    [(dt.date(2025, 2, 1), forever), (dt.date(2026, 1, 1), forever)]) == []


def test_the_document_is_rebuilt_when_the_day_changes(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Decision dates may be at most tomorrow, so the patterns move with the day."""

    def latest_admitted(day: dt.date) -> list[bool]:
        monkeypatch.setattr(request_schemas, "today", lambda: day)
        schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
        # NPCC 2025 as its current revision (issue 9): npcc-2025 itself is only named
        in_force = Registry.load().current("gravity-matrix", "npcc-2025")
        branch = next(b for b in schemas["GravityMatrixDecisionCreate"]["anyOf"]
                      if b["title"] == f"{in_force}, in force on the decision date")
        date = branch["properties"]["decision_date"]["anyOf"][0]
        return [bool(re.match(date["pattern"], (day + dt.timedelta(days=n)).isoformat()))
                for n in (1, 2)]

    assert latest_admitted(dt.date(2026, 1, 10)) == [True, False]
    assert latest_admitted(dt.date(2026, 1, 11)) == [True, False]


def test_a_superseded_version_is_chosen_only_by_name(api: Api) -> None:
    """Issue 9: on the days a revision is in force the date selects it, never the version
    it supersedes, so the superseded version's only branch names it."""
    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    titles = [b["title"] for b in schemas["GravityMatrixDecisionCreate"]["anyOf"]]
    assert "npcc-2025, named" in titles
    assert "npcc-2025, in force on the decision date" not in titles
    # a chain (r2, then r3 for issue 9 items 7 and 10, then r4): only the last is chosen by date
    assert "npcc-2025-r2, named" in titles
    assert "npcc-2025-r2, in force on the decision date" not in titles
    # and r4 (item 7's due dates) after r3
    assert "npcc-2025-r3, named" in titles
    assert "npcc-2025-r3, in force on the decision date" not in titles
    assert "npcc-2025-r4, in force on the decision date" in titles


def test_consulted_days_follow_the_consulted_versions() -> None:
    """Every gravity-matrix version accepts what the court officer's check passes on, so
    the check decides from the first gravity matrix onwards (8 April 2013)."""
    from decision_engine.policy.registry import Registry

    registry = Registry.load()
    for pv in registry.versions("oocd-pathways"):
        assert request_schemas.consult_days(registry, pv) == [
            (dt.date(2013, 4, 8), dt.date.max)]
    assert request_schemas.consult_days(
        registry, registry.get("gravity-matrix", "npcc-2025")) == [
        (request_schemas.FIRST_DAY, dt.date.max)]
