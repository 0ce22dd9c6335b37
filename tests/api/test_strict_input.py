"""Strict input (issue 13 defects 2 and 6), reproduced first.

* A lone surrogate (``"\\ud800"``, which Python's JSON parser accepts) in
  ``case.monitoring`` gave 500 from the API and a traceback from the CLI.
* ``decision_date: "2025-06-01T00:00:00"`` was accepted as a date, and a duplicated JSON
  key was accepted with the last value stored.

Now: any JSON the parser accepts gives 2xx or 4xx (fuzzed with hypothesis over arbitrary
JSON and unicode, surrogates included, on both the HTTP and the CLI case paths); a
datetime where a date belongs and a duplicated key are 422 naming the field.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from decision_engine.cli.main import app as cli_app
from decision_engine.policy.registry import Registry
from decision_engine_api.app import create_app
from tests.api.conftest import GRAVITY_CASE, ROOT, Api, assert_problem, make_api

URL = "/v1/decisions/gravity-matrix"
HEADERS = {"Content-Type": "application/json"}
runner = CliRunner()
FUZZ_EXAMPLES = int(os.environ.get("DECISION_ENGINE_FUZZ_EXAMPLES", "150"))


def _post_raw(api: Api, raw: str | bytes) -> Any:
    return api.client.post(URL, content=raw.encode() if isinstance(raw, str) else raw,
                           headers={**api.auth("panel"), **HEADERS})


def _body_with(**case_changes: Any) -> dict[str, Any]:
    case = json.loads(json.dumps(GRAVITY_CASE))
    case.update(case_changes)
    return {"case": case, "decision_date": "2025-06-01"}


# -- defect 2: lone surrogates -----------------------------------------------------------

def test_lone_surrogate_in_monitoring_is_422_naming_the_field(api: Api) -> None:
    raw = json.dumps(_body_with(monitoring={"ethnicity": "\ud800"}))  # ensure_ascii: \ud800
    assert "\\ud800" in raw
    problem = assert_problem(_post_raw(api, raw), 422, "body.case.monitoring.ethnicity")
    assert "surrogate" in problem["detail"]
    raw = json.dumps(_body_with(monitoring={"eth\udfffnicity": "W"}))  # in a key too
    assert_problem(_post_raw(api, raw), 422, "body.case.monitoring")
    assert api.count(None) == 0


def test_cli_lone_surrogate_is_one_line_exit_2(tmp_path: Path) -> None:
    case = dict(GRAVITY_CASE, monitoring={"ethnicity": "\ud800"})
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    out = runner.invoke(cli_app, ["decide", "gravity-matrix", "--case", str(path),
                                  "--on", "2025-06-01"])
    assert out.exit_code == 2, (out.output, out.exception)
    assert out.stderr.startswith("error: --case: ") and "monitoring.ethnicity" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


# -- defect 6: datetimes for dates, duplicate keys -----------------------------------------

@pytest.mark.parametrize(("body", "field"), [
    ({"decision_date": "2025-06-01T00:00:00"}, "body.decision_date"),
    ({"decision_date": "2025-06-01T00:00:00Z"}, "body.decision_date"),
    ({"decision_date": 1748736000}, "body.decision_date"),
    ({"decision_date": "20250601"}, "body.decision_date"),
    ({"case": dict(GRAVITY_CASE, age=None, date_of_birth="2010-01-01T00:00:00")},
     "body.case.date_of_birth"),
])
def test_datetimes_and_numbers_are_not_dates(api: Api, body: dict[str, Any],
                                             field: str) -> None:
    problem = assert_problem(_post_raw(api, json.dumps({**_body_with(), **body})), 422, field)
    assert "YYYY-MM-DD" in problem["detail"]
    assert api.count(None) == 0


def test_bulk_replay_dates_are_strict(api: Api) -> None:
    r = api.client.post("/v1/replays", json={"date_from": "2025-01-01T00:00:00"},
                        headers=api.auth("auditor", X_Justification="check"))
    assert_problem(r, 422, "body.date_from")


@pytest.mark.parametrize(("raw", "field"), [
    ('{"case": %s, "case": %s}', "body.case"),
    ('{"case": %s, "decision_date": "2025-06-01", "decision_date": "2025-06-02"}',
     "body.decision_date"),
])
def test_duplicate_keys_are_422_naming_the_field(api: Api, raw: str, field: str) -> None:
    case = json.dumps(GRAVITY_CASE)
    text = raw % ((case, case) if raw.count("%s") == 2 else (case,))
    problem = assert_problem(_post_raw(api, text), 422, field)
    assert "more than once" in problem["detail"]
    nested = json.dumps(_body_with()).replace('"case_reference":',
                                              '"case_reference": "DUP-1", "case_reference":')
    assert_problem(_post_raw(api, nested), 422, "body.case.case_reference")
    assert api.count(None) == 0


def test_valid_request_still_recorded(api: Api) -> None:
    r = _post_raw(api, json.dumps(_body_with()))
    assert r.status_code == 201, r.text
    assert r.json()["decision"]["decision_date"] == "2025-06-01"


@pytest.mark.parametrize(("text", "field"), [
    ('{"case_reference": "A-1", "case_reference": "B-2", "age": 14}', "case_reference"),
    ('{"case_reference": "A-1", "date_of_birth": "2010-01-01T00:00:00"}', "date_of_birth"),
])
def test_cli_case_files_are_strict(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "case.json"
    path.write_text(text, encoding="utf-8")
    out = runner.invoke(cli_app, ["decide", "gravity-matrix", "--case", str(path),
                                  "--on", "2025-06-01"])
    assert out.exit_code == 2, (out.output, out.exception)
    assert field in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_cli_on_is_strict() -> None:
    out = runner.invoke(cli_app, ["decide", "gravity-matrix", "--case",
                                  str(ROOT / "examples/gravity-matrix/admitted-shoplifting.json"),
                                  "--on", "20250601"])
    assert out.exit_code == 2 and "--on" in out.stderr


# -- fuzz: any JSON the parser accepts → 2xx/4xx ------------------------------------------

_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
_SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
            | st.floats(allow_nan=False, allow_infinity=False) | _TEXT)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(_TEXT, inner, max_size=4), max_leaves=12)
_FIELDS = ["case_reference", "date_of_birth", "age", "facts", "monitoring"]
_FACTS = ["offence", "sufficient_evidence", "admission", "aggravating", "mitigating",
          "previous_disposals", "signed_consent"]


@st.composite
def _case(draw: st.DrawFn) -> Any:
    """Arbitrary JSON, or a valid case with one field (or fact) replaced by it."""
    if draw(st.booleans()):
        return draw(_JSON)
    case = json.loads(json.dumps(GRAVITY_CASE))
    if draw(st.booleans()):
        case["facts"][draw(st.sampled_from(_FACTS) | _TEXT)] = draw(_JSON)
    else:
        case[draw(st.sampled_from(_FIELDS))] = draw(_JSON)
    return case


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[TestClient]:
    with tempfile.TemporaryDirectory(prefix="decision-engine-strict-") as tmp:
        services, keys = make_api(Registry.load(ROOT), f"sqlite:///{Path(tmp) / 'f.db'}")
        try:
            with TestClient(create_app(services=services)) as client:
                client.headers["Authorization"] = f"Bearer {keys[('panel', 'north')]}"
                client.headers["Content-Type"] = "application/json"
                yield client
        finally:
            services.close()


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=_case(), date=_JSON | st.just("2025-06-01"), top=_JSON)
def test_fuzz_any_accepted_json_is_2xx_or_4xx(fuzz_client: TestClient, case: Any, date: Any,
                                              top: Any) -> None:
    for body in ({"case": case, "decision_date": date}, {"case": case}, top):
        raw = json.dumps(body)  # ensure_ascii: surrogates travel as \ud800 escapes
        r = fuzz_client.post(URL, content=raw.encode())
        assert r.status_code < 500, (raw, r.text)
        if r.status_code >= 400:
            problem = r.json()
            assert problem["errors"] and problem["errors"][0]["field"].startswith("body")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=_case())
def test_fuzz_cli_case_files_exit_0_or_2(tmp_path_factory: pytest.TempPathFactory,
                                         case: Any) -> None:
    path = tmp_path_factory.mktemp("case") / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    out = runner.invoke(cli_app, ["decide", "gravity-matrix", "--case", str(path),
                                  "--on", "2025-06-01", "--engine", "fast"])
    assert out.exit_code in (0, 2), (case, out.output, out.exception)
    assert out.exception is None or isinstance(out.exception, SystemExit)

