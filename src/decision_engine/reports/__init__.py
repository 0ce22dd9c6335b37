"""Board reports read out of the audit store (issue 12).

``generate(store, registry, name, scope, access)`` logs the access in the audit chain
(action ``report``, the scope, the justification) and then builds the report from one
snapshot of the store. The CLI and the HTTP routes both call it; renderers are in
:mod:`.render`. One module per report:

* :mod:`.disproportionality` — outcomes by monitoring group, rates, relative rate index;
* :mod:`.departures` — final outcomes that differ from the recommendation;
* :mod:`.refer_backs` — the court officer's pathway check: refer-backs by missed item;
* :mod:`.pace_transfers` — PACE s.38(6) transfers and certificates per quarter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from decision_engine.audit.records import AccessContext
from decision_engine.audit.store import Store
from decision_engine.errors import InputError
from decision_engine.policy.registry import Registry
from decision_engine.reports import departures, disproportionality, pace_transfers, refer_backs
from decision_engine.reports.model import Chart, Report, Scope, Table
from decision_engine.reports.source import Reader, reading

Builder = Callable[[Reader, Registry, Scope], Report]

REPORTS: dict[str, tuple[str, Builder, str | None]] = {
    "disproportionality": ("Outcomes by monitoring group: counts, rates, relative rate "
                           "index with 95% CI", disproportionality.build, "gravity-matrix"),
    "departures": ("Final outcomes that differ from the recommendation, by direction, group "
                   "and recommended outcome, with rationales", departures.build,
                   "gravity-matrix"),
    "refer-backs": ("Court pathway check: refer-backs by group and by the checklist item "
                    "missed", refer_backs.build, "oocd-pathways"),
    "pace-transfers": ("PACE s.38(6) transfers and certificates per quarter",
                       pace_transfers.build, "pace-transfer"),
}
"""Report name → (what it shows, builder, the family it reads by default)."""

FIXED_FAMILY = frozenset({"refer-backs", "pace-transfers"})
"""Reports about one family only (``--family`` may not name another)."""


def report_names() -> list[str]:
    return list(REPORTS)


def check_scope(registry: Registry, name: str, scope: Scope) -> Scope:
    """*scope* with the report's default family; a specific error for a bad name."""
    if name not in REPORTS:
        raise InputError("report", name, "not a known report; expected one of: "
                         + ", ".join(REPORTS))
    fixed = REPORTS[name][2] if name in FIXED_FAMILY else None
    if fixed is not None and scope.family not in (None, fixed):
        raise InputError("family", scope.family, f"the {name} report reads {fixed} only")
    family = scope.family or REPORTS[name][2]
    if family is not None and family not in registry.families():
        raise InputError("family", family, "not a known family; expected one of: "
                         + ", ".join(registry.families()))
    return replace(scope, family=family)


def generate(store: Store, registry: Registry, name: str, scope: Scope,
             access: AccessContext) -> Report:
    """Log the access, then build report *name* over *scope*."""
    scope = check_scope(registry, name, scope)
    store.log_access(actor_role=access.actor_role, actor_id=access.actor_id,
                     service_area=access.service_area, justification=access.justification,
                     action="report", query={"report": name, **scope.describe()})
    with reading(store, scope) as reader:
        return REPORTS[name][1](reader, registry, scope)


__all__ = ["REPORTS", "Chart", "Report", "Scope", "Table", "check_scope", "generate",
           "report_names"]
