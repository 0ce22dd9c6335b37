"""Apply the versioned schema migrations shipped in ``audit/migrations/<backend>/``."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from importlib import resources

from decision_engine.audit.db import Database
from decision_engine.audit.errors import SchemaError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def shipped(backend: str) -> list[Migration]:
    """The migrations for *backend* in version order."""
    folder = resources.files("decision_engine.audit.migrations").joinpath(
        "sqlite" if backend == "sqlite" else "postgres")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2),
                                   entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise SchemaError(f"migrations for {backend} are not numbered 1..n: {versions}")
    return found


def migrate(db: Database, *, apply: bool = True) -> list[int]:
    """Bring the schema up to date (or, with ``apply=False``, check that it is).

    Runs under a lock so concurrent processes starting together migrate once. Refuses a
    database that has migrations this code does not know, or whose applied migration
    text differs from the shipped one. Returns the versions applied now.
    """
    migrations = shipped(db.backend)
    with db.migrating():
        db.execute(_CREATE_TABLE)
        applied = {int(v): str(c) for v, c in
                   db.query("SELECT version, checksum FROM schema_migrations")}
        known = {m.version: m for m in migrations}
        unknown = sorted(set(applied) - set(known))
        if unknown:
            raise SchemaError(f"database has schema migrations {unknown} that this version "
                              "of decision-engine does not know; upgrade the code")
        for version, checksum in applied.items():
            if known[version].checksum != checksum:
                raise SchemaError(f"migration {version} ({known[version].name}) differs from "
                                  "the one applied to this database")
        pending = [m for m in migrations if m.version not in applied]
        if pending and not apply:
            raise SchemaError(f"database schema is behind: pending migrations "
                              f"{[m.version for m in pending]}")
        for migration in pending:
            db.run_script(migration.sql)
            db.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
                "VALUES (?, ?, ?, ?)",
                (migration.version, migration.name, migration.checksum,
                 dt.datetime.now(dt.UTC).isoformat()),
            )
        return [m.version for m in pending]


def applied_versions(db: Database) -> list[tuple[int, str, str]]:
    """``(version, name, applied_at)`` of every applied migration."""
    rows = db.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
    return [(int(v), str(n), str(a)) for v, n, a in rows]
