"""``schemathesis run --checks all`` over the OpenAPI document, once per role: 0 failures.

Every check schemathesis has runs (server errors, status codes, content types, response
headers and schemas, schema-valid data accepted and schema-invalid data refused, missing
required headers, unsupported methods and ``Allow``, use-after-free, resource
availability, ignored auth, object-level authorisation), on the documented examples and
a bounded number of generated cases per operation, positive and negative, against the
real ASGI app on a throwaway SQLite store seeded with one decision per family, so reads,
finals and replays meet real records as well as missing ones.

One check is narrowed, not disabled: ``positive_data_acceptance`` also accepts a 422
whose every error names a field in :data:`RELATIONAL`, the rules that depend on another
field or on a stored record and that no JSON Schema can state (docs/api.md, "What the
schema cannot say"); any other 422 for schema-valid data still fails.

The app is built when this module is imported (schemathesis reads the schema at
collection); schemathesis' lazy ``from_fixture`` loader does not work with pytest 9.
Skipped, saying why, where schemathesis is not installed (it is in the dev extras).
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed (pip install -e '.[dev]')")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from schemathesis.auths import GLOBAL_AUTH_STORAGE  # noqa: E402
from schemathesis.checks import CHECKS as _CHECK_REGISTRY  # noqa: E402
from schemathesis.checks import load_all_checks  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.core.failures import Failure  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from decision_engine.policy.registry import Registry  # noqa: E402
from decision_engine_api.app import create_app  # noqa: E402
from decision_engine_api.credentials import ROLES  # noqa: E402
from tests.api.conftest import ROOT, example_body, make_api  # noqa: E402
from tests.api.test_access import FAMILIES  # noqa: E402

EXAMPLES_PER_OPERATION = int(os.environ.get("DECISION_ENGINE_SCHEMATHESIS_EXAMPLES", "5"))
CI_SEED = 20261122
SEED = int(os.environ.get("DECISION_ENGINE_SCHEMATHESIS_SEED", str(CI_SEED)))
"""CI's bound (the whole module runs in about a minute); raise them to search further."""

RELATIONAL: dict[str, frozenset[str]] = {
    # The child's age worked out from the date of birth on the decision date must be
    # within the version's bounds, and match `age` when both are given.
    "create": frozenset({"body.case.date_of_birth", "body.case.age"}),
    # An outcome of the recorded decision's own version; a rationale when departing from
    # the recommendation or replacing a final, never holding the child's identifiers.
    "record_final_decision": frozenset({"body.final_outcome", "body.rationale"}),
    # A version of the recorded decision's own family.
    "replay_decision": frozenset({"body.target_version"}),
    # date_to not before date_from.
    "create_replay_job": frozenset({"body.date_to"}),
    "export_decisions": frozenset({"query.date_to"}),
    # ... and a family and a table of the named report (the pace-transfer report reads
    # only pace-transfer decisions).
    "get_report": frozenset({"query.date_to", "query.family", "query.table"}),
}
"""Fields whose refusal of schema-valid data is documented as beyond JSON Schema."""


def _relational(operation_id: str) -> frozenset[str]:
    if operation_id.startswith("create_") and operation_id.endswith("_decision"):
        return RELATIONAL["create"]
    return RELATIONAL.get(operation_id, frozenset())


def positive_data_acceptance_beyond_schema(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' ``positive_data_acceptance``, except a 422 naming only fields of
    :data:`RELATIONAL` for this operation (a rule the schema cannot state)."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except Failure:
        if response.status_code == 422:
            fields = {e["field"] for e in json.loads(response.content)["errors"]}
            if fields and fields <= _relational(case.operation.definition.raw.get(
                    "operationId", "")):
                return None
        raise


load_all_checks()
CHECKS = [positive_data_acceptance_beyond_schema if check is positive_data_acceptance
          else check for check in _CHECK_REGISTRY.get_all()]

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

# Generated cases per role; the coverage phase (boundary values, missing required
# headers, methods the operation does not take) is slow to generate for the families'
# schemas, so it runs once, for each operation with the role that may call it.
_PHASES = {"stateful": {"enabled": False}}
_FUZZ = SchemathesisConfig.from_dict({"phases": {**_PHASES, "coverage": {"enabled": False}},
                                      "seed": SEED})
_COVERAGE = SchemathesisConfig.from_dict({"phases": {
    **_PHASES, "examples": {"enabled": False}, "fuzzing": {"enabled": False},
    "coverage": {"enabled": True}}, "seed": SEED})
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=_FUZZ)
coverage_schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=_COVERAGE)

CALLER = {"record_final_decision": "panel", "get_decision": "auditor",
          "replay_decision": "auditor", "create_replay_job": "auditor",
          "get_replay_job": "auditor", "export_decisions": "auditor",
          "get_report": "auditor",
          **{f"create_{f.replace('-', '_')}_decision": sorted(roles)[0]
             for f, roles in FAMILIES.items()}}
"""Who calls each operation in the coverage run (anything else: the panel)."""


@pytest.fixture(scope="module", autouse=True)
def _close_store() -> Iterator[None]:
    yield
    _SERVICES.close()
    _TMP.cleanup()


def _key_of(role: str | None) -> type:
    """The role's API key as schemathesis auth, so ``ignored_auth`` knows it is real
    and probes the operation without it and with a wrong one. ``None``: the role that
    may call the operation (:data:`CALLER`)."""

    class RoleKey:
        def get(self, case: Any, context: Any) -> str:
            caller = role or CALLER.get(_operation_id(case), "panel")
            return _KEYS[(caller, "north")]

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return RoleKey


def _operation_id(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId", ""))


def _call(case: Any) -> None:
    # Every other schema-valid case that names a decision or job names a real one, so
    # the success paths are fuzzed too, not only 404s. (A negative case keeps its
    # generated id: replacing it would make it valid.)
    n = next(_calls)
    params = case.path_parameters or {}
    positive = case.meta is None or case.meta.generation.mode.is_positive
    if "decision_id" in params and n % 2 and positive:
        params["decision_id"] = SEEDED[n // 2 % len(SEEDED)]
    if "job_id" in params and n % 2 and positive:
        params["job_id"] = JOB
    # A justification unless the case generated its own (the auditor and policy admin
    # must give one; the schema cannot say which role is calling).
    if isinstance(case.headers, dict) or case.headers is None:
        case.headers = {"X-Justification": "schemathesis run", **(case.headers or {})}
    case.call_and_validate(checks=CHECKS)


@coverage_schema.parametrize()
@settings(deadline=None, derandomize=True, database=None, phases=[Phase.explicit],
          suppress_health_check=list(HealthCheck))
@GLOBAL_AUTH_STORAGE.apply(_key_of(None), refresh_interval=None)
def test_schema_coverage_phase(case: Any) -> None:
    """Boundary values, missing required headers, unsupported methods (405 and
    ``Allow``), each operation called by the role that may call it."""
    _call(case)


def _run_as(role: str) -> Callable[..., None]:
    """One schemathesis test per role (pytest's own parametrize cannot reach inside)."""

    @schema.parametrize()
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=SEED == CI_SEED,
              database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @GLOBAL_AUTH_STORAGE.apply(_key_of(role), refresh_interval=None)
    def test(case: Any) -> None:
        _call(case)

    test.__name__ = test.__qualname__ = f"test_schema_as_{role}"
    runner: Callable[..., None] = test
    return runner


for _role_name in ROLES:
    globals()[f"test_schema_as_{_role_name}"] = _run_as(_role_name)
