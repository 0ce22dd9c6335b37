"""Logs never carry a case reference or a date of birth (reliability target 7), even
when a request fails in an unexpected way."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from decision_engine_api.app import create_app
from tests.api.conftest import Api

REFERENCE = "LOGCHECK-7731"
BORN = "2011-04-09"


def test_logs_hold_no_identifiers(api: Api, caplog: pytest.LogCaptureFixture,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    case = {"case_reference": REFERENCE, "date_of_birth": BORN, "facts": {
        "offence": "theft_from_shop", "sufficient_evidence": True, "admission": "admitted"}}
    created = api.record(case=case, decision_date="2025-06-01")
    decision = created["id"]
    c = api.client
    c.get(f"/v1/decisions/{decision}", headers=api.auth("panel"))
    c.post(f"/v1/decisions/{decision}/final", json={"final_outcome": "charge",
                                                    "rationale": f"about {REFERENCE}"},
           headers=api.auth("panel"))
    c.post(f"/v1/decisions/{decision}/replay", headers=api.auth("auditor",
                                                                X_Justification="log test"))
    c.post("/v1/decisions/gravity-matrix", json={"case": {**case, "date_of_birth": "2011-02-30"}},
           headers=api.auth("panel"))
    c.post("/v1/decisions/gravity-matrix", json={"case": {**case, "age": 99}},
           headers=api.auth("panel"))

    import decision_engine_api.routes.decisions as routes

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"failed for {REFERENCE} born {BORN}")

    monkeypatch.setattr(routes, "decide", boom)
    with TestClient(create_app(services=api.services), raise_server_exceptions=True) as c2:
        assert c2.post("/v1/decisions/gravity-matrix", json={"case": case},
                       headers=api.auth("panel")).status_code == 500

    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert caplog.records, "expected at least the 500 to be logged"
    assert REFERENCE not in text
    assert BORN not in text and "09/04/2011" not in text
