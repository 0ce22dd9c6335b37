"""``/v1/decisions``: evaluate and record, read, record the final outcome, replay one.

Routes are plain ``def``: FastAPI runs them in its thread pool; each call into
durable-rules is atomic under the interpreter lock (``engine.matchers.ENGINE_LOCK``) and
the store serialises its connection, so a worker process is safe with many request
threads; throughput comes from worker
processes (``decision-engine serve --workers N``).
"""

# No "from __future__ import annotations": each family's create route is built at run
# time, and FastAPI must see its annotations as objects.
import copy
import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Request, Response

from decision_engine.audit import AuditRecord, RecordRef, Store
from decision_engine.audit.replay import replay_rows
from decision_engine.audit.store import DecisionEntry, PreparedDecision
from decision_engine.engine import Decision, Subject, decide, evaluate
from decision_engine.errors import UnknownPolicyError
from decision_engine_api import paths  # noqa: F401  (registers the segment converters)
from decision_engine_api.auth import Principal
from decision_engine_api.deps import (
    Creator,
    DecisionId,
    Finaliser,
    Justification,
    Reader,
    Replayer,
    ServicesDep,
)
from decision_engine_api.examples import FINAL_EXAMPLES, REPLAY_EXAMPLES
from decision_engine_api.models import (
    Actor,
    DecisionCreate,
    DecisionRecorded,
    DecisionRecordedMinimal,
    DecisionReplay,
    FieldChange,
    FinalCreate,
    FinalDecision,
    ReplayCreate,
    StoredDecision,
)
from decision_engine_api.prefer import preferred_return
from decision_engine_api.problems import field_problem, not_found, problem_responses
from decision_engine_api.services import Services, get_services
from decision_engine_api.strict_body import StrictJSONRoute

_LATEST_DECISION_DAY = dt.timedelta(days=1)
"""Decision dates may be up to a day ahead of UTC today (time zones), never later."""


def _final(record: AuditRecord) -> FinalDecision:
    detail = record.detail_obj
    return FinalDecision(
        id=record.id, seq=record.seq, hash=record.hash, decision_id=str(record.ref_id),
        recorded_at=record.recorded_at,
        recorded_by=Actor(role=record.actor_role, actor_id=record.actor_id),
        final_outcome=str(record.outcome),
        recommended_outcome=detail.get("recommended_outcome"),
        departs_from_recommendation=bool(detail.get("departs_from_recommendation")),
        rationale=detail.get("rationale"), supersedes=detail.get("supersedes"))


def _visible(services: Services, principal: Principal, decision_id: str) -> AuditRecord:
    """The stored decision if this credential may see it (unlogged), else 404."""
    record = services.store.get(decision_id, principal.service_area)
    if (record is None or record.kind != "decision"
            or not principal.may_see(record.family, record.service_area)):
        raise not_found("decision", "path.decision_id")
    return record


