"""Liveness and readiness, unauthenticated (for load balancers and orchestrators).

``/healthz`` says the process answers; ``/readyz`` says it can do its job: the store
answers (its chain head is read) and the policy registry is loaded.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter

from decision_engine_api.deps import ServicesDep
from decision_engine_api.models import Health, Readiness
from decision_engine_api.problems import ProblemError, problem_responses

router = APIRouter(tags=["health"])
log = logging.getLogger("api")


@router.get("/healthz", response_model=Health, operation_id="healthz", summary="Liveness")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, operation_id="readyz", summary="Readiness",
            responses=problem_responses(503))
def readyz(services: ServicesDep) -> Readiness:
    try:
        seq, _ = services.store.head()
    except Exception as exc:
        log.error("readiness: store check failed: %s", type(exc).__name__)
        raise ProblemError(503, "not-ready", "Not ready",
                           "the audit store does not answer") from None
    families = sorted(services.families)
    if not families:
        raise ProblemError(503, "not-ready", "Not ready", "no policy family is registered")
    return Readiness(status="ready", store=f"{services.store.backend}, chain head seq {seq}",
                     families=families)
