"""RFC 9457 problem details: every error the service returns, in one shape.

A client gets ``application/problem+json`` with a stable ``type``, the HTTP ``status``,
a one-sentence ``detail`` for a person, and ``errors`` naming each failing field as
``<location>.<path>`` (``body.case.facts.offence``, ``query.format``,
``header.X-Justification``). Nothing else leaks: no tracebacks, no exception class
names, no echoed values (an echoed date of birth would end up in client logs).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from decision_engine.audit.errors import AuditValidationError, RecordNotFound
from decision_engine.errors import InputError
from decision_engine_api.strict_body import BodyFieldError

log = logging.getLogger("api")

MEDIA_TYPE = "application/problem+json"
_TYPE = "urn:decision-engine:problem:"


class FieldError(BaseModel):
    """One failing field: where it is and what is wrong with it."""

    model_config = ConfigDict(frozen=True)

    field: str = Field(description="Location and path, e.g. `body.case.facts.offence`.")
    detail: str = Field(description="What is wrong, as a sentence.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "type": "urn:decision-engine:problem:invalid-input", "title": "Invalid input",
        "status": 422, "detail": "body.case.facts.offence: not a known value",
        "instance": "/v1/decisions/gravity-matrix",
        "errors": [{"field": "body.case.facts.offence", "detail": "not a known value"}]}})

    type: str = Field(description="Stable identifier of the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[FieldError] = Field(default_factory=list)


class ProblemError(Exception):
    """Raise to answer with a problem; handled in one place (:func:`install`)."""

    def __init__(self, status: int, slug: str, title: str, detail: str,
                 errors: Iterable[FieldError] = (), headers: Mapping[str, str] | None = None,
                 ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})


def field_problem(status: int, slug: str, title: str, field: str, why: str) -> ProblemError:
    """A problem about one field; ``detail`` repeats the field so one line says it all."""
    return ProblemError(status, slug, title, f"{field}: {why}", [FieldError(field=field,
                                                                             detail=why)])


def not_found(what: str, field: str) -> ProblemError:
    return field_problem(404, "not-found", "Not found", field, f"no {what} with that id is "
                         "visible to this credential")


def problem_response(status: int, slug: str, title: str, detail: str, instance: str | None,
                     errors: Sequence[FieldError] = (),
                     headers: Mapping[str, str] | None = None) -> Response:
    body = Problem(type=_TYPE + slug, title=title, status=status, detail=detail,
                   instance=instance, errors=list(errors))
    return JSONResponse(body.model_dump(mode="json"), status_code=status,
                        media_type=MEDIA_TYPE, headers=dict(headers or {}))


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problems a route can answer with."""
    descriptions = {400: "Malformed request", 401: "Missing or invalid credentials",
                    403: "This role may not call this route", 404: "Not found",
                    405: "Method not allowed: a segment that is not a decision id is a "
                    "family path, which takes POST only (`Allow` names it)",
                    409: "Conflict", 413: "Body too large", 422: "Invalid input",
                    503: "Not ready"}
    return {s: {"model": Problem, "description": descriptions.get(s, "Problem"),
                "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for s in statuses}


def _loc(loc: Sequence[Any]) -> str:
    """``('body', 'case', 'facts', 'offence')`` → ``body.case.facts.offence``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "header" and len(parts) > 1:
        parts[1] = "-".join(w.capitalize() if w != "x" else "X" for w in
                            parts[1].replace("_", "-").split("-"))
    return ".".join(parts) or "body"


def _sentence(message: str) -> str:
    return message[:1].lower() + message[1:] if message else "is invalid"


def validation_fields(errors: Sequence[Any], prefix: Sequence[str] = ()) -> list[FieldError]:
    """Pydantic errors as field errors, in the words every answer uses (the pages show
    the same ones beside their fields)."""
    fields = []
    for e in list(errors)[:20]:
        loc = (*prefix, *e.get("loc", ()))
        # FastAPI reports the whole body as ("body",) when it is missing or not an object.
        why = _sentence(str(e.get("msg", "is invalid")).removeprefix("Value error, "))
        if e.get("type") == "extra_forbidden":
            why = "is not a known field"
        elif e.get("type") == "missing":
            why = "is required"
        fields.append(FieldError(field=_loc(loc), detail=why))
    return fields


def _validation(request: Request, exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(400, "malformed-json", "Malformed JSON",
                                "body: the request body is not valid JSON",
                                request.url.path, [FieldError(field="body",
                                                              detail="is not valid JSON")])
    fields = validation_fields(errors)
    first = fields[0] if fields else FieldError(field="body", detail="is invalid")
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    return problem_response(422, "invalid-request", "Invalid request",
                            f"{first.field}: {first.detail}{more}", request.url.path, fields)


_HTTP_SLUGS = {404: ("not-found", "Not found"), 405: ("method-not-allowed",
                                                      "Method not allowed"),
               415: ("unsupported-media-type", "Unsupported media type")}


def _http(request: Request, exc: StarletteHTTPException) -> Response:
    slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "Request failed"))
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 500 else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route for {request.method} {request.url.path}"
    allow = (exc.headers or {}).get("Allow")
    if exc.status_code == 405 and allow:
        detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allow}"
    return problem_response(exc.status_code, slug, title, detail, request.url.path,
                            headers=exc.headers)


def _body_field(request: Request, exc: BodyFieldError) -> Response:
    return problem_response(422, "invalid-request", "Invalid request", f"{exc.field}: {exc.why}",
                            request.url.path, [FieldError(field=exc.field, detail=exc.why)])


def problem_for(request: Request, exc: ProblemError) -> Response:
    return problem_response(exc.status, exc.slug, exc.title, exc.detail, request.url.path,
                            exc.errors, exc.headers)


def input_problem(exc: InputError) -> ProblemError:
    """A case the engine refused, as the field problem every answer shows."""
    why = exc.why + exc.date_note('send "decision_date": "{day}" beside "case"')
    return field_problem(422, "invalid-input", "Invalid input", f"body.case.{exc.field}", why)


def _input(request: Request, exc: InputError) -> Response:
    return problem_for(request, input_problem(exc))


AUDIT_FIELDS = {"justification": "header.X-Justification", "rationale": "body.rationale",
                "final_outcome": "body.final_outcome"}


def audit_problem(exc: AuditValidationError) -> ProblemError:
    """A request the store refused (a rationale, a justification), as a field problem."""
    return field_problem(422, "invalid-input", "Invalid input",
                         AUDIT_FIELDS.get(exc.field, f"body.{exc.field}"), exc.why)


def _audit(request: Request, exc: AuditValidationError) -> Response:
    return problem_for(request, audit_problem(exc))


def _missing(request: Request, exc: RecordNotFound) -> Response:
    return problem_for(request, not_found("decision", "path.decision_id"))


class CatchAll:
    """Outermost app middleware: an unexpected exception becomes a bare 500 problem and
    goes no further.

    Starlette's own error middleware would re-raise it to the server, which logs the
    traceback, and an exception message can carry case data (a reference, a date of
    birth). Here only its class name is logged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            log.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"),
                      scope.get("path"))
            if started:  # too late for a problem body; the server closes the connection
                return
            problem = Problem(type=_TYPE + "internal", title="Internal error", status=500,
                              detail="the service failed to handle this request; nothing "
                              "was recorded unless a record id was returned",
                              instance=scope.get("path"))
            response = JSONResponse(problem.model_dump(mode="json"), status_code=500,
                                    media_type=MEDIA_TYPE)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Route every error through problem details."""
    handlers: list[tuple[type[Exception], Any]] = [
        (RequestValidationError, _validation), (StarletteHTTPException, _http),
        (BodyFieldError, _body_field), (ProblemError, problem_for), (InputError, _input),
        (AuditValidationError, _audit),
        (RecordNotFound, _missing)]
    for exc_class, handler in handlers:
        app.add_exception_handler(exc_class, handler)
    app.add_middleware(CatchAll)
