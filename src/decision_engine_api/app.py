"""The ASGI application: ``create_app()`` builds it (uvicorn runs it as a factory).

Start-up opens the store (migrating it and asserting durable commits) and loads the
policy registry, so a misconfigured deployment fails to start instead of failing
requests. Each uvicorn worker process builds its own app and services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from decision_engine.policy.registry import Registry
from decision_engine_api import problems, request_schemas
from decision_engine_api.auth import BEARER_SCHEME, SignInRequired
from decision_engine_api.examples import case_examples
from decision_engine_api.fast_lane import FastLane
from decision_engine_api.limits import BodyLimit
from decision_engine_api.master import exit_with_master
from decision_engine_api.pages import audit, cases, render, signin, what_if
from decision_engine_api.pages import policies as policy_pages
from decision_engine_api.pages import reports as report_pages
from decision_engine_api.routes import (
    decisions,
    docs,
    exports,
    health,
    index,
    policies,
    replays,
    reports,
)
from decision_engine_api.services import Services
from decision_engine_api.settings import Settings

DESCRIPTION = """\
Evaluate youth-justice cases against versioned policies, record every decision in a
hash-chained audit store, and read, finalise and replay recorded decisions.

**Authentication**: every `/v1` call needs `Authorization: Bearer <API key>`; keys are
issued with `decision-engine credentials create`. What each role may call is listed in
`docs/api.md`. **Errors** are RFC 9457 `application/problem+json` naming the field.
**Reads** of stored decisions are logged with the `X-Justification` header.
**Minimal answers**: `POST /v1/decisions/{family}` with `Prefer: return=minimal` (RFC 7240)
answers with the record's id, hash and outcome, and `Location` for the full decision.
"""


def create_app(settings: Settings | None = None, *, services: Services | None = None,
               fast_lane: bool = True) -> FastAPI:
    """The app; pass *services* to share an already opened store (tests, benchmarks).
    ``fast_lane=False`` sends every request down the full FastAPI stack (the tests that
    hold :mod:`.fast_lane` to it)."""
    settings = settings or (services.settings if services else Settings.from_env())
    owned = services is None
    exit_with_master()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if owned:
            app.state.services = Services.open(settings, registry=registry)
        app.state.services.jobs.start()
        try:
            yield
        finally:
            if owned:
                app.state.services.close()
            else:
                app.state.services.jobs.stop()

    # Families and examples shape the OpenAPI document, so they are read here, before
    # the lifespan opens the store.
    registry = services.registry if services else Registry.load(settings.policy_root)
    families = registry.families()

    app = FastAPI(title="decision-engine", version="1", description=DESCRIPTION,
                  lifespan=lifespan, openapi_url="/openapi.json", docs_url=None,
                  redoc_url=None, separate_input_output_schemas=True)
    if services is not None:
        app.state.services = services
    if fast_lane:  # innermost: inside the body limit and the catch-all
        app.add_middleware(FastLane)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       timeout=settings.body_timeout_seconds)
    problems.install(app)  # adds the catch-all middleware outside the body limit
    app.include_router(health.router)
    app.include_router(index.router)
    app.include_router(decisions.build_router(families, case_examples(registry)))
    app.include_router(replays.router)
    app.include_router(exports.router)
    app.include_router(reports.router)
    app.include_router(policies.router)
    app.include_router(docs.router)
    _pages(app)
    _openapi(app, registry)
    return app


def _pages(app: FastAPI) -> None:
    """The people's pages, their assets (served here: closed networks) and their
    answers to a refusal (an HTML page, not problem+json)."""
    app.mount(docs.SWAGGER_PREFIX, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
              name="swagger-ui")
    app.mount("/static", StaticFiles(packages=[("decision_engine_api", "static")]),
              name="static")
    app.include_router(signin.router)
    app.include_router(cases.router)
    app.include_router(audit.router)
    app.include_router(what_if.router)
    app.include_router(report_pages.router)
    app.include_router(policy_pages.router)

    async def problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, problems.ProblemError)
        if render.is_page(request):
            return render.refused_page(request, exc)
        return problems.problem_for(request, exc)

    app.add_exception_handler(problems.ProblemError, problem)
    app.add_exception_handler(SignInRequired, render.sign_in_redirect)


def _openapi(app: FastAPI, registry: Registry) -> None:
    """The OpenAPI document: error responses as application/problem+json only (FastAPI
    also lists application/json for a response ``model``), and request schemas with the
    registry's families, versions, inputs and outcomes (:mod:`.request_schemas`)."""

    built_for: list[dt.date] = []

    def openapi() -> dict[str, Any]:
        today = request_schemas.today()
        if app.openapi_schema and built_for == [today]:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version,
                             description=app.description, routes=app.routes)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status != "422" and problems.MEDIA_TYPE in content:
                        content.pop("application/json", None)
                    if status == "422":  # FastAPI's own validation schema → ours
                        response["content"] = {problems.MEDIA_TYPE: {
                            "schema": {"$ref": "#/components/schemas/Problem"}}}
                        response["description"] = "Invalid request or input"
        schema.setdefault("components", {}).setdefault("securitySchemes", {})[
            "bearer"] = BEARER_SCHEME
        for route_path, path in schema.get("paths", {}).items():
            if route_path.startswith("/v1/"):
                for operation in path.values():
                    operation["security"] = [{"bearer": []}]
        components = schema.get("components", {}).get("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        # Decision dates are bounded by tomorrow: rebuilt when the day changes.
        request_schemas.refine(schema, registry, today)
        app.openapi_schema = schema
        built_for[:] = [today]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
