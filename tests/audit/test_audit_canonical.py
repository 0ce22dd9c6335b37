"""The spliced record body is exactly RFC 8785 of the record, so exports are checkable
with any canonical-JSON implementation; and the configuration parsers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from decision_engine.audit.canonical import canonical, encode_scalar, fast_json, plain_bytes
from decision_engine.audit.config import database_url, load_retention, parse_retention
from decision_engine.audit.errors import ConfigError
from decision_engine.audit.records import COLUMNS, JSON_COLUMNS, hashed_body

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries(
    {c: (st.none() | json_values if c in JSON_COLUMNS else
         st.integers(1, 2**40) if c == "seq" else st.none() | texts) for c in COLUMNS}))
def test_audit_spliced_body_is_rfc8785(columns: dict[str, Any]) -> None:
    stored = {c: (None if v is None else canonical(v).decode()) if c in JSON_COLUMNS else v
              for c, v in columns.items()}
    body = {c: v for c, v in columns.items() if c != "hash"}
    assert hashed_body(stored) == rfc8785.dumps(body)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_audit_scalar_encoding_matches_rfc8785(text: str) -> None:
    assert encode_scalar(text) == rfc8785.dumps(text)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_audit_fast_json_matches_without_floats(value: Any) -> None:
    # keys outside the BMP sort differently (UTF-16), so fast_json is only a pre-check
    if _astral_key(value):
        return
    assert fast_json(value) == rfc8785.dumps(value)


def _astral_key(value: Any) -> bool:
    """Does any object key hold a character outside the Basic Multilingual Plane?"""
    if isinstance(value, dict):
        return any(any(ord(c) > 0xFFFF for c in k) or _astral_key(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_astral_key(v) for v in value)
    return False


def test_audit_database_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DECISION_ENGINE_DATABASE_URL", raising=False)
    assert database_url().target == "./decision-engine.db"
    assert database_url("sqlite:////abs/a.db").target == "/abs/a.db"
    pg = database_url("postgresql://u:secret@h:5432/db?sslmode=require")
    assert pg.backend == "postgresql" and "secret" not in pg.redacted
    assert database_url("postgres://h/db").backend == "postgresql"
    for bad in ("sqlite:///", "sqlite:///:memory:", "mysql://h/db"):
        with pytest.raises(ConfigError):
            database_url(bad)
    monkeypatch.setenv("DECISION_ENGINE_DATABASE_URL", "sqlite:///x.db")
    assert database_url().target == "x.db"


def test_audit_retention_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = parse_retention("gravity-matrix=6y, contact-frequency=1095d, *=2190")
    now = dt.datetime(2030, 2, 28, tzinfo=dt.UTC)
    assert policy.cutoff("gravity-matrix", now) == dt.datetime(2024, 2, 28, tzinfo=dt.UTC)
    assert policy.cutoff("contact-frequency", now) == now - dt.timedelta(days=1095)
    assert policy.cutoff("pace-transfer", now) == now - dt.timedelta(days=2190)
    leap = dt.datetime(2028, 2, 29, tzinfo=dt.UTC)
    assert parse_retention("a=1y").cutoff("a", leap) == dt.datetime(2027, 2, 28, tzinfo=dt.UTC)
    assert parse_retention("").configured is False
    assert parse_retention("a=1y").cutoff("b", now) is None
    for bad in ("gravity-matrix", "x=six years", "=1d"):
        with pytest.raises(ConfigError):
            parse_retention(bad)
    file = tmp_path / "r.toml"
    file.write_text('[retention]\ndefault = "6y"\noocd-pathways = 365\n')
    loaded = load_retention(file)
    assert loaded.default == "6y" and loaded.period("oocd-pathways") == "365"
    monkeypatch.setenv("DECISION_ENGINE_RETENTION", "gravity-matrix=3y")
    monkeypatch.delenv("DECISION_ENGINE_RETENTION_FILE", raising=False)
    assert load_retention().period("gravity-matrix") == "3y"
    (tmp_path / "bad.toml").write_text("x = 1\n")
    with pytest.raises(ConfigError):
        load_retention(tmp_path / "bad.toml")


def test_audit_parse_canonical_accepts_only_rfc8785() -> None:
    from decision_engine.audit.canonical import parse_canonical

    assert parse_canonical(b'{"a":[1,true,null,"\\u001f\xc3\xa9"]}')[1] is True
    value, simple = parse_canonical(b'{"a":1.5}')
    assert value == {"a": 1.5} and simple is False
    assert parse_canonical("{\"\U0001f600\":1,\"\ufb01\":2}".encode())[1] is False
    for bad in (b'{"b":1,"a":2}', b'{"a": 1}', b'{"a":1.0}', b'{"a":NaN}', b'{"a":1e2}',
                "{\"\ufb01\":2,\"\U0001f600\":1}".encode()):
        with pytest.raises(ValueError):
            parse_canonical(bad)


@settings(max_examples=300, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | texts
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20))
def test_audit_canonical_fast_is_rfc8785(value: Any) -> None:
    from decision_engine.audit.canonical import canonical_fast

    assert canonical_fast(value) == rfc8785.dumps(value)


@given(st.binary(max_size=40) | st.text(max_size=20).map(
    lambda t: t.encode("utf-8", "surrogatepass")))
def test_audit_plain_bytes_is_the_plain_string_pattern(value: bytes) -> None:
    """The deletion test verify uses equals the pattern RFC 8785's verbatim strings
    match (no quote, backslash or control character), for any bytes."""
    import re

    assert plain_bytes(value) == bool(re.fullmatch(rb'[^"\\\x00-\x1f]*', value))
