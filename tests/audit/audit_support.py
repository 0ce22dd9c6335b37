"""Helpers shared by the audit tests: backends, realistic decisions, raw tampering.

Decisions come from the real engine (gravity-matrix), so the store is tested with the
bytes it will hold in production.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import pytest

from decision_engine.audit import Store, open_store
from decision_engine.audit.canonical import canonical
from decision_engine.audit.config import database_url
from decision_engine.audit.records import AuditRecord

PG_ENV = "DECISION_ENGINE_TEST_POSTGRES_URL"
PG_SKIP = (f"{PG_ENV} is not set: PostgreSQL store tests skipped "
           "(CI sets it to postgresql://postgres@127.0.0.1:5432/test)")

OFFENCES = ["robbery", "common_assault", "theft_from_shop", "burglary_dwelling",
            "criminal_damage_low_value", "possession_class_b", "possession_bladed_article",
            "affray", "harassment", "careless_driving", "sexual_assault", "arson"]
AGGRAVATING = ["on_bail_or_order", "premeditated", "group_leading_role",
               "weapon_used_or_carried", "vulnerable_victim"]
MITIGATING = ["young_or_immature", "provocation", "remorse_or_reparation",
              "minor_role_or_exploited", "cooperation_early_admission"]
ADMISSIONS = ["admitted", "denied", "no_comment", "not_interviewed"]
AREAS = ["north", "south"]


def random_case(rng: random.Random, index: int) -> tuple[dict[str, Any], dt.date]:
    """A gravity-matrix case and decision date (between 2013 and 2026, all versions)."""
    on = dt.date(2013, 5, 1) + dt.timedelta(days=rng.randrange(0, 13 * 365))
    born = on - dt.timedelta(days=rng.randrange(10 * 366, 17 * 365))
    case = {
        "case_reference": f"CR-{index:06d}",
        "date_of_birth": born.isoformat(),
        "facts": {
            "offence": rng.choice(OFFENCES),
            "sufficient_evidence": rng.random() < 0.85,
            "admission": rng.choice(ADMISSIONS),
            "aggravating": rng.sample(AGGRAVATING, rng.randrange(0, 3)),
            "mitigating": rng.sample(MITIGATING, rng.randrange(0, 3)),
            "signed_consent": rng.random() < 0.3,
            "previous_disposals": rng.randrange(0, 4),
        },
        "monitoring": {"ethnicity": rng.choice(["A", "B", "W", "M", "O"]),
                       "sex": rng.choice(["F", "M"])},
    }
    return case, on


@dataclass(frozen=True)
class Made:
    """A decision as the engine made it, with its subject and where it is filed."""

    decision: Any
    subject: Any
    service_area: str


def make_decisions(count: int, seed: int = 1) -> list[Made]:
    from decision_engine.engine import decide

    rng = random.Random(seed)
    out = []
    for index in range(count):
        case, on = random_case(rng, index)
        subject, decision = decide("gravity-matrix", case, on, engine="fast")
        out.append(Made(decision, subject, AREAS[index % len(AREAS)]))
    return out


class RawDecision:
    """A DecisionLike with arbitrary canonical bytes (e.g. a decision the engine would
    no longer produce, to exercise 'differs')."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def canonical_json(self) -> bytes:
        return canonical(self.data)


def with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    extra = urlencode({"options": f"-csearch_path={schema}"})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A fresh schema for one test, dropped afterwards; yields a URL that uses it."""
    schema = f"audit_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def pg_base_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a temp SQLite file, or a fresh PostgreSQL schema (the
    conftests of the store and report tests take this fixture and ``store``)."""
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


class Raw:
    """A connection that bypasses the store, playing an attacker with database access."""

    def __init__(self, url: str) -> None:
        parsed = database_url(url)
        self.backend = parsed.backend
        if parsed.backend == "sqlite":
            self.sqlite = sqlite3.connect(parsed.target, isolation_level=None)
            self.sqlite.execute("PRAGMA synchronous = OFF")  # tampering need not be durable
            self.pg: psycopg.Connection[Any] | None = None
        else:
            self.pg = psycopg.connect(parsed.target, autocommit=True)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.pg is not None:
            cur = self.pg.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            return list(cur.fetchall()) if cur.description else []
        return list(self.sqlite.execute(sql, params).fetchall())

    def disable_triggers(self) -> None:
        if self.pg is not None:
            self.pg.execute("SET session_replication_role = replica")
            return
        for (name,) in self.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            self.execute(f"DROP TRIGGER {name}")

    def set_text(self, table: str, column: str, key: str, key_value: Any,
                 value: str | bytes) -> None:
        if isinstance(value, bytes) and self.pg is None:
            # Store the exact bytes as TEXT, even when they are not valid UTF-8.
            self.execute(f"UPDATE {table} SET {column} = CAST(? AS TEXT) WHERE {key} = ?",
                         (value, key_value))
            return
        text = value.decode("utf-8") if isinstance(value, bytes) else value
        self.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (text, key_value))

    def close(self) -> None:
        if self.pg is not None:
            self.pg.close()
        else:
            self.sqlite.close()


def decision_json(made: Made) -> dict[str, Any]:
    return dict(json.loads(made.decision.canonical_json()))


def fill_every_kind(store: Store, decisions: list[Made], count: int) -> list[AuditRecord]:
    """Decisions plus the other record kinds, so every kind is tampered with."""
    for index, made in enumerate(decisions[:count]):
        ref = store.append_decision(made.decision, made.subject, actor_role="officer",
                                    actor_id=f"o-{index}", service_area=made.service_area)
        if index % 5 == 1:
            store.append_final(ref.id, made.decision.outcome, None, actor_role="panel",
                               actor_id="p", service_area=made.service_area)
        if index % 7 == 2:
            store.log_access(actor_role="auditor", actor_id="a", service_area="*",
                             justification="check", record_ids=[ref.id])
    first = store.get(store.list_records(limit=1)[0].id)
    assert first is not None and first.pseudonym
    store.erase([first.pseudonym], reason="request", justification="SAR", actor_role="dpo",
                actor_id="d")
    records = list(store.iter_records())
    assert store.verify().ok
    return records
