"""PACE s.38(6) transfers per quarter: children charged and refused bail, transfers
required, the accommodation asked for, certificates under each limb, and the grounds
rejected as not making a transfer impracticable.

What every version records: the outcome (transfer to non-secure or secure
accommodation, or a certificate under s.38(6)(a) or (b)), ``derived.duty_applies`` and
the ``ground_rejected_*`` flags. From cjca-2015-r2 (issue 9 item 11) each decision's
outputs also carry ``accommodation_requested`` (the local authority was asked),
``accommodation_achieved`` (it accepted, so the child moves) and ``certificate_limb``
(``a``/``b``/``none``). The report reads them where recorded; a decision made under a
version without them is counted as *not recorded*, never guessed, and the certificate
limb falls back to the certificate outcome, which names the same limb.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from decision_engine.policy.registry import Registry
from decision_engine.reports.model import Chart, Report, Scope, Table
from decision_engine.reports.source import Reader
from decision_engine.reports.stats import cell

FAMILY = "pace-transfer"
COLUMNS = ["quarter", "decisions", "charged_and_refused_bail", "transfers_required",
           "requested_non_secure", "requested_secure", "accommodation_requests_made",
           "achieved_non_secure", "achieved_secure", "achieved_not_recorded",
           "certificate_limb_a_impracticable",
           "certificate_limb_b_no_secure_accommodation"]
REQUESTED_COLUMN = {"transfer_non_secure": "requested_non_secure",
                    "transfer_secure": "requested_secure"}
ACHIEVED_COLUMN = {"transfer_non_secure": "achieved_non_secure",
                   "transfer_secure": "achieved_secure"}
LIMB_COLUMN = {"a": "certificate_limb_a_impracticable",
               "b": "certificate_limb_b_no_secure_accommodation"}
OUTCOME_LIMB = {"certify_impracticable": "a", "certify_no_secure_accommodation": "b"}
ACHIEVED_NOTE = ("Requested accommodation (non-secure, secure) is the accommodation the "
                 "outcome calls for; accommodation_requests_made counts decisions whose "
                 "accommodation_requested output is yes (the local authority was asked). "
                 "Achieved counts transfers whose accommodation_achieved output is yes (the "
                 "local authority accepted). achieved_not_recorded counts transfers whose "
                 "decision does not say: made under a version without these outputs "
                 "(before cjca-2015-r2), or the response was not yet known. The "
                 "certificate limb is the certificate_limb output, or for older versions "
                 "the certificate outcome.")


def quarter(month: str) -> str:
    """``2024-05`` → ``2024-Q2``."""
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def quarters(start: dt.date, end: dt.date) -> list[str]:
    """Every quarter the period touches, so an empty quarter still shows (as zero)."""
    out, y, q = [], start.year, (start.month - 1) // 3 + 1
    while (y, q) <= (end.year, (end.month - 1) // 3 + 1):
        out.append(f"{y}-Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def build(reader: Reader, registry: Registry, scope: Scope) -> Report:
    groups = reader.groups(FAMILY, ["substr(r.decision_date, 1, 7)"])
    th = scope.threshold
    per: dict[str, Counter[str]] = {q: Counter() for q in quarters(scope.date_from,
                                                                   scope.date_to)}
    grounds: dict[str, Counter[str]] = {}
    for g in groups:
        (month,) = g.extra
        f = g.facts
        applicable = g.outcome != "not_applicable"
        applies = applicable and f.get("duty_applies") is True
        requested, achieved = f.get("accommodation_requested"), f.get("accommodation_achieved")
        limb = f.get("certificate_limb")
        c = per.setdefault(quarter(str(month)), Counter())
        c["decisions"] += g.count
        if applies:
            c["charged_and_refused_bail"] += g.count
        if g.outcome in REQUESTED_COLUMN:
            c["transfers_required"] += g.count
            c[REQUESTED_COLUMN[g.outcome]] += g.count
            if achieved == "yes":
                c[ACHIEVED_COLUMN[g.outcome]] += g.count
            elif achieved != "no":  # absent (older version), pending or not_recorded
                c["achieved_not_recorded"] += g.count
        if requested == "yes":
            c["accommodation_requests_made"] += g.count
        limb = limb if limb is not None else OUTCOME_LIMB.get(g.outcome)
        if limb in LIMB_COLUMN:
            c[LIMB_COLUMN[str(limb)]] += g.count
        for ground in (f.get("grounds_rejected", ()) if applicable else ()):
            grounds.setdefault(quarter(str(month)), Counter())[str(ground)] += g.count
    report = Report("pace-transfers", "PACE s.38(6) transfers by quarter", scope,
                    sorted({g.version for g in groups}), reader.through_seq,
                    sum(g.count for g in groups),
                    "Counts per calendar quarter of the decision date; counts below the "
                    "suppression threshold are shown as suppressed.")
    table = Table("quarters", "Transfers and certificates by quarter", list(COLUMNS),
                  note=ACHIEVED_NOTE)
    for q in sorted(per):
        c = per[q]
        table.rows.append([q, *(cell(c[name], th).to_json() for name in COLUMNS[1:])])
    report.tables.append(table)
    names = sorted({n for c in grounds.values() for n in c})
    rejected = Table("grounds_rejected", "Grounds rejected as not making a transfer "
                     "impracticable, by quarter", ["quarter", *names])
    for q in sorted(per):
        rejected.rows.append([q, *(cell(grounds.get(q, Counter())[n], th).to_json()
                                   for n in names)])
    report.tables.append(rejected if names else Table(
        "grounds_rejected", rejected.title, ["quarter"], note="No ground was rejected."))
    report.charts.append(Chart(
        "Transfers requested and certificates given, by quarter", [r[0] for r in table.rows],
        {name.replace("_", " "): [v if isinstance(v, int) else None
                                  for v in (r[COLUMNS.index(name)] for r in table.rows)]
         for name in ("requested_non_secure", "requested_secure", "achieved_non_secure",
                      "achieved_secure", "certificate_limb_a_impracticable",
                      "certificate_limb_b_no_secure_accommodation")},
        y_title="decisions"))
    report.notes.append(ACHIEVED_NOTE)
    return report
