"""Request and response bodies of the HTTP API.

Requests and responses are separate models so that what a client may send is exactly
what is validated (``extra="forbid"``: an unknown field is an error, not silently
dropped) and what a client receives never includes internal columns (pseudonyms,
subject digests, previous hashes, the identifiers kept for erasure).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from decision_engine.engine import CaseRequest, Decision
from decision_engine.strict_json import IsoDate

VersionName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{0,63}$",
                                   examples=["npcc-2025"])]
OutcomeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$",
                                   examples=["youth_caution"])]
FamilyName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,63}$",
                                  examples=["gravity-matrix"])]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


# -- decisions -----------------------------------------------------------------------


class DecisionCreate(CaseRequest):
    """A case to evaluate and record, with the day it is decided on (the shape of every
    file under ``examples/``)."""

    policy_version: VersionName | None = Field(
        default=None, description="Evaluate under this version instead of the one in force "
        "(drafts only when named).")


class Actor(_Response):
    role: str
    actor_id: str


class DecisionRecorded(_Response):
    """A decision as recorded: the store's id and chain position, and the decision."""

    id: str = Field(description="Decision id (use it for final, replay and reads).")
    seq: int = Field(description="Position in the audit chain.")
    hash: str = Field(description="SHA-256 of the chained record.")
    service_area: str
    decision: Decision


class DecisionRecordedMinimal(_Response):
    """The answer to ``Prefer: return=minimal``: enough to cite and verify the record
    without the full decision (fetch that from ``Location``)."""

    id: str = Field(description="Decision id (use it for final, replay and reads).")
    seq: int = Field(description="Position in the audit chain.")
    hash: str = Field(description="SHA-256 of the chained record.")
    outcome: str = Field(description="The recommended outcome.")
    family: str = Field(description="The policy family evaluated.")
    policy_version: str = Field(description="The policy version evaluated.")


class FinalCreate(_Request):
    """The panel's (or officer's) final outcome for a recorded recommendation."""

    final_outcome: OutcomeName = Field(description="One of the policy version's outcomes.")
    rationale: Annotated[str, Field(max_length=4000)] | None = Field(
        default=None, description="Required when the final outcome departs from the "
        "recommendation, and when it replaces an earlier final outcome. Must not contain "
        "the case reference or date of birth (it is kept for good).")


class FinalDecision(_Response):
    id: str
    seq: int
    hash: str
    decision_id: str
    recorded_at: str
    recorded_by: Actor
    final_outcome: str
    recommended_outcome: str | None
    departs_from_recommendation: bool
    rationale: str | None
    supersedes: str | None = Field(description="Id of the earlier final outcome this "
                                   "replaces, if any.")


class StoredDecision(_Response):
    """A stored decision, without the child's identifiers (kept apart for erasure)."""

    id: str
    seq: int
    hash: str
    recorded_at: str
    service_area: str
    recorded_by: Actor
    family: str
    policy_version: str
    policy_sha256: str
    decision_date: dt.date
    recommended_outcome: str
    decision: Decision
    final: FinalDecision | None = Field(description="The current final outcome, if any.")
    finals: list[FinalDecision] = Field(description="Every final outcome, oldest first.")


# -- replay ---------------------------------------------------------------------------


class ReplayCreate(_Request):
    """Re-evaluate one stored decision: reproduce it, or what-if under another version."""

    target_version: VersionName | None = Field(
        default=None, description="Omit to reproduce under the recorded version (must be "
        "byte-identical); name a version of the same family to see what it would decide.")


class FieldChange(_Response):
    path: str = Field(description="JSON path in the decision, e.g. `$.outcome`.")
    change: str
    recorded: Any = None
    replayed: Any = None


class DecisionReplay(_Response):
    decision_id: str
    mode: Literal["reproduce", "impact"]
    status: Literal["reproduced", "differs", "unchanged", "changed", "error"]
    family: str
    decision_date: dt.date
    recorded_version: str
    replay_version: str
    recorded_outcome: str
    replayed_outcome: str | None
    diffs: list[FieldChange] = Field(description="Reproduce mode: what differs.")
    error: str | None = None


class BulkReplayCreate(_Request):
    """Replay every decision of this credential's service area that matches."""

    family: FamilyName | None = None
    policy_version: VersionName | None = Field(
        default=None, description="Only decisions recorded under this version.")
    date_from: IsoDate | None = Field(default=None, description="First decision date.")
    date_to: IsoDate | None = Field(default=None, description="Last decision date "
                                    "(inclusive).")
    target_version: VersionName | None = Field(
        default=None, description="What-if: evaluate under this version (needs `family`) "
        "and count changed outcomes. Omit to check that every decision reproduces.")


JobStatus = Literal["queued", "running", "succeeded", "failed"]


class ReplayProgress(_Response):
    selected: int | None = Field(description="Decisions selected (known once running).")
    processed: int
    fraction: float | None


class ReplayJob(_Response):
    id: str
    status: JobStatus
    service_area: str
    created_by: str
    request: BulkReplayCreate
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: ReplayProgress
    result: dict[str, Any] | None = Field(
        description="When succeeded: the summary (counts, outcome transitions by family) "
        "and `items`, the decisions that differ, changed outcome or failed (capped).")
    error: str | None


# -- policies ---------------------------------------------------------------------------


class PolicyVersionSummary(_Response):
    family: str
    version: str
    title: str
    status: Literal["draft", "approved", "retired"]
    effective_from: dt.date
    effective_to: dt.date | None
    approved_by: str | None
    approved_on: dt.date | None
    sha256: str
    note: str
    href: str
    supersedes: str | None = Field(
        default=None, description="The version of this family this revision corrects (a "
        "new encoding of the same published policy); it is selected instead of that one on "
        "the dates both are in force.")
    superseded_by: list[str] = Field(
        default_factory=list, description="Approved revisions that supersede this version "
        "for new decisions; decisions recorded under it still replay under it.")
    corrects: list[str] = Field(default_factory=list,
                                description="What this revision corrects.")


class PolicyFamily(_Response):
    family: str
    title: str
    description: str
    versions: list[PolicyVersionSummary]


class RenderedTable(_Response):
    name: str
    description: str
    columns: list[str]
    rows: list[dict[str, Any]] = Field(description="One object per row: `key`, the "
                                       "columns, `verified` and `source`.")
    markdown: str = Field(description="The table rendered as Markdown.")


class PolicyVersionDetail(_Response):
    summary: PolicyVersionSummary
    description: str
    outcomes: list[str]
    inputs: dict[str, Any]
    parameters: dict[str, Any]
    tables: list[RenderedTable]
    rules: int = Field(description="Number of rules.")
    yaml: str = Field(description="The approved policy file, byte for byte.")
    document: str = Field(description="The policy as a document for a reader (Markdown, as "
                          "`decision-engine render` prints it): dates, approval, tables, "
                          "every rule in words with its source; anchors `#rule-<id>`.")


# -- health -----------------------------------------------------------------------------


class Health(_Response):
    status: Literal["ok"]


class Readiness(_Response):
    status: Literal["ready"]
    store: str = Field(description="Backend and chain head.")
    families: list[str]
