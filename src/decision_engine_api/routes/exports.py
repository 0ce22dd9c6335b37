"""``/v1/exports/decisions``: an auditor's export of stored decisions (CSV or JSON Lines).

The export is logged in the audit chain (action ``export``, the filter, the chain head)
before the first byte is produced, and covers only the credential's service area. CSV
cells that a spreadsheet would run as formulas are neutralised by the store's exporter.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Annotated, Literal, TextIO, cast

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from decision_engine.audit import AccessContext, RecordFilter, export_decisions
from decision_engine.strict_json import IsoDate
from decision_engine_api.deps import Exporter, Justification, ServicesDep
from decision_engine_api.problems import field_problem, problem_responses

router = APIRouter(prefix="/v1/exports", tags=["exports"])

_MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
_SPOOL = 8 * 1024 * 1024


@router.get(
    "/decisions", operation_id="export_decisions",
    summary="Export stored decisions with their final outcomes",
    responses={200: {"description": "The export.", "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/x-ndjson": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403, 422)})
def export(
    principal: Exporter, services: ServicesDep,
    format: Annotated[Literal["csv", "jsonl"], Query(description="csv or jsonl.")] = "jsonl",
    family: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9-]{0,63}$")] = None,
    policy_version: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9.-]{0,63}$")
                              ] = None,
    date_from: Annotated[IsoDate | None, Query(description="First decision date.")] = None,
    date_to: Annotated[IsoDate | None, Query(description="Last decision date.")] = None,
    x_justification: Justification = None,
) -> StreamingResponse:
    why = principal.justification(x_justification)
    if date_from and date_to and date_from > date_to:
        raise field_problem(422, "invalid-request", "Invalid request", "query.date_to",
                            "is before date_from")
    flt = RecordFilter(kind="decision", family=family, policy_version=policy_version,
                       service_area=principal.service_area, date_from=date_from,
                       date_to=date_to)
    access = AccessContext(actor_role=principal.role, actor_id=principal.actor_id,
                           service_area=principal.service_area, justification=why)
    # A spooled file keeps small exports in memory and large ones on disk.
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by the response stream
        max_size=_SPOOL, mode="w+", encoding="utf-8", newline="")
    try:
        export_decisions(services.store, flt, format, cast(TextIO, spool), access)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)

    def chunks() -> Iterator[str]:
        try:
            while block := spool.read(64 * 1024):
                yield block
        finally:
            spool.close()

    name = f"decisions-{principal.service_area}.{format}"
    return StreamingResponse(chunks(), media_type=_MEDIA[format],
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
