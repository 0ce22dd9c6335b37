"""``Annotated`` aliases that keep route signatures short (FastAPI template style)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path
from pydantic import AfterValidator, Field

from decision_engine_api.auth import Principal, require
from decision_engine_api.services import Services, get_services

ServicesDep = Annotated[Services, Depends(get_services)]

Creator = Annotated[Principal, Depends(require("decisions.create"))]
Reader = Annotated[Principal, Depends(require("decisions.read"))]
Finaliser = Annotated[Principal, Depends(require("decisions.final"))]
Replayer = Annotated[Principal, Depends(require("decisions.replay"))]
JobCreator = Annotated[Principal, Depends(require("replays.create"))]
JobReader = Annotated[Principal, Depends(require("replays.read"))]
Exporter = Annotated[Principal, Depends(require("exports.read"))]
Reporter = Annotated[Principal, Depends(require("reports.read"))]
PolicyReader = Annotated[Principal, Depends(require("policies.read"))]

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

DecisionId = Annotated[str, Path(pattern=UUID_PATTERN, description="A decision id.",
                                 examples=["0b7c2c9e-8f3e-4a51-9a43-3f1f1d2b8e10"])]
JobId = Annotated[str, Path(pattern=UUID_PATTERN, description="A replay job id.")]

NOT_BLANK = r"[^\s\x1c-\x1f]"
"""Some character that is not white space (as Python's ``str.strip`` counts it)."""


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("is blank: leave the header out, or say why the decisions are "
                         "being read")
    return value


Justification = Annotated[Annotated[str, AfterValidator(_not_blank),
                                    Field(json_schema_extra={"pattern": NOT_BLANK})] | None, Header(
    alias="X-Justification", max_length=1000,
    description="Why stored decisions are being read (logged with the access; DPA 2018 "
    "s.62). Required for the auditor and policy_admin roles. Must not contain the case "
    "reference or date of birth.",
    examples=["Quarterly disproportionality audit, ref AUD-2026-Q3"])]
