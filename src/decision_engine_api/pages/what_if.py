"""The auditor's what-if over a search: every decision the search's family, version and
dates select, evaluated under another version of the policy, as an impact table.

It is the API's bulk replay job (``POST /v1/replays`` with ``target_version``) started
from a form: the same checks (:func:`start_job`), the same logging of the access with the
justification, the same background worker. The job page refreshes itself while the job
runs (a small script the person can switch off, WCAG 2.2.1; without script a "Refresh
now" link) and then shows how many decisions move from each
recorded outcome to each outcome under the target version.
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from decision_engine_api.auth import Principal, require
from decision_engine_api.deps import UUID_PATTERN, ServicesDep
from decision_engine_api.models import BulkReplayCreate, ReplayJob
from decision_engine_api.pages.cases import words
from decision_engine_api.pages.render import SECURITY_HEADERS, field_errors, page
from decision_engine_api.problems import ProblemError, not_found, validation_fields
from decision_engine_api.routes.replays import start_job

router = APIRouter(include_in_schema=False)
Planner = Annotated[Principal, Depends(require("replays.create", page=True))]
Watcher = Annotated[Principal, Depends(require("replays.read", page=True))]
JobId = Annotated[str, Path(pattern=UUID_PATTERN)]
FILTER = ("family", "policy_version", "date_from", "date_to")
"""The search fields a what-if job can select by (outcome and departure are not among
them: a job replays every decision of the family, version and dates)."""
REFRESH_SECONDS = 2


@router.post("/audit/what-if", response_class=HTMLResponse)
async def start(request: Request, principal: Planner, services: ServicesDep) -> Response:
    form: FormData = await request.form()
    raw = {k: str(form.get(k) or "") for k in (*FILTER, "target_version")}
    try:
        try:
            body = BulkReplayCreate.model_validate({k: v for k, v in raw.items() if v})
        except ValidationError as exc:
            fields = validation_fields(exc.errors(), ("body",))
            raise ProblemError(422, "invalid-request", "Invalid request",
                               f"{fields[0].field}: {fields[0].detail}", fields) from None
        job = start_job(services, principal, body, str(form.get("justification") or ""))
    except ProblemError as problem:
        errors = field_errors(problem, "body.")
        back = "/audit?" + urllib.parse.urlencode(
            {"run": "1", **{k: v for k, v in raw.items() if k in FILTER and v}})
        return page(request, "pages/message.html", title="What-if refused",
                    status=problem.status, errors=errors, back=back,
                    message="Nothing was run. Correct the search and start the what-if again.")
    return RedirectResponse(f"/audit/jobs/{job.id}", status_code=303, headers=SECURITY_HEADERS)


@router.get("/audit/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: JobId, principal: Watcher,
             services: ServicesDep) -> HTMLResponse:
    job = services.jobs.get(job_id, principal.service_area)
    if job is None:
        raise not_found("replay job", "path.job_id")
    running = job.status in ("queued", "running")
    return page(request, "pages/what_if.html", title="What-if: impact of another version",
                job=job, impact=impact(job), words=words,
                refresh=REFRESH_SECONDS if running else None)


def impact(job: ReplayJob) -> dict[str, Any] | None:
    """Recorded outcome × outcome under the target version, with row and column totals;
    None until the job has succeeded."""
    if job.status != "succeeded" or job.result is None:
        return None
    cells: dict[tuple[str, str], int] = {}
    for t in job.result.get("transitions", []):
        key = (str(t["recorded_outcome"]), str(t["replayed_outcome"]))
        cells[key] = cells.get(key, 0) + int(t["count"])
    rows = sorted({a for a, _ in cells})
    cols = sorted({b for _, b in cells})
    changed = [i for i in job.result.get("items", []) if i.get("status") == "changed"]
    return {"rows": rows, "cols": cols, "cells": cells,
            "row_totals": {a: sum(n for (r, _), n in cells.items() if r == a) for a in rows},
            "col_totals": {b: sum(n for (_, c), n in cells.items() if c == b) for b in cols},
            "total": sum(cells.values()), "changed": changed}
