"""Policies for a reader: each family and version with its status and approval, its
sources, tables (with each row's verified flag) and every rule in words, anchored as
``#rule-<id>`` so a decision's reasons link to the rule that gave them.

A version page shows the same document as ``decision-engine render`` (one list of blocks
from :mod:`decision_engine.authoring.render`), so the page and the exported document
never describe a rule differently.

Policies are published guidance, not personal data, so (like ``/``) these pages need
no sign-in; a signed-in person still sees their menu.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from decision_engine.authoring import render
from decision_engine.errors import UnknownPolicyError
from decision_engine_api.auth import SESSION_COOKIE, Principal
from decision_engine_api.deps import ServicesDep
from decision_engine_api.pages.render import page
from decision_engine_api.problems import not_found
from decision_engine_api.render import summary

router = APIRouter(include_in_schema=False)
Family = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{0,63}$")]
Version = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9.-]{0,63}$")]

def _signed_in(request: Request, services: Any) -> None:
    session = services.people.session(request.cookies.get(SESSION_COOKIE, ""))
    if session is not None:
        u = session.user
        request.state.principal = Principal(u.role, u.service_area, u.actor_id, session)


@router.get("/policies", response_class=HTMLResponse)
def policies(request: Request, services: ServicesDep) -> HTMLResponse:
    _signed_in(request, services)
    reg = services.registry
    families = [{"family": f, "title": reg.family(f).title,
                 "versions": [summary(pv, reg) for pv in reg.versions(f)]} for f in reg.families()]
    return page(request, "pages/policies.html", title="Policies", families=families)


@router.get("/policies/{family}", response_class=HTMLResponse)
def policy_family(request: Request, family: Family, services: ServicesDep) -> HTMLResponse:
    if family not in services.families:
        raise not_found("policy family", "path.family")
    _signed_in(request, services)
    reg = services.registry
    return page(request, "pages/policies.html", title=reg.family(family).title,
                families=[{"family": family, "title": reg.family(family).title,
                           "versions": [summary(pv, reg) for pv in reg.versions(family)]}])


@router.get("/policies/{family}/{version}", response_class=HTMLResponse)
def policy_version(request: Request, family: Family, version: Version,
                   services: ServicesDep) -> HTMLResponse:
    if family not in services.families:
        raise not_found("policy family", "path.family")
    try:
        pv = services.registry.get(family, version)
    except UnknownPolicyError:
        raise not_found("policy version", "path.version") from None
    _signed_in(request, services)
    doc = render.blocks(pv, signoffs=services.registry.signoffs.for_version(family, version))
    return page(request, "pages/policy.html", title=pv.policy.title,
                summary=summary(pv, services.registry),
                blocks=[(type(b).__name__, b) for b in doc[1:]], rules_unverified=sum(
                    not r.verified for r in pv.policy.rules))
