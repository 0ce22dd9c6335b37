"""The auditor's board reports page: pick a report and a period, give a justification,
read the report (its tables and inline SVG charts) in the page.

The report is the same one ``/v1/reports/{name}`` and the CLI build; running it is logged
first, with the justification from the form.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from decision_engine.reports import REPORTS
from decision_engine.reports.render import body_html
from decision_engine_api.auth import Principal, require
from decision_engine_api.deps import ServicesDep
from decision_engine_api.pages.render import field_errors, page
from decision_engine_api.problems import ProblemError, field_problem
from decision_engine_api.routes.reports import build_report

router = APIRouter(include_in_schema=False)
Reporter = Annotated[Principal, Depends(require("reports.read", page=True))]
GROUP_FIELDS = ["ethnicity", "sex", "age_band", "looked_after", "disability", "religion"]
REPORT_CSP = ("default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
              "base-uri 'none'")
"""The charts are SVG with their own <style> element; no script runs on this page."""


def _date(field: str, raw: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        raise field_problem(422, "invalid-request", "Invalid request", f"query.{field}",
                            "expected a date as YYYY-MM-DD") from None


@router.get("/audit/reports", response_class=HTMLResponse)
def reports_page(request: Request, principal: Reporter, services: ServicesDep,
                 run: str | None = None,
                 justification: Annotated[str | None, Query(max_length=1000)] = None,
                 name: str = "disproportionality", date_from: str | None = None,
                 date_to: str | None = None, family: str | None = None,
                 group_by: str = "ethnicity", reference: str | None = None,
                 threshold: str = "5") -> HTMLResponse:
    form = dict(request.query_params.items())
    errors: list[dict[str, str]] = []
    beside: dict[str, str] = {}
    report_html = ""
    if run is not None:
        try:
            if not threshold.isdigit():
                raise field_problem(422, "invalid-request", "Invalid request",
                                    "query.threshold", "expected a whole number")
            report = build_report(services, principal, name, _date("date_from", date_from),
                                  _date("date_to", date_to), justification,
                                  family=family or None, group_by=group_by or "ethnicity",
                                  reference=reference or None, threshold=int(threshold))
            report_html = body_html(report, level=2)
        except ProblemError as problem:
            errors = field_errors(problem, "query.")
            for e in errors:
                key = "justification" if e["field"] == "header.X-Justification" else e["field"]
                e["anchor"] = key
                beside[key] = e["detail"]
    response = page(request, "pages/reports.html", title="Board reports",
                    status=422 if errors else 200, errors=errors, field_errors=beside,
                    form=form, reports={n: r[0] for n, r in REPORTS.items()},
                    families=services.registry.families(), group_fields=GROUP_FIELDS,
                    report_html=report_html)
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response
