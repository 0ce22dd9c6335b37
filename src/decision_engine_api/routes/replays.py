"""``/v1/replays``: bulk replay (reproduce, or what-if under another version) as a job.

``POST`` answers 202 at once with the job and a ``Location``; the job runs in the
background of the worker that accepted it and ``GET /v1/replays/{id}`` reports status,
progress and, when done, the result. A job only ever reads its own service area.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from decision_engine.audit import AccessContext
from decision_engine.errors import UnknownPolicyError
from decision_engine_api.auth import Principal
from decision_engine_api.deps import JobCreator, JobId, JobReader, Justification, ServicesDep
from decision_engine_api.examples import BULK_REPLAY_EXAMPLES
from decision_engine_api.jobs import QueueFull
from decision_engine_api.models import BulkReplayCreate, ReplayJob
from decision_engine_api.problems import ProblemError, field_problem, not_found, problem_responses
from decision_engine_api.services import Services
from decision_engine_api.strict_body import StrictJSONRoute

router = APIRouter(prefix="/v1/replays", tags=["replays"], route_class=StrictJSONRoute)


@router.post("", status_code=202, response_model=ReplayJob, operation_id="create_replay_job",
             summary="Start a bulk replay job",
             responses=problem_responses(400, 401, 403, 413, 422, 429))
def create_replay_job(
    body: Annotated[BulkReplayCreate, Body(openapi_examples=BULK_REPLAY_EXAMPLES)],
    principal: JobCreator, services: ServicesDep, response: Response,
    x_justification: Justification = None,
) -> ReplayJob:
    """Replay every decision of your service area that the filter selects. The access
    is logged (action ``replay``, with the filter) when the job starts."""
    job = start_job(services, principal, body, x_justification)
    response.headers["Location"] = f"/v1/replays/{job.id}"
    return job


def start_job(services: Services, principal: Principal, body: BulkReplayCreate,
              justification: str | None) -> ReplayJob:
    """Check a bulk replay request against the registry and queue it: shared by the API
    and the auditor's what-if page, so both refuse the same requests in the same words."""
    why = principal.justification(justification)
    if body.date_from and body.date_to and body.date_from > body.date_to:
        raise field_problem(422, "invalid-request", "Invalid request", "body.date_to",
                            "is before date_from")
    if body.family is not None and body.family not in services.families:
        raise field_problem(422, "invalid-input", "Invalid input", "body.family",
                            f"no policy family {body.family!r}")
    if body.target_version is not None:
        if body.family is None:
            raise field_problem(422, "invalid-request", "Invalid request", "body.family",
                                "is required with target_version (a version belongs to "
                                "one family)")
        try:
            services.registry.get(body.family, body.target_version)
        except UnknownPolicyError as exc:
            raise field_problem(422, "invalid-input", "Invalid input",
                                "body.target_version", str(exc)) from None
    access = AccessContext(actor_role=principal.role, actor_id=principal.actor_id,
                           service_area=principal.service_area, justification=why)
    try:
        job_id = services.jobs.submit(body, access)
    except QueueFull as exc:
        raise ProblemError(429, "too-many-jobs", "Too many jobs",
                           f"{exc}; try again when one has finished",
                           headers={"Retry-After": "30"}) from None
    job = services.jobs.get(job_id, principal.service_area)
    assert job is not None
    return job


@router.get("/{job_id}", response_model=ReplayJob, operation_id="get_replay_job",
            summary="Status, progress and result of a replay job",
            responses=problem_responses(401, 403, 404, 422))
def get_replay_job(job_id: JobId, principal: JobReader, services: ServicesDep) -> ReplayJob:
    job = services.jobs.get(job_id, principal.service_area)
    if job is None:
        raise not_found("replay job", "path.job_id")
    return job
