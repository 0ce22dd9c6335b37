"""schemathesis over the OpenAPI document, once per role: no 5xx, and every response
matches the documented status codes, content types and schemas.

Bounded for CI: a few generated cases per operation per role plus the documented
examples, against the real ASGI app on a throwaway SQLite store seeded with one decision
per family, so reads, finals and replays meet real records as well as missing ones.

The app is built when this module is imported (schemathesis reads the schema at
collection); schemathesis' lazy ``from_fixture`` loader does not work with pytest 9.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from decision_engine.policy.registry import Registry
from decision_engine_api.app import create_app
from decision_engine_api.credentials import ROLES
from tests.api.conftest import ROOT, example_body, make_api
from tests.api.test_access import FAMILIES

EXAMPLES_PER_OPERATION = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]

_TMP = tempfile.TemporaryDirectory(prefix="decision-engine-fuzz-")
_SERVICES, _KEYS = make_api(Registry.load(ROOT), f"sqlite:///{Path(_TMP.name) / 'fuzz.db'}")
APP = create_app(services=_SERVICES)
SEEDED: list[str] = []
with TestClient(APP) as _client:  # one decision per family in "north", and a replay job
    for _family, _roles in FAMILIES.items():
        _role = sorted(_roles)[0]
        _r = _client.post(f"/v1/decisions/{_family}", json=example_body(_family),
                          headers={"Authorization": f"Bearer {_KEYS[(_role, 'north')]}"})
        assert _r.status_code == 201, _r.text
        SEEDED.append(_r.json()["id"])
    _r = _client.post("/v1/replays", json={}, headers={
        "Authorization": f"Bearer {_KEYS[('auditor', 'north')]}", "X-Justification": "seed"})
    assert _r.status_code == 202, _r.text
    JOB = _r.json()["id"]
_calls = itertools.count()

# The coverage phase (hundreds of boundary cases per operation) is left to the targeted
# tests in test_errors.py; here: the documented examples and a few generated cases.
_CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False},
                                                   "stateful": {"enabled": False}},
                                        "seed": 20261122})
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=_CONFIG)


@pytest.fixture(scope="module", autouse=True)
def _close_store() -> Iterator[None]:
    yield
    _SERVICES.close()
    _TMP.cleanup()


def _run_as(role: str) -> Callable[..., None]:
    """One schemathesis test per role (pytest's own parametrize cannot reach inside)."""

    @schema.parametrize()
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def test(case: Any) -> None:
        # Every other case that names a decision or job names a real one, so the
        # success paths are fuzzed too, not only 404s.
        n = next(_calls)
        params = case.path_parameters or {}
        if "decision_id" in params and n % 2:
            params["decision_id"] = SEEDED[n // 2 % len(SEEDED)]
        if "job_id" in params and n % 2:
            params["job_id"] = JOB
        # The role's key always; a justification unless the case generated its own.
        case.headers = {"X-Justification": "schemathesis run", **(case.headers or {}),
                        "Authorization": f"Bearer {_KEYS[(role, 'north')]}"}
        case.call_and_validate(checks=CHECKS)

    test.__name__ = test.__qualname__ = f"test_schema_as_{role}"
    runner: Callable[..., None] = test
    return runner


for _role_name in ROLES:
    globals()[f"test_schema_as_{_role_name}"] = _run_as(_role_name)
