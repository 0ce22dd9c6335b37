"""The operational roles' pages: a case form per family (panel: gravity matrix; court
officer: out-of-court pathway check; case manager: ECM and contact frequency; custody:
PACE transfer), the decision record, and the final outcome.

Each page calls the API's own service functions (``routes.decisions``) with the
signed-in person as principal, so validation, recording, access logging and the rules
about finals are the API's, and so are the error messages shown beside the fields.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from decision_engine.audit.errors import AuditValidationError
from decision_engine.errors import InputError, UnknownPolicyError
from decision_engine_api.auth import MATRIX, Principal, require
from decision_engine_api.deps import UUID_PATTERN, ServicesDep
from decision_engine_api.models import DecisionCreate, FinalCreate, StoredDecision
from decision_engine_api.pages.checklist import checklist
from decision_engine_api.pages.forms import case_fields, read_case
from decision_engine_api.pages.render import SECURITY_HEADERS, day, field_errors, page
from decision_engine_api.problems import (
    ProblemError,
    audit_problem,
    input_problem,
    not_found,
    validation_fields,
)
from decision_engine_api.render import summary
from decision_engine_api.routes.decisions import (
    read_decision,
    record_decision,
    record_final_outcome,
)
from decision_engine_api.services import Services

router = APIRouter(include_in_schema=False)
Creator = Annotated[Principal, Depends(require("decisions.create", page=True))]
Reader = Annotated[Principal, Depends(require("decisions.read", page=True))]
Finaliser = Annotated[Principal, Depends(require("decisions.final", page=True))]
Family = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{0,63}$")]
DecisionId = Annotated[str, Path(pattern=UUID_PATTERN)]

TITLES = {"gravity-matrix": "Youth gravity matrix: recommendation for the panel",
          "oocd-pathways": "Out-of-court pathway check (court officer)",
          "enhanced-case-management": "Enhanced Case Management eligibility",
          "contact-frequency": "Contact frequency",
          "pace-transfer": "PACE s.38(6) transfer decision (custody officer)"}


def words(name: str) -> str:
    return str(name).replace("_", " ")


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
"""A fact's or an output's value that is a date (names and enum values never are)."""


def show(value: Any) -> str:
    """A value as the page shows it: yes/no, words for names, dates written out."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(show(v) if not isinstance(v, dict) else
                         " ".join(f"{k}: {show(x)}" for k, x in v.items()) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{words(k)}: {show(v)}" for k, v in value.items())
    if isinstance(value, str):
        return day(value) if ISO_DATE.fullmatch(value) else words(value)
    return str(value)


def _errors_by_field(problem: ProblemError, names: list[str]) -> tuple[list[dict[str, str]],
                                                                        dict[str, str]]:
    """Summary entries and the message beside each field (a row's error goes beside its
    table)."""
    summary_ = field_errors(problem)
    beside: dict[str, str] = {}
    for e in summary_:
        owner = next((n for n in sorted(names, key=len, reverse=True)
                      if e["field"] == n or e["field"].startswith(n + ".")), None)
        if owner is not None:
            e["anchor"] = owner.replace(".", "-")
            beside.setdefault(owner, e["detail"] if owner == e["field"]
                              else f"{e['field'].removeprefix(owner + '.')}: {e['detail']}")
    return summary_, beside


def _form_page(request: Request, services: Services, family: str, form: FormData,
               problem: ProblemError | None = None) -> HTMLResponse:
    try:
        pv = services.registry.select(family, dt.datetime.now(dt.UTC).date())
    except UnknownPolicyError:
        pv = services.registry.versions(family)[-1]
    fields = case_fields(pv.policy)
    errors: list[dict[str, str]] = []
    beside: dict[str, str] = {}
    if problem is not None:
        errors, beside = _errors_by_field(
            problem, [f.name for f in fields] + ["decision_date", "policy_version"])
    return page(request, "pages/decide.html", title=TITLES.get(family, words(family)),
                status=problem.status if problem else 200, errors=errors,
                field_errors=beside, fields=fields, family=family, form=form,
                version_title=pv.policy.title,
                versions=[summary(v, services.registry)
                          for v in services.registry.versions(family)])


@router.get("/decide/{family}", response_class=HTMLResponse)
def case_form(request: Request, family: Family, principal: Creator,
              services: ServicesDep) -> HTMLResponse:
    if family not in services.families:
        raise not_found("policy family", "path.family")
    return _form_page(request, services, family, FormData())


@router.post("/decide/{family}")
async def decide_case(request: Request, family: Family, principal: Creator,
                      services: ServicesDep) -> Response:
    if family not in services.families:
        raise not_found("policy family", "path.family")
    form = await request.form()
    try:
        case = read_case(case_fields(_policy_for_form(services, family, form)), form)
        body = {"case": case, **{k: str(form.get(k)) for k in ("decision_date",
                                                               "policy_version")
                                 if str(form.get(k) or "").strip()}}
        try:
            parsed = DecisionCreate.model_validate(body)
        except ValidationError as exc:
            fields = validation_fields(exc.errors(), ("body",))
            raise ProblemError(422, "invalid-request", "Invalid request",
                               f"{fields[0].field}: {fields[0].detail}", fields) from None
        try:
            ref = (await record_decision(services, principal, family, parsed)).ref
        except InputError as exc:
            raise input_problem(exc) from None
    except ProblemError as problem:
        return _form_page(request, services, family, form, problem)
    return RedirectResponse(f"/decisions/{ref.id}", status_code=303, headers=SECURITY_HEADERS)