def build_router(families: list[str], case_examples: dict[str, dict[str, Any]]) -> APIRouter:
    router = APIRouter(prefix="/v1/decisions", tags=["decisions"],
                       route_class=StrictJSONRoute)
    for family in families:
        _create_route(router, family, {k: v for k, v in case_examples.items()
                                       if k.split("/")[0] == family})

    @router.post("/{family:family}", status_code=404, include_in_schema=False)
    async def unknown_family(family: str, principal: Creator) -> None:
        """A family-shaped segment that names no registered family (404 naming it)."""
        raise field_problem(404, "not-found", "Not found", "path.family",
                            f"no policy family {family!r}; known: "
                            f"{', '.join(sorted(families))}")

    @router.get(
        "/{decision_id:decision_id}", response_model=StoredDecision, operation_id="get_decision",
        summary="Read a stored decision (the read is logged)",
        responses=problem_responses(401, 403, 404, 405, 422))
    def get_decision(decision_id: DecisionId, principal: Reader, services: ServicesDep,
                     x_justification: Justification = None) -> StoredDecision:
        """The decision as recorded, with its final outcome(s). The access is logged in
        the audit chain (actor, time, justification) before anything is returned."""
        return read_decision(services, principal, decision_id, x_justification)

    @router.post(
        "/{decision_id:decision_id}/final", status_code=201, response_model=FinalDecision,
        operation_id="record_final_decision", summary="Record the final outcome",
        responses=problem_responses(400, 401, 403, 404, 413, 422))
    def record_final(decision_id: DecisionId,
                     body: Annotated[FinalCreate, Body(openapi_examples=FINAL_EXAMPLES)],
                     principal: Finaliser, services: ServicesDep) -> FinalDecision:
        """The final outcome chosen for a recorded recommendation. A rationale is required
        when it departs from the recommendation or replaces an earlier final outcome; the
        recorded decision itself is never altered."""
        return record_final_outcome(services, principal, decision_id, body)

    @router.post(
        "/{decision_id:decision_id}/replay", response_model=DecisionReplay,
        operation_id="replay_decision", summary="Re-evaluate one stored decision",
        responses=problem_responses(400, 401, 403, 404, 413, 422))
    def replay_decision(
        decision_id: DecisionId, principal: Replayer, services: ServicesDep,
        body: Annotated[ReplayCreate | None, Body(openapi_examples=REPLAY_EXAMPLES)] = None,
        x_justification: Justification = None,
    ) -> DecisionReplay:
        """Reproduce the decision under its recorded version (it must be byte-identical)
        or evaluate it under ``target_version`` to see what that version would decide.
        Logged as a replay access before the decision is read."""
        return replay_decision_as(services, principal, decision_id,
                                  body.target_version if body else None, x_justification)

    return router


_PREFER_OPENAPI: dict[str, Any] = {
    "parameters": [{
        "name": "Prefer", "in": "header", "required": False,
        "schema": {"type": "string"}, "example": "return=minimal",
        "description": "RFC 7240. `return=minimal` answers with the id, chain position, "
        "hash, outcome, family and policy version only (the full decision is at "
        "`Location`); `return=representation`, or no header, answers with the full "
        "recorded decision. Other preferences are ignored."}],
    "responses": {"201": {
        "description": "Recorded, after the COMMIT: the full decision (`DecisionRecorded`), "
        "or with `Prefer: return=minimal` the minimal answer (`DecisionRecordedMinimal`).",
        "headers": {
            "Location": {"description": "Where the recorded decision can be read "
                         "(`GET /v1/decisions/{id}`).", "schema": {"type": "string"}},
            "Preference-Applied": {"description": "`return=minimal` or "
                                   "`return=representation` when the client asked for "
                                   "one.", "schema": {"type": "string"}},
            "Vary": {"description": "`Prefer`: the body depends on it.",
                     "schema": {"type": "string"}}}}},
}
"""The ``Prefer`` header and the 201's headers in the OpenAPI document; the route reads
the header itself (a ``Header`` parameter would add a validation step per request)."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """A decision and its record: the chain's reference and the canonical bytes stored."""

    ref: RecordRef
    decision: Decision
    output: bytes


def created_response(recorded: Recorded, service_area: str, prefer: list[str]) -> Response:
    """The 201 for a recorded decision, by the route and by :mod:`..fast_lane` alike.

    The full answer (``DecisionRecorded``) is built as bytes around the decision's
    canonical JSON, the bytes just recorded: a second serialisation of the ~4 KB
    decision (pydantic's, ~90 µs in a loaded server) would say the same in another key
    order. ``Prefer: return=minimal`` (RFC 7240) answers ``DecisionRecordedMinimal``.
    """
    ref, decision = recorded.ref, recorded.decision
    wanted = preferred_return(prefer) if prefer else None
    headers = {"Location": f"/v1/decisions/{ref.id}", "Vary": "Prefer"}
    if wanted is not None:
        headers["Preference-Applied"] = f"return={wanted}"
    if wanted == "minimal":
        payload = json.dumps({"id": ref.id, "seq": ref.seq, "hash": ref.hash,
                              "outcome": decision.outcome, "family": decision.policy.family,
                              "policy_version": decision.policy.version},
                             separators=(",", ":")).encode()
    else:
        payload = (b'{"id":' + json.dumps(ref.id).encode() + b',"seq":'
                   + str(ref.seq).encode() + b',"hash":"' + ref.hash.encode()
                   + b'","service_area":' + json.dumps(service_area).encode()
                   + b',"decision":' + recorded.output + b"}")
    return Response(payload, status_code=201, media_type="application/json",
                    headers=headers)


