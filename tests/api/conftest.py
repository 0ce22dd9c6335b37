"""Fixtures: the real ASGI app on a fresh SQLite store, and an API key per role and area.

Two service areas, ``north`` and ``south``, each with one key per role, so every test
can check both what a role may do and what another area may not see.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from fastapi.testclient import TestClient

from decision_engine.audit import RecordFilter, Store, open_store
from decision_engine.policy.registry import Registry
from decision_engine_api.app import create_app
from decision_engine_api.credentials import ROLES
from decision_engine_api.services import Services
from decision_engine_api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
AREAS = ("north", "south")
GRAVITY_CASE = json.loads((ROOT / "examples" / "gravity-matrix" / "admitted-shoplifting.json")
                          .read_text(encoding="utf-8"))["case"]


EXAMPLE_DATES = {
    "contact-frequency": "2012-05-10",
    "enhanced-case-management": "2020-07-01",
}
"""Decision dates the first example of these families needs (tests/policies agrees)."""


def example_case(family: str) -> dict[str, Any]:
    """The first example case of *family* from the repository's examples/."""
    path = sorted((ROOT / "examples" / family).glob("*.json"))[0]
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["case"]
    return case


def example_body(family: str) -> dict[str, Any]:
    """A request body for POST /v1/decisions/{family} that evaluates."""
    body: dict[str, Any] = {"case": GRAVITY_CASE if family == "gravity-matrix"
                            else example_case(family)}
    if family in EXAMPLE_DATES:
        body["decision_date"] = EXAMPLE_DATES[family]
    return body


@dataclass
class Api:
    """The app under test, its store and a key for every (role, area)."""

    client: TestClient
    services: Services
    keys: dict[tuple[str, str], str]

    @property
    def store(self) -> Store:
        return self.services.store

    def auth(self, role: str, area: str = "north", **extra: str) -> dict[str, str]:
        """Headers for *role* in *area*; ``X_Justification=...`` → ``X-Justification``."""
        return {"Authorization": f"Bearer {self.keys[(role, area)]}",
                **{k.replace("_", "-"): v for k, v in extra.items()}}

    def record(self, family: str = "gravity-matrix", role: str = "panel",
               area: str = "north", case: dict[str, Any] | None = None,
               **body: Any) -> dict[str, Any]:
        """Create a decision and return the response body (asserting 201)."""
        payload = {**example_body(family), **({"case": case} if case else {}), **body}
        r = self.client.post(f"/v1/decisions/{family}", json=payload,
                             headers=self.auth(role, area))
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out

    def count(self, kind: str | None = None) -> int:
        return self.store.count(RecordFilter(kind=kind))


def make_api(registry: Registry, url: str) -> tuple[Services, dict[tuple[str, str], str]]:
    settings = Settings(database_url=url, policy_root=registry.root, credential_cache_seconds=0)
    services = Services.open(settings, registry=registry, store=open_store(url))
    keys: dict[tuple[str, str], str] = {}
    for area in AREAS:
        for role in ROLES:
            _, key = services.credentials.create(role, f"{role} {area}", area,
                                                 created_by="tests")
            keys[(role, area)] = key
    return services, keys


PG_ENV = "DECISION_ENGINE_TEST_POSTGRES_URL"


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards; yields its URL."""
    schema = f"api_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    parts = urlsplit(base)
    extra = urlencode({"options": f"-csearch_path={schema}"})
    try:
        yield urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query
                                        else extra))
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every API test runs on SQLite and, when DECISION_ENGINE_TEST_POSTGRES_URL is set
    (CI sets it), on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'api.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL API tests skipped")
    with pg_schema(base) as url:
        yield url


@pytest.fixture
def api(registry: Registry, store_url: str) -> Iterator[Api]:
    services, keys = make_api(registry, store_url)
    app = create_app(services=services)
    try:
        with TestClient(app) as client:
            yield Api(client, services, keys)
    finally:
        services.close()


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """An RFC 9457 body with the right status, naming *field*, and nothing internal."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:decision-engine:problem:")
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    if field is not None:
        fields = [e["field"] for e in body["errors"]]
        assert field in fields, f"{field} not in {fields}: {body['detail']}"
        assert body["detail"].startswith(field) or field in body["detail"]
    return body
