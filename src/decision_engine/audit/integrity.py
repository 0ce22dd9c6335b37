"""The database's own consistency check, run by ``verify`` beside the chain walk.

The hash chain proves record *contents*; it cannot see an index that no longer points
at a row (one flipped byte in the unique index on ``id`` makes a lookup answer 404
while every record still hashes correctly). SQLite's ``PRAGMA integrity_check`` and
PostgreSQL's ``amcheck`` (``bt_index_check``) can, so verify runs them and names what
they find, with the index described by its table and columns.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

import psycopg

from decision_engine.audit.db import Database, PostgresDatabase, SQLiteDatabase

_MAX_PROBLEMS = 20
_TABLES = ("audit_records", "subjects", "chain_head")
_INDEX_NAME = re.compile(r"\bindex (\w+)")


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    """What ran (or why nothing did) and each problem it found."""

    check: str
    problems: tuple[str, ...] = ()


def check_database(db: Database) -> IntegrityReport:
    if isinstance(db, SQLiteDatabase):
        return _sqlite(db)
    if isinstance(db, PostgresDatabase):
        return _postgres(db)
    return IntegrityReport(f"skipped: no integrity check for {db.backend}")


def _sqlite(db: SQLiteDatabase) -> IntegrityReport:
    conn = sqlite3.connect(db.path, timeout=60.0, isolation_level=None)
    try:
        indexes = {str(name): f"{'unique ' if sql is None or 'UNIQUE' in str(sql) else ''}"
                   f"index on {table}({', '.join(_index_columns(conn, str(name)))})"
                   for name, table, sql in conn.execute(
                       "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'")}
        rows = conn.execute(f"PRAGMA integrity_check({_MAX_PROBLEMS})").fetchall()
    except sqlite3.DatabaseError as exc:
        return IntegrityReport("sqlite integrity_check", (f"{exc}",))
    finally:
        conn.close()
    found = [str(r[0]) for r in rows if str(r[0]) != "ok"]
    problems = []
    for line in found:
        match = _INDEX_NAME.search(line)
        if match and match.group(1) in indexes:
            line += (f" ({match.group(1)} is the {indexes[match.group(1)]}; lookups through "
                     "it can miss records: copy the file, then run REINDEX)")
        problems.append(line)
    return IntegrityReport("sqlite integrity_check", tuple(problems))


def _index_columns(conn: sqlite3.Connection, name: str) -> list[str]:
    return [str(r[2]) for r in conn.execute(f"PRAGMA index_info('{name}')")]


def _postgres(db: PostgresDatabase) -> IntegrityReport:
    with psycopg.connect(db.url.target, autocommit=True) as conn:
        row = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                           "ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'").fetchone()
        if row is None:
            return IntegrityReport("skipped: the amcheck extension is not installed "
                                   "(CREATE EXTENSION amcheck, as a superuser, enables it)")
        function = f'"{row[0]}".bt_index_check'
        indexes = conn.execute(
            "SELECT c.oid, c.relname, t.relname, pg_get_indexdef(c.oid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' "
            "AND t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace "
            "ORDER BY c.relname", (list(_TABLES),)).fetchall()
        problems = []
        for oid, name, _table, definition in indexes:
            try:
                conn.execute(f"SELECT {function}(%s, true)", (oid,))
            except psycopg.Error as exc:
                problems.append(f"index {name} ({definition}): "
                                f"{str(exc).strip().splitlines()[0]}; lookups through it "
                                "can miss records: REINDEX INDEX it after a backup")
    return IntegrityReport(f"postgresql amcheck: {len(indexes)} indexes checked",
                           tuple(problems[:_MAX_PROBLEMS]))