def _create_route(router: APIRouter, family: str,
                  examples: dict[str, dict[str, Any]]) -> None:
    """``POST /v1/decisions/<family>``: one operation per family, so the OpenAPI document
    can give each its own request schema and a wrong method on the path answers 405."""

    async def create_decision(
        body: Annotated[DecisionCreate, Body(openapi_examples=examples or None)],
        principal: Creator, request: Request,
    ) -> Response:
        """Evaluate the case under the policy version in force on the decision date (or
        the named version), record it in the audit chain, and return it with its id.
        201 only after the record is committed. ``Prefer: return=minimal`` (RFC 7240)
        answers with the id, hash and outcome only; the full decision is at
        ``Location``.

        Async, unlike the other routes: evaluation is ~0.1 ms of CPU under the engine's
        lock, and the wait for the group COMMIT is awaited, so the hot path needs no
        thread-pool hop."""
        # From the request, not a dependency: each costs FastAPI a resolution step per call.
        services = await get_services(request)
        recorded = await record_decision(services, principal, family, body)
        return created_response(recorded, principal.service_area,
                                request.headers.getlist("prefer"))

    router.add_api_route(
        f"/{family}", create_decision, methods=["POST"], status_code=201,
        response_model=DecisionRecorded | DecisionRecordedMinimal,
        operation_id=create_operation_id(family),
        summary=f"Evaluate a {family} case and record the decision",
        openapi_extra=copy.deepcopy(_PREFER_OPENAPI),
        responses=problem_responses(400, 401, 403, 413, 422))


def create_operation_id(family: str) -> str:
    """The OpenAPI operation id of POST /v1/decisions/<family>."""
    return "create_" + family.replace("-", "_") + "_decision"


def decide_case(services: Services, family: str, body: DecisionCreate
                ) -> tuple[Subject, Decision]:
    """Evaluate *body* (nothing is recorded): a problem naming the field if it cannot be."""
    if family not in services.families:
        raise field_problem(404, "not-found", "Not found", "path.family",
                            f"no policy family {family!r}; known: "
                            f"{', '.join(sorted(services.families))}")
    today = dt.datetime.now(dt.UTC).date()
    on = body.decision_date or today
    if on > today + _LATEST_DECISION_DAY:
        raise field_problem(422, "invalid-request", "Invalid request",
                            "body.decision_date", "is in the future")
    try:
        return decide(family, body.case, on, body.policy_version, registry=services.registry)
    except UnknownPolicyError as exc:
        field = "body.policy_version" if body.policy_version else "body.decision_date"
        raise field_problem(422, "invalid-input", "Invalid input", field,
                            str(exc)) from None


def prepare_record(principal: Principal, subject: Subject, decision: Decision
                   ) -> PreparedDecision:
    """The decision validated and encoded for the chain (still nothing recorded)."""
    return Store.prepare_decision(DecisionEntry(decision, subject, principal.role,
                                                principal.actor_id, principal.service_area))


async def record_prepared(services: Services, decision: Decision,
                          prepared: PreparedDecision) -> Recorded:
    """Record *prepared*; returns after the COMMIT that holds it."""
    ref = await services.recorder.record_prepared(prepared)
    output = prepared.draft.output
    assert output is not None  # a decision draft always has its output
    return Recorded(ref, decision, output.encode())


async def record_decision(services: Services, principal: Principal, family: str,
                          body: DecisionCreate) -> Recorded:
    """Evaluate *body* and record it (the API's POST and the pages' case form)."""
    subject, decision = decide_case(services, family, body)
    return await record_prepared(services, decision, prepare_record(principal, subject,
                                                                     decision))


