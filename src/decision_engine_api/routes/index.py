"""``/``: a small read-only HTML page listing policy families and versions.

Policies are published guidance, not personal data, so the page needs no credentials;
it shows no decisions. Rendered by the pages' Jinja2 environment (autoescaping, dates
written out).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from decision_engine_api.deps import ServicesDep
from decision_engine_api.pages.render import env
from decision_engine_api.render import summary

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index(services: ServicesDep) -> HTMLResponse:
    reg = services.registry
    families = [{"family": f, "title": reg.family(f).title,
                 "versions": [summary(pv, reg) for pv in reg.versions(f)]}
                for f in reg.families()]
    html = env.get_template("index.html").render(families=families)
    return HTMLResponse(html)
