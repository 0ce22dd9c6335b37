"""What a report is: its scope, its tables and charts, and what it says about itself.

Every renderer (JSON, CSV, HTML; CLI and HTTP alike) works from this one shape, so the
figures are computed once and the formats cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from decision_engine.errors import InputError


@dataclass(frozen=True, slots=True)
class Scope:
    """The period (decision dates, inclusive), service area and options a report covers."""

    date_from: dt.date
    date_to: dt.date
    service_area: str | None = None
    family: str | None = None
    group_by: str = "ethnicity"
    reference: str | None = None
    threshold: int = 5

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise InputError("to", self.date_to.isoformat(), "is before --from")
        if not 0 <= self.threshold <= 1000:
            raise InputError("threshold", self.threshold, "must be between 0 and 1000")

    def describe(self) -> dict[str, str]:
        """JSON-able strings, for the access log and the report header."""
        out = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
               "group_by": self.group_by, "threshold": str(self.threshold)}
        for key in ("service_area", "family", "reference"):
            value = getattr(self, key)
            if value is not None:
                out[key] = str(value)
        return out


@dataclass(slots=True)
class Table:
    """One table; a CSV file of its own. Cells are str, int, float or None."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "columns": self.columns,
                "rows": self.rows, "note": self.note}


@dataclass(slots=True)
class Chart:
    """A bar chart: one bar per label in each series (``None`` = not shown)."""

    title: str
    labels: list[str]
    series: dict[str, list[float | None]]
    y_title: str = ""


@dataclass(slots=True)
class Report:
    """A finished report and the facts a reader needs to trust it."""

    name: str
    title: str
    scope: Scope
    policy_versions: list[str]
    through_seq: int
    decisions: int
    method: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        s = self.scope
        return {
            "report": self.name, "title": self.title,
            "period": {"from": s.date_from.isoformat(), "to": s.date_to.isoformat()},
            "service_area": s.service_area, "family": s.family, "group_by": s.group_by,
            "reference_group": s.reference, "suppression_threshold": s.threshold,
            "policy_versions": self.policy_versions, "decisions": self.decisions,
            "through_seq": self.through_seq, "method": self.method, "notes": self.notes,
            "tables": [t.to_json() for t in self.tables],
        }
