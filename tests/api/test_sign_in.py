"""Sign-in for people: argon2id users, session cookies, CSRF, idle timeout, lock-out,
and the offline API reference. Runs on SQLite and (CI) PostgreSQL through ``api``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from typer.testing import CliRunner

from decision_engine.cli.main import app as cli
from decision_engine_api.people import LOCK_SECONDS, MAX_FAILURES
from tests.api.conftest import Api

PASSWORD = "correct horse battery"


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def sign_in(api: Api, username: str, password: str = PASSWORD, **extra: str) -> Any:
    form = api.client.get("/sign-in")
    assert form.status_code == 200
    return api.client.post("/sign-in", data={"username": username, "password": password,
                                             "csrf_token": _token(form.text), **extra},
                           follow_redirects=False)


@pytest.fixture
def person(api: Api) -> str:
    api.services.people.create("pat.panel", PASSWORD, "panel", "north", created_by="tests")
    return "pat.panel"


def test_sign_in_sets_a_strict_httponly_session_and_shows_the_person(api: Api,
                                                                    person: str) -> None:
    r = sign_in(api, person, next="/home")
    assert r.status_code == 303 and r.headers["location"] == "/home"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("de_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the TLS test below
    home = api.client.get("/home")
    assert home.status_code == 200
    assert "pat.panel" in home.text and "(panel, north)" in home.text
    assert 'href="/decide/gravity-matrix"' in home.text  # the panel's own family only
    assert "/decide/pace-transfer" not in home.text
    row = api.services.people.db.query_one(
        "SELECT password_hash FROM app_users WHERE username = ?", (person,))
    assert row is not None and str(row[0]).startswith("$argon2id$")


def test_session_cookie_is_secure_behind_tls(api: Api, person: str) -> None:
    api.client.base_url = api.client.base_url.copy_with(scheme="https")
    r = sign_in(api, person)
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("de_session="))
    assert "Secure" in cookie


def test_pages_need_a_session(api: Api) -> None:
    r = api.client.get("/home", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=/home"
    # an API key is not a session: a page never accepts a Bearer header
    r = api.client.get("/home", headers=api.auth("panel"), follow_redirects=False)
    assert r.status_code == 303


def test_sign_in_without_its_csrf_token_is_refused(api: Api, person: str) -> None:
    api.client.get("/sign-in")
    r = api.client.post("/sign-in", data={"username": person, "password": PASSWORD},
                        follow_redirects=False)
    assert r.status_code == 403 and "security token" in r.text
    assert "de_session" not in r.headers.get("set-cookie", "")


def test_a_signed_in_form_without_its_csrf_token_is_refused(api: Api, person: str) -> None:
    sign_in(api, person)
    r = api.client.post("/sign-out", data={}, follow_redirects=False)
    assert r.status_code == 403 and "security token" in r.text
    assert api.client.get("/home").status_code == 200  # still signed in
    r = api.client.post("/sign-out", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert r.status_code == 403


def test_sign_out_ends_the_session_server_side(api: Api, person: str) -> None:
    sign_in(api, person)
    cookie = api.client.cookies["de_session"]
    home = api.client.get("/home")
    r = api.client.post("/sign-out", data={"csrf_token": _token(home.text)},
                        follow_redirects=False)
    assert r.status_code == 303
    api.client.cookies.set("de_session", cookie)  # a copy kept by an attacker
    assert api.client.get("/home", follow_redirects=False).status_code == 303


def test_idle_session_expires(api: Api, person: str) -> None:
    sign_in(api, person)
    assert api.client.get("/home").status_code == 200
    api.services.people.idle_seconds = 0.0
    assert api.client.get("/home", follow_redirects=False).status_code == 303


def test_wrong_passwords_lock_the_user(api: Api, person: str) -> None:
    for attempt in range(MAX_FAILURES):
        r = sign_in(api, person, password=f"wrong password {attempt}")
        assert r.status_code == 401
    assert f"locked for {LOCK_SECONDS // 60} minutes" in r.text
    r = sign_in(api, person)  # even the right password, while locked
    assert r.status_code == 401 and "locked" in r.text
    # an unknown name gets the same words as a wrong password, never "no such user"
    r = sign_in(api, "nobody.here", password="whatever it is")
    assert r.status_code == 401 and "user name or password is not right" in r.text


def test_revoked_user_loses_sessions_at_once(api: Api, person: str) -> None:
    sign_in(api, person)
    api.services.people.revoke(person, revoked_by="tests")
    assert api.client.get("/home", follow_redirects=False).status_code == 303
    assert sign_in(api, person).status_code == 401


def test_next_is_only_ever_a_local_path(api: Api, person: str) -> None:
    r = sign_in(api, person, next="//evil.example/x")
    assert r.headers["location"] == "/home"


def test_docs_load_nothing_from_another_origin(api: Api) -> None:
    html = api.client.get("/docs").text
    refs = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', html)
    refs += re.findall(r'url:\s*["\']([^"\']+)', html)
    assert refs, html
    for ref in refs:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        assert api.client.get(ref).status_code == 200, ref
    assert '"validatorUrl": null' in html


def test_users_cli_create_list_revoke(tmp_path: Any) -> None:
    runner = CliRunner()
    env = {"DECISION_ENGINE_DATABASE_URL": f"sqlite:///{tmp_path / 'u.db'}"}
    r = runner.invoke(cli, ["users", "create", "cam.custody", "--role", "custody",
                            "--service-area", "north", "--password-stdin"],
                      input=PASSWORD + "\n", env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["users", "create", "x", "--role", "custody", "--password-stdin"],
                      input="short\n", env=env)
    assert r.exit_code == 2 and "at least 12 characters" in r.output
    r = runner.invoke(cli, ["users", "create", "y", "--role", "chief", "--password-stdin"],
                      input=PASSWORD + "\n", env=env)
    assert r.exit_code == 2 and "is not a role" in r.output
    r = runner.invoke(cli, ["users", "list", "--json"], env=env)
    listed = __import__("json").loads(r.output)
    assert [(u["username"], u["role"], u["service_area"]) for u in listed] == [
        ("cam.custody", "custody", "north")]
    assert "argon2" not in r.output and PASSWORD not in r.output
    r = runner.invoke(cli, ["users", "revoke", "cam.custody"], env=env)
    assert r.exit_code == 0 and "revoked cam.custody" in r.output
    r = runner.invoke(cli, ["users", "list", "--active"], env=env)
    assert "no users" in r.output
