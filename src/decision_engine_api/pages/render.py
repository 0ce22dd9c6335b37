"""Rendering pages: the Jinja2 environment, the navigation each role sees, and the
answers for a refused or unauthenticated page (HTML, not problem+json)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from decision_engine_api.auth import FAMILY_ROLES, MATRIX, Principal, SignInRequired
from decision_engine_api.problems import FieldError, ProblemError

env = Environment(loader=PackageLoader("decision_engine_api", "templates"),
                  autoescape=select_autoescape(["html"]), trim_blocks=True,
                  lstrip_blocks=True)


def day(value: dt.date | str | None) -> str:
    """A date as people here write it, ``7 December 2026`` (the API keeps ISO 8601);
    text that is not an ISO date is shown as it is, nothing as ``""``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            when = dt.date.fromisoformat(value)
        except ValueError:
            return value
    else:
        when = value
    return f"{when.day} {when:%B %Y}"


def moment(value: str | None) -> str:
    """A recorded time (UTC, ISO 8601) as ``30 November 2026, 05:12 UTC``."""
    if not value:
        return ""
    try:
        at = dt.datetime.fromisoformat(value)  # Python 3.11 reads the "Z"
    except ValueError:
        return value
    return f"{day(at.date())}, {at:%H:%M} UTC"


env.filters["day"] = day
env.filters["moment"] = moment

SECURITY_HEADERS = {
    # Nothing from another origin, no framing, no inline script (pages need none).
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def nav(principal: Principal, services_families: Sequence[str]) -> list[tuple[str, str]]:
    """Links for what this role may do, read from the one role matrix."""
    links = [("/home", "Home")]
    for family in services_families:
        if principal.role in FAMILY_ROLES.get(family, frozenset()):
            links.append((f"/decide/{family}", family.replace("-", " ").capitalize()))
    if principal.role in MATRIX["exports.read"] or principal.role in MATRIX["replays.create"]:
        links.append(("/audit", "Audit"))
    if principal.role in MATRIX["reports.read"]:
        links.append(("/audit/reports", "Reports"))
    links.append(("/policies", "Policies"))
    return links


def page(request: Request, template: str, *, title: str, status: int = 200,
         errors: Sequence[Mapping[str, str]] = (), **context: Any) -> HTMLResponse:
    principal: Principal | None = getattr(request.state, "principal", None)
    session = principal.session if principal else None
    families = sorted(request.app.state.services.families)
    html = env.get_template(template).render(
        title=title, principal=principal, errors=list(errors), current=request.url.path,
        csrf_token=session.csrf_token if session else context.pop("csrf_token", ""),
        nav=nav(principal, families) if principal else [], **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def field_errors(problem: ProblemError, prefix: str = "body.") -> list[dict[str, str]]:
    """The API's field errors as the page shows them: ``body.case.facts.offence`` →
    anchor ``facts.offence`` beside that field, in the API's own words."""
    out = []
    errors: list[FieldError] = problem.errors or [FieldError(field="", detail=problem.detail)]
    for e in errors:
        name = e.field.removeprefix(prefix).removeprefix("case.")
        out.append({"field": name, "anchor": name.replace(".", "-") if name else "",
                    "label": name.split(".")[-1].replace("_", " ") if name else "",
                    "detail": e.detail})
    return out


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(("/v1/", "/openapi.json"))


def sign_in_redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"/sign-in?next={quote(exc.path, safe='/')}", status_code=303)


def refused_page(request: Request, exc: ProblemError) -> HTMLResponse:
    titles = {403: "You may not do this", 404: "Not found"}
    return page(request, "pages/message.html", title=titles.get(exc.status, exc.title),
                status=exc.status, message=exc.detail, back="/home")