def read_decision(services: Services, principal: Principal, decision_id: str,
                  justification: str | None) -> StoredDecision:
    """A stored decision with its finals; the read is logged first."""
    why = principal.justification(justification)
    # Logs the access first; RecordNotFound (→ 404) covers other service areas.
    record = services.store.read(decision_id, actor_role=principal.role,
                                 actor_id=principal.actor_id,
                                 service_area=principal.service_area, justification=why)
    if record.kind != "decision" or not principal.may_see(record.family,
                                                           record.service_area):
        raise not_found("decision", "path.decision_id")
    finals = [_final(r) for r in services.store.finals_for(decision_id)]
    return StoredDecision(
        id=record.id, seq=record.seq, hash=record.hash, recorded_at=record.recorded_at,
        service_area=record.service_area,
        recorded_by=Actor(role=record.actor_role, actor_id=record.actor_id),
        family=str(record.family), policy_version=str(record.policy_version),
        policy_sha256=str(record.policy_sha256),
        decision_date=dt.date.fromisoformat(str(record.decision_date)),
        recommended_outcome=str(record.outcome),
        decision=Decision.model_validate_json(str(record.output)),
        final=finals[-1] if finals else None, finals=finals)


def record_final_outcome(services: Services, principal: Principal, decision_id: str,
                         body: FinalCreate) -> FinalDecision:
    """Record the final outcome chosen for a visible decision."""
    record = _visible(services, principal, decision_id)
    outcomes = _outcomes(services, record)
    if body.final_outcome not in outcomes:
        raise field_problem(422, "invalid-input", "Invalid input", "body.final_outcome",
                            f"is not an outcome of {record.family} "
                            f"{record.policy_version}; expected one of "
                            f"{', '.join(outcomes)}")
    ref = services.store.append_final(
        decision_id, body.final_outcome, body.rationale, actor_role=principal.role,
        actor_id=principal.actor_id, service_area=principal.service_area)
    stored = services.store.get(ref.id, principal.service_area)
    assert stored is not None
    return _final(stored)


def replay_decision_as(services: Services, principal: Principal, decision_id: str,
                       target: str | None, justification: str | None) -> DecisionReplay:
    """Reproduce one decision, or what-if under *target*; logged before it is read."""
    why = principal.justification(justification)
    services.store.log_access(
        actor_role=principal.role, actor_id=principal.actor_id,
        service_area=principal.service_area, justification=why, action="replay",
        record_ids=[decision_id],
        query={"mode": "impact" if target else "reproduce",
               **({"target_version": target} if target else {})})
    record = _visible(services, principal, decision_id)
    if target is not None:
        try:
            services.registry.get(str(record.family), target)
        except UnknownPolicyError as exc:
            raise field_problem(422, "invalid-input", "Invalid input",
                                "body.target_version", str(exc)) from None
    return _replay_one(services, record, target)


def _outcomes(services: Services, record: AuditRecord) -> list[str]:
    try:
        pv = services.registry.get(str(record.family), str(record.policy_version))
    except UnknownPolicyError:
        # The version is no longer registered: accept the outcomes it recorded.
        return sorted(Decision.model_validate_json(str(record.output)).outcomes)
    return list(pv.policy.outcomes)


def _replay_one(services: Services, record: AuditRecord, target: str | None) -> DecisionReplay:
    registry = services.registry

    def run(family: str, facts: dict[str, Any], on: dt.date, version: str,
            fmt: int, pins: dict[str, str]) -> Decision:
        return evaluate(family, facts, on, version, registry=registry, fmt=fmt, pins=pins)

    row = (record.seq, record.id, record.pseudonym, record.family, record.policy_version,
           record.decision_date, record.outcome, record.input, record.output, record.detail)
    result = replay_rows([row], run, target)
    item = result.items[0] if result.items else None
    replayed = next(iter(result.transitions))[2] if result.transitions else None
    status: Literal["reproduced", "differs", "unchanged", "changed", "error"]
    if item is not None:
        status = item.status
    elif target is not None:
        status = "unchanged"
    else:
        status = "reproduced"
    return DecisionReplay(
        decision_id=record.id, mode="impact" if target else "reproduce",
        status=status, family=str(record.family),
        decision_date=dt.date.fromisoformat(str(record.decision_date)),
        recorded_version=str(record.policy_version),
        replay_version=target or str(record.policy_version),
        recorded_outcome=str(record.outcome), replayed_outcome=replayed,
        diffs=[FieldChange(**d.to_json()) for d in item.diffs] if item else [],
        error=item.error if item else None)
