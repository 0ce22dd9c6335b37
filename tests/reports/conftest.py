"""Report tests run on SQLite and, when configured, on PostgreSQL (the SQL differs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from decision_engine.audit import Store, open_store
from tests.audit.audit_support import PG_SKIP, pg_base_url, pg_schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.db'}"
        return
    base = pg_base_url()
    if base is None:
        pytest.skip(PG_SKIP)
    with pg_schema(base) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as opened:
        yield opened
