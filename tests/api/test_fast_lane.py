"""The fast lane (:mod:`decision_engine_api.fast_lane`) answers what the full stack does.

One store, two apps over it: with the fast lane and without (``fast_lane=False``). Every
request below goes to both and the answers must match byte for byte: status, headers
and body, with only the record's own id, chain position and hash (and so the Location
and length) told apart. The lane must have answered each good request itself and sent
each bad one down the full stack, and every 201 must be in the store, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from decision_engine.audit import RecordFilter
from decision_engine.policy.registry import Registry
from decision_engine_api.app import create_app
from decision_engine_api.auth import FAMILY_ROLES
from decision_engine_api.fast_lane import FastLane
from decision_engine_api.services import Services
from tests.api.conftest import GRAVITY_CASE, ROOT, make_api

PATH = "/v1/decisions/gravity-matrix"


@dataclass
class Lanes:
    fast: TestClient
    full: TestClient
    services: Services
    keys: dict[tuple[str, str], str]

    def lane(self) -> FastLane:
        app = self.fast.app
        assert isinstance(app, FastAPI)
        layer: Any = app.middleware_stack
        while not isinstance(layer, FastLane):
            layer = layer.app
        return layer

    def bearer(self, role: str = "panel") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[(role, 'north')]}"}


@pytest.fixture
def lanes(registry: Registry, store_url: str) -> Iterator[Lanes]:
    services, keys = make_api(registry, store_url)
    try:
        with TestClient(create_app(services=services)) as fast, \
                TestClient(create_app(services=services, fast_lane=False)) as full:
            yield Lanes(fast, full, services, keys)
    finally:
        services.close()


def _masked(status: int, headers: list[tuple[str, str]], content: bytes
            ) -> tuple[int, list[tuple[str, str]], Any]:
    """The answer with the record's own id, seq and hash replaced (they differ per
    record); the length is checked against the body, then left out."""
    assert dict(headers).get("content-length", str(len(content))) == str(len(content))
    body: Any = content
    if dict(headers).get("content-type", "").endswith("json") and content:
        body = json.loads(content)
        if status == 201:
            body.update({k: "·" for k in ("id", "seq", "hash") if k in body})
    kept = [(k, "/v1/decisions/·" if k == "location" else v) for k, v in headers
            if k != "content-length"]
    return status, kept, body


def both(lanes: Lanes, method: str, path: str, *, content: bytes | None = None,
         headers: list[tuple[str, str]] | None = None
         ) -> tuple[tuple[int, list[tuple[str, str]], Any], list[Any]]:
    """Send the same request to both apps; their masked answers must be equal."""
    answers, raw = [], []
    for client in (lanes.fast, lanes.full):
        r = client.request(method, path, content=content, headers=headers or [],
                           follow_redirects=False)
        raw.append(r)
        answers.append(_masked(r.status_code, list(r.headers.multi_items()), r.content))
    assert answers[0] == answers[1], (answers[0], answers[1])
    return answers[0], raw


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


def _examples() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path.parent.name, path.stem, json.loads(path.read_text(encoding="utf-8")))
            for path in sorted((ROOT / "examples").glob("*/*.json"))]


@pytest.mark.parametrize(("family", "name", "body"), _examples(),
                         ids=[f"{f}/{n}" for f, n, _ in _examples()])
def test_every_example_is_answered_alike_and_recorded_once_each(
        lanes: Lanes, family: str, name: str, body: dict[str, Any]) -> None:
    role = sorted(FAMILY_ROLES[family])[0]
    headers = [*lanes.bearer(role).items(), ("content-type", "application/json")]
    (status, _, answer), raw = both(lanes, "POST", f"/v1/decisions/{family}",
                                    content=_json(body), headers=headers)
    assert status == 201, answer
    assert lanes.lane().taken == 1 and lanes.lane().passed == 0
    for r in raw:  # each in the store, and the answer's decision is its recorded bytes
        record = lanes.services.store.get(r.json()["id"])
        assert record is not None and record.hash == r.json()["hash"]
        assert record.output is not None
        assert b'"decision":' + record.output.encode() + b"}" in r.content
    assert lanes.services.store.count(RecordFilter(kind="decision")) == 2


@pytest.mark.parametrize("prefer", [None, "return=minimal", "return=representation",
                                    "respond-async, RETURN=Minimal", "return=unknown"])
def test_prefer_is_answered_alike(lanes: Lanes, prefer: str | None) -> None:
    headers = [*lanes.bearer().items(), ("content-type", "application/json")]
    if prefer is not None:
        headers += [("prefer", part) for part in prefer.split(", ")]
    (status, got, _), _ = both(lanes, "POST", PATH, content=_json({"case": GRAVITY_CASE}),
                               headers=headers)
    assert status == 201
    assert ("preference-applied", "return=minimal") in got or "minimal" not in str(prefer)
    assert lanes.lane().taken == 1


GOOD = _json({"case": GRAVITY_CASE})
JSON = ("content-type", "application/json")

REFUSED: dict[str, tuple[int, bytes, list[tuple[str, str]] | None, str | None]] = {
    # name: (status, body, headers (None: panel's key and JSON), path (None: PATH))
    "no key": (401, GOOD, [JSON], None),
    "unknown key": (401, GOOD, [("authorization", "Bearer de_nope"), JSON], None),
    "basic scheme": (401, GOOD, [("authorization", "Basic cGFuZWw6eA=="), JSON], None),
    "role may not create": (403, GOOD, [("role", "auditor"), JSON], None),
    "role may not create this family": (403, GOOD, [("role", "custody"), JSON], None),
    "not JSON": (400, b'{"case": ', None, None),
    "duplicate key": (422, b'{"case": {}, "case": {}}', None, None),
    "a list": (422, b"[]", None, None),
    "empty body": (422, b"", None, None),
    "no case": (422, b"{}", None, None),
    "unknown member": (422, _json({"case": GRAVITY_CASE, "extra": 1}), None, None),
    "bad fact": (422, _json({"case": {**GRAVITY_CASE, "gravity_score": 9}}), None, None),
    "future date": (422, _json({"case": GRAVITY_CASE, "decision_date": "2999-01-01"}),
                    None, None),
    "unknown version": (422, _json({"case": GRAVITY_CASE, "policy_version": "nope-1"}),
                        None, None),
    "unknown family": (404, GOOD, None, "/v1/decisions/no-such-family"),
    "text/plain": (422, GOOD, [("content-type", "text/plain")], None),
    "no content type": (422, GOOD, [], None),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusals_go_down_the_full_stack_and_say_the_same(lanes: Lanes, name: str) -> None:
    want, content, extra, path = REFUSED[name]
    headers: list[tuple[str, str]] = []
    if extra is None:
        headers = [*lanes.bearer().items(), JSON]
    else:
        for k, v in extra:
            headers += list(lanes.bearer(v).items()) if k == "role" else [(k, v)]
        if name in ("text/plain", "no content type"):
            headers += list(lanes.bearer().items())
    (status, _, body), _ = both(lanes, "POST", path or PATH, content=content,
                                headers=headers)
    assert status == want, body
    recorded = lanes.services.store.count(RecordFilter(kind="decision"))
    assert recorded == (2 if want == 201 else 0)
    # Nothing the lane refused was taken; the lane's own path was sent on.
    assert lanes.lane().taken == 0
    assert lanes.lane().passed == (0 if path else 1)


def test_a_failed_record_is_answered_by_the_apps_handlers(
        lanes: Lanes, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error once the decision is queued is not retried down the full stack (it
    could record twice): the app's handler for it answers, here the catch-all's 500."""
    def broken(*_: Any, **__: Any) -> Any:
        raise OSError("disk gone")

    monkeypatch.setattr(lanes.services.store, "append_decisions", broken)
    headers = [*lanes.bearer().items(), JSON]
    (status, _, body), _ = both(lanes, "POST", PATH, content=GOOD, headers=headers)
    assert status == 500 and body["title"] == "Internal error"
    assert lanes.lane().taken == 1 and lanes.lane().passed == 0


def test_other_requests_are_not_the_lanes(lanes: Lanes) -> None:
    (status, _, _), _ = both(lanes, "GET", PATH, headers=list(lanes.bearer().items()))
    assert status == 405
    (status, _, _), raw = both(lanes, "POST", PATH + "/", content=GOOD,
                               headers=[*lanes.bearer().items(), JSON])
    assert status == 307 and raw[0].headers["location"].endswith(PATH)
    assert lanes.lane().taken == 0 and lanes.lane().passed == 0
