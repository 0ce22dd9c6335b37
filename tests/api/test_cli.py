"""``decision-engine credentials`` and ``decision-engine serve``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from decision_engine.audit import open_store
from decision_engine.cli.main import app
from decision_engine_api.credentials import Credentials

runner = CliRunner()


def _run(url: str, *args: str) -> Any:
    return runner.invoke(app, list(args), env={"DECISION_ENGINE_DATABASE_URL": url})


def test_create_list_revoke(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    created = _run(url, "credentials", "create", "--role", "auditor", "--name", "Sam Audit",
                   "--service-area", "north", "--json")
    assert created.exit_code == 0, created.output
    info = json.loads(created.stdout)
    key = info["key"]
    assert key.startswith(f"de_{info['key_id']}_") and info["role"] == "auditor"
    with open_store(url) as store:
        cred = Credentials(store.db).authenticate(key)
        assert cred is not None and cred.service_area == "north"
        stored = store.db.query("SELECT secret_sha256 FROM api_credentials")
        assert key.split("_")[2] not in json.dumps(stored)  # only the hash is kept

    listed = _run(url, "credentials", "list", "--json")
    assert listed.exit_code == 0 and key not in listed.stdout
    assert json.loads(listed.stdout)[0]["key_id"] == info["key_id"]

    revoked = _run(url, "credentials", "revoke", info["key_id"])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    with open_store(url) as store:
        assert Credentials(store.db).authenticate(key) is None
        with pytest.raises(Exception, match="revocation"):  # the table refuses edits
            store.db.execute("UPDATE api_credentials SET role = 'panel'")
    active = _run(url, "credentials", "list", "--active")
    assert "no credentials" in active.stdout


def test_plain_create_prints_the_key_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    created = _run(url, "credentials", "create", "--role", "panel", "--name", "Youth Panel")
    assert created.exit_code == 0
    assert "shown once" in created.stdout and "de_" in created.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "judge", "--name", "X"], "--role"),
    (["--role", "panel", "--name", "\tbad"], "--name"),
    (["--role", "panel", "--name", "X", "--service-area", "North Side"], "--service-area"),
])
def test_bad_create_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = _run(f"sqlite:///{tmp_path / 'c.db'}", "credentials", "create", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_revoke_unknown_key_exits_2(tmp_path: Path) -> None:
    result = _run(f"sqlite:///{tmp_path / 'c.db'}", "credentials", "revoke", "abcdef123456")
    assert result.exit_code == 2 and "no credential" in result.stderr


def test_serve_checks_configuration_and_explains_first_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append({"args": a, **kw}))
    url = f"sqlite:///{tmp_path / 's.db'}"
    result = _run(url, "serve", "--port", "8123", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "credentials create" in result.stderr
    assert calls and calls[0]["factory"] is True and calls[0]["workers"] == 2
    assert calls[0]["args"] == ("decision_engine_api.app:create_app",) and calls[0]["port"] == 8123

    bad = _run("mysql://nope", "serve")
    assert bad.exit_code == 2 and "DECISION_ENGINE_DATABASE_URL" in bad.stderr
