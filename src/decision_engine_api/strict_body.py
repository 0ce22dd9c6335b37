"""Request bodies parsed strictly (:mod:`decision_engine.strict_json`): a duplicated key
or a lone surrogate is a 422 naming the member, never a silently dropped value or a 500.

FastAPI parses the body with ``Request.json()`` and turns any exception other than a
JSON syntax error or an ``HTTPException`` into a bare 400, so the refusal travels as
an ``HTTPException`` subclass that :mod:`.problems` renders as a field problem.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from decision_engine import strict_json


class BodyFieldError(HTTPException):
    """422 for one member of the body (``field`` starts with ``body``)."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(status_code=422, detail=f"{field}: {why}")
        self.field = field
        self.why = why


class _StrictRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = strict_json.loads(await self.body(), root="body")
            except strict_json.JSONFieldError as exc:
                raise BodyFieldError(exc.field, exc.why) from None
        return self._json


class StrictJSONRoute(APIRoute):
    """Route class for routers whose operations take a JSON body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictRequest(request.scope, request.receive))

        return strict
