"""Request body size and time limits, enforced before any route or parser sees the body.

A pure ASGI middleware: it rejects a declared ``Content-Length`` over the limit at once,
and otherwise buffers the body up to the limit (bodies here are small cases), answering
413 problem+json as soon as a chunked body passes it. The whole body must also arrive
within ``timeout`` seconds: a client that declares 1,000 bytes and sends 8 (slowloris)
gets 408 and the connection is closed, instead of holding a worker's connection for
minutes (uvicorn has no body read timeout). Doing this in the app rather than trusting a
proxy keeps the guarantees when the service is run on its own.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from decision_engine_api.problems import MEDIA_TYPE, FieldError, Problem

_TYPE = "urn:decision-engine:problem:"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._reject(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        # One deadline for the whole body; asyncio.timeout, unlike wait_for on 3.11,
        # wraps no Task around each receive (a task per request on the hot path).
        try:
            async with asyncio.timeout(self.timeout):
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_bytes:
                        break
                    chunks.append(chunk)
                    more = bool(message.get("more_body", False))
        except TimeoutError:
            await self._too_slow(scope, send)
            return
        if size > self.max_bytes:
            await self._reject(scope, send)
            return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        await _close_with(scope, send, 413, "body-too-large", "Body too large",
                          f"is larger than the limit of {self.max_bytes} bytes")

    async def _too_slow(self, scope: Scope, send: Send) -> None:
        await _close_with(scope, send, 408, "body-timeout", "Request timeout",
                          f"did not arrive within {self.timeout:g} seconds")


async def _close_with(scope: Scope, send: Send, status: int, slug: str, title: str,
                      why: str) -> None:
    """Answer a problem about the body and close the connection (its rest is unread)."""
    problem = Problem(type=_TYPE + slug, title=title, status=status, detail=f"body: {why}",
                      instance=scope.get("path"), errors=[FieldError(field="body", detail=why)])
    payload = json.dumps(problem.model_dump(mode="json")).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", MEDIA_TYPE.encode()),
                            (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
