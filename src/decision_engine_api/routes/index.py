"""``/``: a small read-only HTML page listing policy families and versions.

Policies are published guidance, not personal data, so the page needs no credentials;
it shows no decisions. Rendered with Jinja2 autoescaping.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from decision_engine_api.deps import ServicesDep
from decision_engine_api.pages.render import day
from decision_engine_api.render import summary

router = APIRouter(include_in_schema=False)
_env = Environment(loader=PackageLoader("decision_engine_api", "templates"),
                   autoescape=select_autoescape(["html"]))
_env.filters["day"] = day  # dates written out, as on the people's pages


@router.get("/", response_class=HTMLResponse)
def index(services: ServicesDep) -> HTMLResponse:
    reg = services.registry
    families = [{"family": f, "title": reg.family(f).title,
                 "versions": [summary(pv, reg) for pv in reg.versions(f)]}
                for f in reg.families()]
    html = _env.get_template("index.html").render(families=families)
    return HTMLResponse(html)
