"""Reading the audit store for reports: decisions grouped in SQL, one snapshot per report.

A report over a million decisions cannot parse each decision's JSON, so it reads the
report index (:mod:`decision_engine.audit.report_index`): one narrow row per decision
with its current final outcome and its report facts. The database does one ``GROUP BY``
over those rows and the subject's monitoring data; Python folds the few thousand groups
into the report's tables, parsing each distinct facts value once. Monitoring data is
read live from ``subjects``, never copied: once a subject is erased its monitoring data
is gone from every later report too (counted as "not recorded").
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from decision_engine.audit import report_index
from decision_engine.audit.db import Snapshot
from decision_engine.audit.store import Store
from decision_engine.reports.model import Scope

NOT_RECORDED = "not recorded"
"""The group of a decision without monitoring data (none given, or erased since)."""

AGE_BANDS = ((10, 14, "10-14"), (15, 17, "15-17"))
"""Age bands for ``--group-by age_band`` when the monitoring data holds none."""


@dataclass(frozen=True, slots=True)
class Group:
    """Decisions alike in everything a report reads, and how many there are."""

    monitoring: dict[str, str] | None
    age: int | None
    version: str
    outcome: str
    final: str | None
    facts: dict[str, Any]
    """The decision's report facts (:func:`decision_engine.audit.report_index.facts`)."""
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

    def __init__(self, snap: Snapshot, scope: Scope) -> None:
        self.snap = snap
        self.scope = scope
        head = snap.query("SELECT seq FROM chain_head WHERE id = 1")
        self.through_seq = int(head[0][0]) if head else 0

    def _where(self, family: str) -> tuple[str, list[Any]]:
        s = self.scope
        where = "r.family = ? AND r.decision_date >= ? AND r.decision_date <= ?"
        params: list[Any] = [family, s.date_from.isoformat(), s.date_to.isoformat()]
        if s.service_area is not None:
            where += " AND r.service_area = ?"
            params.append(s.service_area)
        return where, params

    def groups(self, family: str, extras: Sequence[str] = ()) -> list[Group]:
        """Decisions of *family* in scope, grouped; *extras* are SQL expressions over
        ``r`` (the decision's report-index row)."""
        where, params = self._where(family)
        cols = ["s.monitoring", "r.age", "r.policy_version", "r.outcome", "r.final_outcome",
                "r.facts", *extras]
        ordinals = ", ".join(str(i + 1) for i in range(len(cols)))
        rows = self.snap.query(
            f"SELECT {', '.join(cols)}, count(*) FROM report_index r LEFT JOIN subjects s "
            f"ON s.pseudonym = r.pseudonym WHERE {where} GROUP BY {ordinals}", params)
        monitoring: dict[str | None, dict[str, str] | None] = {None: None}
        facts: dict[str, dict[str, Any]] = {}
        out = []
        for row in rows:
            if row[0] not in monitoring:
                monitoring[row[0]] = dict(json.loads(row[0]))
            if row[5] not in facts:
                facts[row[5]] = dict(json.loads(row[5]))
            out.append(Group(monitoring[row[0]], None if row[1] is None else int(row[1]),
                             str(row[2]), str(row[3]), row[4], facts[row[5]],
                             tuple(row[6:-1]), int(row[-1])))
        return out

    def rows(self, family: str, columns: Sequence[str], condition: str = "1 = 1",
             limit: int = 1000) -> list[tuple[Any, ...]]:
        """Single decisions of *family* in scope (newest first), for tables that list
        them (rationales): *columns* over ``r`` (the decision's report-index row) and
        ``f`` (its current final decision's record, read only for the rows listed);
        never the pseudonym or the subject's identifiers."""
        where, params = self._where(family)
        return [tuple(r) for r in self.snap.query(
            f"SELECT {', '.join(columns)} FROM (SELECT * FROM report_index r WHERE {where} "
            f"AND {condition} ORDER BY r.seq DESC LIMIT {int(limit)}) r "
            "LEFT JOIN audit_records f ON f.seq = r.final_seq ORDER BY r.seq DESC", params)]


@contextmanager
def reading(store: Store, scope: Scope) -> Iterator[Reader]:
    """A :class:`Reader` over one consistent snapshot of *store* (indexing first any
    decisions recorded before the report index existed)."""
    report_index.catch_up(store.db)
    with store.db.snapshot() as snap:
        yield Reader(snap, scope)
