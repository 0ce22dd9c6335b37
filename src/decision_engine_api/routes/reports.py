"""``/v1/reports/{name}``: the board reports, for the auditor role only.

The report covers the credential's own service area. It is logged in the audit chain
(action ``report``, the scope and the ``X-Justification``) before it is built, like an
export. JSON by default; ``format=html`` is the self-contained page, ``format=csv`` one
table (``table=``, default the first).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from decision_engine.audit import AccessContext
from decision_engine.audit.errors import AuditValidationError
from decision_engine.errors import InputError
from decision_engine.reports import REPORTS, Report, Scope, generate
from decision_engine.reports import render as out
from decision_engine.strict_json import IsoDate
from decision_engine_api.auth import Principal
from decision_engine_api.deps import Justification, Reporter, ServicesDep
from decision_engine_api.problems import (
    audit_problem,
    field_problem,
    problem_responses,
)
from decision_engine_api.services import Services

router = APIRouter(prefix="/v1/reports", tags=["reports"])

ReportName = Annotated[str, Path(description="disproportionality, departures, refer-backs "
                                 "or pace-transfers.", examples=["disproportionality"])]


def build_report(services: Services, principal: Principal, name: str, date_from: dt.date,
                 date_to: dt.date, justification: str | None, *, family: str | None = None,
                 group_by: str = "ethnicity", reference: str | None = None,
                 threshold: int = 5, where: str = "query") -> Report:
    """Check, log and build; bad input is a 4xx problem naming the field."""
    why = principal.justification(justification)
    if name not in REPORTS:
        raise field_problem(404, "not-found", "Not found", "path.name",
                            f"{name!r} is not a report; expected one of: "
                            + ", ".join(REPORTS))
    try:
        scope = Scope(date_from, date_to, principal.service_area, family or None,
                      group_by or "ethnicity", reference or None, threshold)
        access = AccessContext(principal.role, principal.actor_id, principal.service_area,
                               why)
        return generate(services.store, services.registry, name, scope, access)
    except InputError as exc:
        field = {"to": "date_to", "from": "date_from"}.get(exc.field, exc.field)
        raise field_problem(422, "invalid-request", "Invalid request", f"{where}.{field}",
                            exc.why) from None
    except AuditValidationError as exc:
        raise audit_problem(exc) from None


@router.get(
    "/{name}", operation_id="get_report",
    summary="A board report over stored decisions (auditor only; logged)",
    responses={200: {"description": "The report.", "content": {
        "application/json": {"schema": {"type": "object"}},
        "text/html": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403, 404, 422)})
def get_report(
    name: ReportName,
    principal: Reporter, services: ServicesDep,
    date_from: Annotated[IsoDate, Query(alias="from", description="First decision date.")],
    date_to: Annotated[IsoDate, Query(alias="to", description="Last decision date.")],
    format: Annotated[Literal["json", "html", "csv"], Query(
        description="json, html (self-contained) or csv (one table).")] = "json",
    table: Annotated[str | None, Query(pattern=r"^[a-z_]{1,64}$",
                                       description="The table for format=csv.")] = None,
    family: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9-]{0,63}$")] = None,
    group_by: Annotated[str, Query(pattern=r"^[a-z_]{1,64}$",
                                   description="Monitoring field to group by.")
                        ] = "ethnicity",
    reference: Annotated[str | None, Query(max_length=100,
                                           description="Reference group for the index.")
                         ] = None,
    threshold: Annotated[int, Query(ge=0, le=1000, description="Suppress counts below.")
                         ] = 5,
    x_justification: Justification = None,
) -> Response:
    report = build_report(services, principal, name, date_from, date_to, x_justification,
                          family=family, group_by=group_by, reference=reference,
                          threshold=threshold)
    if format == "html":
        return HTMLResponse(out.to_html(report))
    if format == "json":
        return JSONResponse(report.to_json())
    chosen = next((t for t in report.tables if table in (None, t.name)), None)
    if chosen is None:
        raise field_problem(422, "invalid-request", "Invalid request", "query.table",
                            f"{table!r} is not a table of this report; expected one of: "
                            + ", ".join(t.name for t in report.tables))
    return Response(out.table_csv(chosen), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{report.name}-{chosen.name}.csv"'})
