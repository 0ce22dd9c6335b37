"""Request body size limit, enforced before any route or parser sees the body.

A pure ASGI middleware: it rejects a declared ``Content-Length`` over the limit at once,
and otherwise buffers the body up to the limit (bodies here are small cases), answering
413 problem+json as soon as a chunked body passes it. Doing this in the app rather than
trusting a proxy keeps the guarantee when the service is run on its own.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from decision_engine_api.problems import MEDIA_TYPE, FieldError, Problem

_TYPE = "urn:decision-engine:problem:body-too-large"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

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
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(scope, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
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
        why = f"is larger than the limit of {self.max_bytes} bytes"
        problem = Problem(type=_TYPE, title="Body too large", status=413,
                          detail=f"body: {why}", instance=scope.get("path"),
                          errors=[FieldError(field="body", detail=why)])
        payload = json.dumps(problem.model_dump(mode="json")).encode("utf-8")
        await send({"type": "http.response.start", "status": 413,
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
