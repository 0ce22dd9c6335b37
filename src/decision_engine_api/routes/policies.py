"""``/v1/policies``: the registered policy versions, their YAML and rendered tables."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from decision_engine.errors import UnknownPolicyError
from decision_engine_api.deps import PolicyReader, ServicesDep
from decision_engine_api.models import PolicyFamily, PolicyVersionDetail
from decision_engine_api.problems import field_problem, problem_responses
from decision_engine_api.render import detail, summary

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.get("", response_model=list[PolicyFamily], operation_id="list_policies",
            summary="Policy families and their versions",
            responses=problem_responses(401, 403))
def list_policies(principal: PolicyReader, services: ServicesDep) -> list[PolicyFamily]:
    reg = services.registry
    out = []
    for family in reg.families():
        entry = reg.family(family)
        out.append(PolicyFamily(family=family, title=entry.title,
                                description=entry.description,
                                versions=[summary(pv, reg) for pv in reg.versions(family)]))
    return out


@router.get("/{family}/{version}", response_model=PolicyVersionDetail,
            operation_id="get_policy_version",
            summary="One policy version: its YAML and rendered tables",
            responses=problem_responses(401, 403, 404, 422))
def get_policy_version(
    family: Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{0,63}$",
                                examples=["gravity-matrix"])],
    version: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9.-]{0,63}$",
                                 examples=["npcc-2025"])],
    principal: PolicyReader, services: ServicesDep,
) -> PolicyVersionDetail:
    if family not in services.families:
        raise field_problem(404, "not-found", "Not found", "path.family",
                            f"no policy family {family!r}")
    try:
        pv = services.registry.get(family, version)
    except UnknownPolicyError as exc:
        raise field_problem(404, "not-found", "Not found", "path.version", str(exc)) from None
    return detail(pv, services.registry)
