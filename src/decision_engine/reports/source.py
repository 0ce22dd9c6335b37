"""Reading the audit store for reports: decisions grouped in SQL, one snapshot per report.

A report over a million decisions cannot parse each decision's JSON in Python, so the
store does the grouping: one ``GROUP BY`` over the decision, its current final decision
and its subject's monitoring data, with the few values a report needs pulled out of the
decision's JSON by the database (only for the rows that need them). Python then folds a
few thousand groups into the report's tables. Monitoring data is read live from
``subjects``, never copied: once a subject is erased its monitoring data is gone from
every later report too (counted as "not recorded").
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from decision_engine.audit.db import Snapshot
from decision_engine.audit.store import Store
from decision_engine.reports.model import Scope

NOT_RECORDED = "not recorded"
"""The group of a decision without monitoring data (none given, or erased since)."""

AGE_BANDS = ((10, 14, "10-14"), (15, 17, "15-17"))
"""Age bands for ``--group-by age_band`` when the monitoring data holds none."""


class Dialect:
    """The two SQL spellings of reading a value out of a JSON text column."""

    def __init__(self, backend: str) -> None:
        self.pg = backend == "postgresql"

    def text(self, column: str, *path: str) -> str:
        """The value at *path* (an array or object comes back as JSON text)."""
        if self.pg:
            return f"({column}::json #>> '{{{','.join(path)}}}')"
        return f"json_extract({column}, '$.{'.'.join(path)}')"

    def integer(self, column: str, *path: str) -> str:
        return f"({self.text(column, *path)})::int" if self.pg else self.text(column, *path)

    def is_true(self, column: str, *path: str) -> str:
        value = self.text(column, *path)
        return f"({value} = 'true')" if self.pg else f"({value} = 1)"


@dataclass(frozen=True, slots=True)
class Group:
    """Decisions alike in everything a report reads, and how many there are."""

    monitoring: dict[str, str] | None
    age: int | None
    version: str
    outcome: str
    final: str | None
    extra: tuple[Any, ...]
    count: int

    @property
    def current(self) -> str:
        """The outcome that stands: the panel's final one, else the recommendation."""
        return self.final if self.final is not None else self.outcome

    def group(self, by: str) -> str:
        """This decision's group under the monitoring field *by*."""
        value = (self.monitoring or {}).get(by)
        if value:
            return value
        if by == "age_band" and self.age is not None:
            for low, high, band in AGE_BANDS:
                if low <= self.age <= high:
                    return band
        return NOT_RECORDED


class Reader:
    """Queries for one report, all in one read-only snapshot of the store."""

    def __init__(self, snap: Snapshot, dialect: Dialect, scope: Scope) -> None:
        self.snap = snap
        self.sql = dialect
        self.scope = scope
        head = snap.query("SELECT seq FROM chain_head WHERE id = 1")
        self.through_seq = int(head[0][0]) if head else 0

    def _where(self, family: str) -> tuple[str, list[Any]]:
        s = self.scope
        where = ("d.kind = 'decision' AND d.family = ? AND d.decision_date >= ? "
                 "AND d.decision_date <= ?")
        params: list[Any] = [family, s.date_from.isoformat(), s.date_to.isoformat()]
        if s.service_area is not None:
            where += " AND d.service_area = ?"
            params.append(s.service_area)
        return where, params

    _FROM = ("FROM audit_records d LEFT JOIN subjects s ON s.pseudonym = d.pseudonym "
             "LEFT JOIN audit_records f ON f.seq = (SELECT max(x.seq) FROM audit_records x "
             "WHERE x.ref_id = d.id AND x.kind = 'final_decision') ")

    def groups(self, family: str, extras: Sequence[str] = ()) -> list[Group]:
        """Decisions of *family* in scope, grouped; *extras* are SQL expressions over
        ``d`` (the decision) and ``f`` (its final decision) built with :attr:`sql`."""
        where, params = self._where(family)
        cols = ["s.monitoring", self.sql.integer("d.input", "age"), "d.policy_version",
                "d.outcome", "f.outcome", *extras]
        ordinals = ", ".join(str(i + 1) for i in range(len(cols)))
        rows = self.snap.query(f"SELECT {', '.join(cols)}, count(*) {self._FROM}"
                               f"WHERE {where} GROUP BY {ordinals}", params)
        parsed: dict[str | None, dict[str, str] | None] = {}
        out = []
        for row in rows:
            text = row[0]
            if text not in parsed:
                parsed[text] = None if text is None else dict(json.loads(text))
            out.append(Group(parsed[text], None if row[1] is None else int(row[1]),
                             str(row[2]), str(row[3]), row[4], tuple(row[5:-1]),
                             int(row[-1])))
        return out

    def rows(self, family: str, columns: Sequence[str], condition: str = "1 = 1",
             limit: int = 1000) -> list[tuple[Any, ...]]:
        """Single decisions of *family* in scope (newest first), for tables that list
        them (rationales); never the pseudonym or the subject's identifiers."""
        where, params = self._where(family)
        return [tuple(r) for r in self.snap.query(
            f"SELECT {', '.join(columns)} {self._FROM}WHERE {where} AND {condition} "
            f"ORDER BY d.seq DESC LIMIT {int(limit)}", params)]


@contextmanager
def reading(store: Store, scope: Scope) -> Iterator[Reader]:
    """A :class:`Reader` over one consistent snapshot of *store*."""
    with store.db.snapshot() as snap:
        yield Reader(snap, Dialect(store.backend), scope)
