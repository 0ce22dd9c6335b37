"""Browser tests: a real ``uvicorn`` server on a free 127.0.0.1 port (temporary SQLite
store, one user per role) driven by Playwright through Debian's ``chromium``.

Playwright cannot download its own browser here, so it is pointed at
``/usr/bin/chromium`` (or ``DECISION_ENGINE_CHROMIUM``). Without it every test in this
folder skips, saying how to install it. Screenshots go to ``tests/pages/artefacts/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from decision_engine.audit import open_store
from decision_engine_api.credentials import ROLES
from decision_engine_api.people import People

CHROMIUM = os.environ.get("DECISION_ENGINE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(__file__).parent / "artefacts"
PASSWORD = "correct horse battery"
AREA = "north"


@dataclass
class Site:
    url: str
    db_url: str
    users: dict[str, str] = field(default_factory=dict)
    """role → user name"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.db'}"
    store = open_store(db_url)  # migrates
    people = People(store.db)
    users = {}
    for role in ROLES:
        name = f"{role.replace('_', '.')}.{AREA}"
        people.create(name, PASSWORD, role, AREA, created_by="tests")
        users[role] = name
    people.create("panel.south", PASSWORD, "panel", "south", created_by="tests")
    store.close()
    port = _free_port()
    env = {**os.environ, "DECISION_ENGINE_DATABASE_URL": db_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "decision_engine_api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            err = proc.stderr.read() if proc.stderr else b""
            raise RuntimeError(f"server did not start: {err!r}")
        time.sleep(0.2)
    try:
        yield Site(url, db_url, users)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}: install it (Debian: apt-get install -y "
                    "chromium) or set DECISION_ENGINE_CHROMIUM; browser tests skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]'); browser tests "
                    "skipped")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    """A fresh browser context (no cookies) that records every request it makes."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1200, "height": 900})
    p = context.new_page()
    p.requested = []  # type: ignore[attr-defined]
    p.on("request", lambda req: p.requested.append(req.url))
    try:
        yield p
    finally:
        context.close()


def sign_in(page: Any, site: Site, role: str, next_: str = "/home") -> None:
    page.goto(f"/sign-in?next={next_}")
    page.get_by_label("User name").fill(site.users[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def shot(page: Any, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def same_origin_only(page: Any, site: Site) -> None:
    others = [u for u in page.requested if not u.startswith(site.url + "/")
              and not u.startswith("data:")]
    assert not others, f"requests to another origin: {others}"


def fill_case(page: Any, case: dict[str, Any]) -> None:
    """Fill the generated case form from a case as the API takes it (the examples)."""
    page.locator("#case_reference").fill(case["case_reference"])
    if "date_of_birth" in case:
        page.locator("#date_of_birth").fill(case["date_of_birth"])
    if "age" in case:
        page.locator("#age").fill(str(case["age"]))
    for name, value in case["facts"].items():
        anchor = f"facts-{name}"
        if isinstance(value, bool):
            page.locator(f"#{anchor}-{'yes' if value else 'no'}").check()
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, item in enumerate(value):
                for key, v in item.items():
                    cell = page.locator(f"[name='facts.{name}.{i}.{key}']")
                    if cell.evaluate("e => e.tagName") == "SELECT":
                        cell.select_option(str(v))
                    else:
                        cell.fill(str(v))
        elif isinstance(value, list):
            for member in value:
                page.locator(f"#{anchor} input[value='{member}']").check()
        elif page.locator(f"#{anchor}").evaluate("e => e.tagName") == "SELECT":
            page.locator(f"#{anchor}").select_option(str(value))
        else:
            page.locator(f"#{anchor}").fill(str(value))
