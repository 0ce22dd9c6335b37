"""Report tests run on SQLite and, when configured, on PostgreSQL (the SQL differs)."""

from __future__ import annotations

from tests.audit.audit_support import store, store_url  # noqa: F401 (fixtures)
