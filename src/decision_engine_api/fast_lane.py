"""``POST /v1/decisions/<family>`` without the framework's per-request machinery.

A recorded decision is the service's hot path. Under load, FastAPI's routing (a match
against every route), dependency solving, request objects and exception middleware cost
about as much CPU as deciding and recording the case (issue 14's profile), so this pure
ASGI middleware, inside the body limit and the catch-all, answers a well-formed request
itself: the same key and role checks (:func:`~decision_engine_api.auth.authenticate`,
:func:`~decision_engine_api.auth.check_create`), the same strict JSON, the same
``DecisionCreate`` model, the same evaluation, record and 201
(:func:`~decision_engine_api.routes.decisions.created_response`).

Anything else goes down the full stack, which answers it: another path, method or
content type, and every request that fails before its decision is queued for the chain
(no key, a bad case, a future date …). Nothing is recorded before that point, so the
full stack does it again from the start and answers the error in its usual words; errors
are rare, the happy path is not. An error from the recording itself is answered by the
app's own exception handlers, as the route's would be.
``tests/api/test_fast_lane.py`` holds the two lanes to the same answers.
"""

from __future__ import annotations

import inspect
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from decision_engine import strict_json
from decision_engine_api.auth import authenticate, check_create
from decision_engine_api.models import DecisionCreate
from decision_engine_api.routes.decisions import (
    created_response,
    decide_case,
    prepare_record,
    record_prepared,
)
from decision_engine_api.services import Services

PREFIX = "/v1/decisions/"


class FastLane:
    """The hot path's middleware; ``taken`` and ``passed`` count what it did (tests)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.taken = 0
        self.passed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or scope["method"] != "POST"
                or not path.startswith(PREFIX) or scope.get("root_path")):
            await self.app(scope, receive, send)
            return
        family = path[len(PREFIX):]
        services: Services = scope["app"].state.services
        headers = _headers(scope)
        if family not in services.families:
            await self.app(scope, receive, send)
            return
        if not _is_json(headers.get(b"content-type")):
            self.passed += 1
            await self.app(scope, receive, send)
            return
        message = await receive()
        replay = _replaying(message, receive)
        if message["type"] != "http.request" or message.get("more_body", False):
            self.passed += 1  # a streamed body (the body limit buffers it; not here)
            await self.app(scope, replay, send)
            return
        authorization = headers.get(b"authorization")
        try:
            principal = authenticate(services, authorization.decode("latin-1")
                                     if authorization is not None else None)
            check_create(principal, family, services.families)
            body = DecisionCreate.model_validate(
                strict_json.loads(message.get("body", b""), root="body"))
            subject, decision = decide_case(services, family, body)
            prepared = prepare_record(principal, subject, decision)
        except Exception:  # nothing is recorded yet: the full stack answers
            self.passed += 1
            await self.app(scope, replay, send)
            return
        self.taken += 1
        try:
            recorded = await record_prepared(services, decision, prepared)
        except Exception as exc:  # the route's error, answered by the app's handlers
            await _handled(scope, replay, send, exc)
            return
        prefer = [v.decode("latin-1") for k, v in scope["headers"] if k == b"prefer"]
        await created_response(recorded, principal.service_area, prefer)(scope, replay, send)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by name; the first of a repeated name, as Starlette reads
    a single value (``Prefer`` may repeat and is read in full)."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        found.setdefault(name, value)
    return found


def _is_json(content_type: bytes | None) -> bool:
    """``application/json``, with or without parameters (the type the API documents)."""
    if content_type is None:
        return False
    return content_type.split(b";", 1)[0].strip().lower() == b"application/json"


def _replaying(first: Message, receive: Receive) -> Receive:
    """A ``receive`` that gives *first* again, then defers to the server's."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return first
        return await receive()

    return again


async def _handled(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
    """Answer *exc* with the app's handler for it, as Starlette's exception middleware
    would; one without a handler goes on up (the catch-all's 500)."""
    handlers: dict[Any, Any] = scope["app"].exception_handlers
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            response = handler(Request(scope, receive), exc)
            if inspect.isawaitable(response):
                response = await response
            assert isinstance(response, Response)
            await response(scope, receive, send)
            return
    raise exc
