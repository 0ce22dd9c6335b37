"""Fixtures: every store test runs on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import pytest
from audit_support import Made, make_decisions, store, store_url  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def decisions() -> list[Made]:
    """Forty engine decisions across versions, offences and two service areas."""
    return make_decisions(40)
