"""Reading records back: pages, counts and streams in chain order (none of it logged;
callers that disclose records log the access first, see :mod:`.access_log`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from decision_engine.audit.chain import SELECT, ChainStore
from decision_engine.audit.errors import AuditValidationError
from decision_engine.audit.records import COLUMNS, AuditRecord, RecordFilter


class Queries(ChainStore):
    """:meth:`list_records`, :meth:`count`, :meth:`iter_records`,
    :meth:`iter_decisions_with_final`."""

    def list_records(self, flt: RecordFilter = RecordFilter(), *, after_seq: int = 0,
                     limit: int = 100) -> list[AuditRecord]:
        """One page of records in chain order; pass the last ``seq`` as ``after_seq``."""
        if not 1 <= limit <= 1000:
            raise AuditValidationError("limit", "must be between 1 and 1000")
        where, params = flt.where()
        rows = self.db.query(f"SELECT {SELECT} FROM audit_records WHERE {where} AND seq > ? "
                             "ORDER BY seq LIMIT ?", [*params, after_seq, limit])
        return [AuditRecord.from_row(r) for r in rows]

    def count(self, flt: RecordFilter = RecordFilter()) -> int:
        where, params = flt.where()
        row = self.db.query_one(f"SELECT count(*) FROM audit_records WHERE {where}", params)
        return int(row[0]) if row else 0

    def iter_records(self, flt: RecordFilter = RecordFilter(kind=None), *,
                     batch: int = 2000) -> Iterator[AuditRecord]:
        """Stream records in chain order from one snapshot (separate connection)."""
        where, params = flt.where()
        for row in self.db.stream(f"SELECT {SELECT} FROM audit_records WHERE {where} "
                                  "ORDER BY seq", params, batch=batch):
            yield AuditRecord.from_row(row)

    def iter_decisions_with_final(
        self, flt: RecordFilter = RecordFilter(), *, batch: int = 2000,
    ) -> Iterator[tuple[AuditRecord, AuditRecord | None]]:
        """Decisions in chain order, each with its current final decision (if any)."""
        where, params = RecordFilter(**{**_fields(flt), "kind": "decision"}).where("d")
        d_cols = ", ".join(f"d.{c}" for c in COLUMNS)
        f_cols = ", ".join(f"f.{c}" for c in COLUMNS)
        sql = (f"SELECT {d_cols}, {f_cols} FROM audit_records d LEFT JOIN audit_records f "
               "ON f.seq = (SELECT max(x.seq) FROM audit_records x WHERE x.ref_id = d.id "
               f"AND x.kind = 'final_decision') WHERE {where} ORDER BY d.seq")
        width = len(COLUMNS)
        for row in self.db.stream(sql, params, batch=batch):
            final = None if row[width] is None else AuditRecord.from_row(row[width:])
            yield AuditRecord.from_row(row[:width]), final


def _fields(flt: RecordFilter) -> dict[str, Any]:
    return {name: getattr(flt, name) for name in flt.__dataclass_fields__}