def _policy_for_form(services: Services, family: str, form: FormData) -> Any:
    """The version whose inputs the form was built from (the chosen one, if valid)."""
    chosen = str(form.get("policy_version") or "")
    try:
        if chosen:
            return services.registry.get(family, chosen).policy
        return services.registry.select(family, dt.datetime.now(dt.UTC).date()).policy
    except UnknownPolicyError:
        return services.registry.versions(family)[-1].policy


def _certificate(outputs: dict[str, Any], facts: dict[str, Any]) -> str | None:
    """The PACE s.38(7) certificate, ready to print, when the decision needs one (the
    policy's outputs say which paragraph and what it must state)."""
    paragraph = outputs.get("certificate")
    if not isinstance(paragraph, str) or not paragraph.startswith("s.38(6)"):
        return None
    return "\n".join([
        "CERTIFICATE UNDER SECTION 38(7) OF THE POLICE AND CRIMINAL EVIDENCE ACT 1984",
        "",
        f"I, the custody officer, certify under section {paragraph.removeprefix('s.')} "
        f"in respect of the arrested juvenile (aged {facts.get('age', '__')}), charged "
        "and refused bail:",
        "",
        str(outputs.get("certificate_must_state") or ""),
        "",
        "The circumstances that make this so: _______________________________________",
        "",
        "Custody record number: ______________   Custody officer: ____________________",
        "Signature: ______________________   Date and time: __________________________",
        "",
        "Section 38(7): this certificate is to be produced to the court before which "
        "the juvenile is first brought.",
    ])


def decision_page(request: Request, services: Services, principal: Principal,
                  stored: StoredDecision, *, form: FormData | None = None,
                  problem: ProblemError | None = None, status: int = 200,
                  justification: str | None = None) -> HTMLResponse:
    """The decision record: the same page for the person who made it and an auditor."""
    d = stored.decision
    try:
        policy = services.registry.get(stored.family, stored.policy_version).policy
        meanings = {k: v.description for k, v in policy.derived.items()}
        items = checklist(policy, d)
    except UnknownPolicyError:
        meanings, items = {}, []
    errors, beside = (_errors_by_field(problem, ["final_outcome", "rationale"])
                      if problem else ([], {}))
    # the details that apply: an output saying it does not (e.g. no YOT assessment, so no
    # assessment timings) stays in the decision, not on the printed record
    outputs = [(k, v) for k, v in d.outputs.items()
               if k != "certificate" and v != "not_applicable"]
    certificate = _certificate(d.outputs, d.input)
    return page(
        request, "pages/decision.html",
        title=f"{TITLES.get(stored.family, words(stored.family))}: decision record",
        status=problem.status if problem else status, errors=errors, field_errors=beside,
        stored=stored, form=form or FormData(), words=words, show=show,
        reasons_by_rule={r.rule: r for r in d.reasons},
        policy_href=f"/policies/{stored.family}/{stored.policy_version}",
        derived=[(k, v, meanings.get(k, "")) for k, v in d.derived.items()],
        outputs=outputs, certificate=certificate, checklist=items,
        counterfactuals=getattr(d, "counterfactuals", None) or [],
        may_finalise=principal.role in MATRIX["decisions.final"],
        may_replay=principal.role in MATRIX["decisions.replay"],
        other_versions=[pv.version for pv in services.registry.versions(stored.family)
                        if pv.version != stored.policy_version]
        if stored.family in services.families else [],
        justification=justification)


@router.get("/decisions/{decision_id}", response_class=HTMLResponse)
def decision_record(request: Request, decision_id: DecisionId, principal: Reader,
                    services: ServicesDep, justification: str | None = None) -> HTMLResponse:
    stored = read_decision(services, principal, decision_id, justification)
    return decision_page(request, services, principal, stored, justification=justification)


@router.post("/decisions/{decision_id}/final")
async def record_final(request: Request, decision_id: DecisionId, principal: Finaliser,
                       services: ServicesDep) -> Response:
    form = await request.form()
    rationale = str(form.get("rationale") or "").strip() or None
    try:
        try:
            body = FinalCreate.model_validate({"final_outcome": form.get("final_outcome"),
                                               "rationale": rationale})
        except ValidationError as exc:
            fields = validation_fields(exc.errors(), ("body",))
            raise ProblemError(422, "invalid-request", "Invalid request",
                               f"{fields[0].field}: {fields[0].detail}", fields) from None
        try:
            record_final_outcome(services, principal, decision_id, body)
        except AuditValidationError as exc:
            raise audit_problem(exc) from None
    except ProblemError as problem:
        if problem.status == 404:
            raise
        stored = read_decision(services, principal, decision_id, None)
        return decision_page(request, services, principal, stored, form=form,
                             problem=problem)
    return RedirectResponse(f"/decisions/{decision_id}#final", status_code=303,
                            headers=SECURITY_HEADERS)
