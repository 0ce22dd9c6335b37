"""Policies for a reader: each family and version with its status and approval, its
sources, tables (with each row's verified flag) and every rule in words, anchored as
``#rule-<id>`` so a decision's reasons link to the rule that gave them.

Policies are published guidance, not personal data, so (like ``/``) these pages need
no sign-in; a signed-in person still sees their menu.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from decision_engine.errors import UnknownPolicyError
from decision_engine.policy import model as m
from decision_engine_api.auth import SESSION_COOKIE, Principal
from decision_engine_api.deps import ServicesDep
from decision_engine_api.pages.render import page
from decision_engine_api.problems import not_found
from decision_engine_api.render import render_table, summary

router = APIRouter(include_in_schema=False)
Family = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{0,63}$")]
Version = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9.-]{0,63}$")]

_OPS = {"eq": "is", "ne": "is not", "lt": "is less than", "le": "is at most",
        "gt": "is more than", "ge": "is at least", "in_": "is one of",
        "not_in": "is none of", "has": "includes"}


def _operand(value: Any) -> str:
    if isinstance(value, m.ParamRef):
        return f"parameter {value.param}"
    if isinstance(value, m.FactRef):
        return f"fact {value.fact}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_operand(v) for v in value)
    return str(value)


def condition_words(cond: Any) -> str:
    """A rule's condition in words (the YAML is shown beside it for the exact form)."""
    if isinstance(cond, m.Always):
        return "always"
    if isinstance(cond, m.AllOf):
        return "all of: (" + "; ".join(condition_words(c) for c in cond.all) + ")"
    if isinstance(cond, m.AnyOf):
        return "any of: (" + "; ".join(condition_words(c) for c in cond.any) + ")"
    if isinstance(cond, m.Not):
        return "not (" + condition_words(cond.not_) + ")"
    if isinstance(cond, m.Compare):
        parts = []
        for op, words in _OPS.items():
            value = getattr(cond, op)
            if value is not None:
                parts.append(f"{cond.fact} {words} {_operand(value)}")
        if cond.given is not None:
            parts.append(f"{cond.fact} is {'given' if cond.given else 'not given'}")
        return " and ".join(parts) or cond.fact
    return str(cond)


def _effects(rule: m.Rule) -> list[str]:
    out = []
    if rule.indicate:
        out.append(f"indicates {rule.indicate.replace('_', ' ')}"
                   + (f" (priority {rule.priority})" if rule.priority else ""))
    if rule.block:
        out.append("blocks " + ", ".join(b.replace("_", " ") for b in rule.block))
    if rule.set:
        out.append("sets " + ", ".join(f"{k} = {_operand(v)}" for k, v in rule.set.items()))
    if rule.flag:
        out.append("flags " + ", ".join(rule.flag))
    if rule.warn:
        out.append(f"warns: {rule.warn}")
    if rule.applies_if_outcome:
        out.append("only when the outcome is " + ", ".join(rule.applies_if_outcome))
    return out


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
    policy = pv.policy
    rules = [{"rule": r, "when": condition_words(r.when), "effects": _effects(r),
              "document": policy.documents.get(r.source.document)} for r in policy.rules]
    return page(request, "pages/policy.html", title=f"{policy.title}",
                summary=summary(pv, services.registry), policy=policy, rules=rules,
                tables=[render_table(n, t) for n, t in policy.tables.items()])
