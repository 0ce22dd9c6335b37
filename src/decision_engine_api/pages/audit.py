"""The auditor's pages: search recorded decisions, open one, replay it (reproduced, or
the field-by-field difference), what-if under another version, and the CSV export.

Every search, opening, replay and export asks for a justification and goes through the
same logging as the API (the access is recorded before anything is shown); the
justification travels in the form or query, never in a header a browser cannot set.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from decision_engine.audit import RecordFilter
from decision_engine.audit.errors import AuditValidationError
from decision_engine_api.auth import Principal, require
from decision_engine_api.deps import UUID_PATTERN, ServicesDep
from decision_engine_api.pages.cases import decision_page, show, words
from decision_engine_api.pages.render import field_errors, page
from decision_engine_api.problems import ProblemError, audit_problem, field_problem
from decision_engine_api.routes import exports
from decision_engine_api.routes.decisions import read_decision, replay_decision_as

router = APIRouter(include_in_schema=False)
Searcher = Annotated[Principal, Depends(require("exports.read", page=True))]
Replayer = Annotated[Principal, Depends(require("decisions.replay", page=True))]
DecisionId = Annotated[str, Path(pattern=UUID_PATTERN)]
SHOWN = 200
"""Most decisions a search lists (the CSV export has them all)."""


def _date(field: str, raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise field_problem(422, "invalid-request", "Invalid request", f"query.{field}",
                            "expected a date as YYYY-MM-DD") from None


def _errors(problem: ProblemError) -> tuple[list[dict[str, str]], dict[str, str]]:
    out = field_errors(problem, "query.")
    beside = {}
    for e in out:
        name = "justification" if e["field"] == "header.X-Justification" else e["field"]
        e["anchor"] = name
        beside[name] = e["detail"]
    return out, beside


@router.get("/audit", response_class=HTMLResponse)
def search(request: Request, principal: Searcher, services: ServicesDep,
           run: str | None = None,
           justification: Annotated[str | None, Query(max_length=1000)] = None,
           family: str | None = None, policy_version: str | None = None,
           outcome: str | None = None, date_from: str | None = None,
           date_to: str | None = None, departed: str | None = None) -> HTMLResponse:
    form = {k: v for k, v in request.query_params.items()}
    results: list[dict[str, Any]] | None = None
    errors: list[dict[str, str]] = []
    beside: dict[str, str] = {}
    total = 0
    if run is not None:
        try:
            why = principal.justification(justification)
            flt = RecordFilter(kind="decision", family=family or None,
                               policy_version=policy_version or None,
                               service_area=principal.service_area,
                               date_from=_date("date_from", date_from),
                               date_to=_date("date_to", date_to))
            query = {k: str(v) for k, v in form.items()
                     if v and k not in ("justification", "run")}
            try:
                services.store.log_access(
                    actor_role=principal.role, actor_id=principal.actor_id,
                    service_area=principal.service_area, justification=why, action="list",
                    query=query)
            except AuditValidationError as exc:
                raise audit_problem(exc) from None
            results = []
            for record, final in services.store.iter_decisions_with_final(flt):
                if outcome and record.outcome != outcome:
                    continue
                if departed and (final is None or final.outcome == record.outcome):
                    continue
                total += 1
                if len(results) < SHOWN:
                    results.append({"id": record.id, "date": record.decision_date,
                                    "family": record.family, "version": record.policy_version,
                                    "outcome": record.outcome,
                                    "final": final.outcome if final else None})
        except ProblemError as problem:
            errors, beside = _errors(problem)
            results = None
    reg = services.registry
    families = {f: [pv.version for pv in reg.versions(f)] for f in reg.families()}
    outcomes = sorted({o for f in reg.families() for pv in reg.versions(f)
                       for o in pv.policy.outcomes})
    return page(request, "pages/audit.html", title="Audit: search recorded decisions",
                status=422 if errors else 200, errors=errors, field_errors=beside,
                form=form, results=results, total=total, shown=SHOWN, families=families,
                outcomes=outcomes, words=words)


@router.get("/audit/decisions/{decision_id}", response_class=HTMLResponse)
def open_decision(request: Request, decision_id: DecisionId, services: ServicesDep,
                  principal: Annotated[Principal, Depends(require("decisions.read",
                                                                  page=True))],
                  justification: Annotated[str | None, Query(max_length=1000)] = None,
                  ) -> HTMLResponse:
    try:
        try:
            stored = read_decision(services, principal, decision_id, justification)
        except AuditValidationError as exc:
            raise audit_problem(exc) from None
    except ProblemError as problem:
        if problem.status == 404:
            raise
        errors, beside = _errors(problem)
        return page(request, "pages/justify.html", title="Why are you opening this decision?",
                    status=problem.status, errors=errors, field_errors=beside,
                    action=f"/audit/decisions/{decision_id}", form={})
    response = decision_page(request, services, principal, stored, justification=justification)
    return response


@router.post("/audit/decisions/{decision_id}/replay", response_class=HTMLResponse)
async def replay(request: Request, decision_id: DecisionId, principal: Replayer,
                 services: ServicesDep) -> HTMLResponse:
    form: FormData = await request.form()
    justification = str(form.get("justification") or "")
    target = str(form.get("target_version") or "") or None
    try:
        try:
            result = replay_decision_as(services, principal, decision_id, target,
                                        justification)
        except AuditValidationError as exc:
            raise audit_problem(exc) from None
    except ProblemError as problem:
        if problem.status == 404:
            raise
        errors, beside = _errors(problem)
        return page(request, "pages/justify.html", title="Why are you replaying this decision?",
                    status=problem.status, errors=errors, field_errors=beside,
                    action=f"/audit/decisions/{decision_id}/replay", form=form, post=True)
    return page(request, "pages/replay.html",
                title="What-if under another version" if target else "Replay",
                result=result, words=words, show=show, justification=justification)


@router.get("/audit/export.csv")
def export_csv(request: Request, principal: Searcher, services: ServicesDep,
               justification: Annotated[str | None, Query(max_length=1000)] = None,
               family: str | None = None, policy_version: str | None = None,
               date_from: str | None = None, date_to: str | None = None) -> Response:
    """The API's own export (same logging, same formula-injection neutralising)."""
    try:
        return exports.export(principal, services, format="csv", family=family or None,
                              policy_version=policy_version or None,
                              date_from=_date("date_from", date_from),
                              date_to=_date("date_to", date_to),
                              x_justification=justification)
    except ProblemError as problem:
        errors, _ = _errors(problem)
        return page(request, "pages/message.html", title="Export refused",
                    status=problem.status, errors=errors,
                    message="Give a justification on the search page, then download.",
                    back="/audit")
