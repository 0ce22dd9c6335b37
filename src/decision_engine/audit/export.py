"""Export decisions as CSV (safe to open in a spreadsheet) or JSON Lines.

CSV cells that begin with ``=``, ``+``, ``-``, ``@``, tab or carriage return are prefixed
with an apostrophe (OWASP "CSV injection"): a spreadsheet would otherwise execute them
as formulas, and policy text, rationales and actor ids are free text. JSON Lines carries
every hashed column, so an auditor can recompute each exported record's hash.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, Literal, TextIO

from decision_engine.audit.records import AccessContext, AuditRecord, RecordFilter
from decision_engine.audit.store import Store

ExportFormat = Literal["csv", "jsonl"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "record_id", "seq", "recorded_at", "decision_date", "service_area", "family",
    "policy_version", "policy_sha256", "pseudonym", "recommended_outcome", "final_outcome",
    "departs_from_recommendation", "final_rationale", "final_record_id",
    "final_recorded_at", "actor_role", "actor_id", "input", "output", "hash",
)


def neutralise(cell: str) -> str:
    """Make a cell inert in spreadsheets: a formula-like start gets a leading ``'``."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


class SafeCSVWriter:
    """``csv.writer`` that neutralises every string cell."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(
            ["" if c is None else neutralise(c) if isinstance(c, str) else c for c in row])


def _csv_row(decision: AuditRecord, final: AuditRecord | None) -> list[Any]:
    detail = final.detail_obj if final else {}
    return [
        decision.id, decision.seq, decision.recorded_at, decision.decision_date,
        decision.service_area, decision.family, decision.policy_version,
        decision.policy_sha256, decision.pseudonym, decision.outcome,
        final.outcome if final else None,
        None if final is None else str(bool(detail.get("departs_from_recommendation"))).lower(),
        detail.get("rationale"), final.id if final else None,
        final.recorded_at if final else None, decision.actor_role, decision.actor_id,
        decision.input, decision.output, decision.hash,
    ]


def export_decisions(store: Store, flt: RecordFilter, fmt: ExportFormat, out: TextIO,
                     access: AccessContext) -> int:
    """Write the decisions *flt* selects (with their current final decision) to *out*.

    The export is logged first (action ``export``, with the selection and the chain
    head), so nothing leaves the store unrecorded. Returns the number of decisions.
    """
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown export format {fmt!r}")
    store.log_access(actor_role=access.actor_role, actor_id=access.actor_id,
                     service_area=access.service_area, justification=access.justification,
                     action="export", query={**flt.describe(), "format": fmt})
    count = 0
    writer = SafeCSVWriter(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    for decision, final in store.iter_decisions_with_final(flt):
        count += 1
        if writer is not None:
            writer.writerow(_csv_row(decision, final))
        else:
            line = {"record": decision.as_json(), "final": final.as_json() if final else None}
            out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    return count
