"""A small store whose report figures are worked out by hand in the tests.

Gravity matrix, npcc-2023, decided on 2024-05-01, service area ``north``:

=========  ==========  =========  =====  ======================================
group      charge      comm. res  total  finals
=========  ==========  =========  =====  ======================================
white      5           15         20     none
black      5           5          10     2 community resolutions → charge
asian      2           2          4      none (total below 5: suppressed)
(none)     1           0          1      none ("not recorded", suppressed)
=========  ==========  =========  =====  ======================================

Every decision leaves an out-of-court outcome open (robbery admitted: charge with a
community resolution and a youth caution open; the others recommend one).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from decision_engine.audit import DecisionEntry, Store
from decision_engine.engine import decide
from decision_engine.policy.registry import Registry

ON = dt.date(2024, 5, 1)
# NPCC 2023, as the approved revision that now stands in for it (issue 9: npcc-2023-r2)
VERSION = Registry.load().current("gravity-matrix", "npcc-2023")
CHARGE = {"offence": "robbery", "sufficient_evidence": True, "admission": "admitted"}
RESOLUTION = {"offence": "robbery", "sufficient_evidence": True, "admission": "no_comment",
              "mitigating": ["minor_role_or_exploited"]}
PLAN: list[tuple[str | None, int, int]] = [("white", 5, 15), ("black", 5, 5),
                                           ("asian", 2, 2), (None, 1, 0)]


def _case(n: int, facts: dict[str, Any], group: str | None) -> dict[str, Any]:
    case: dict[str, Any] = {"case_reference": f"FX-{n:04d}", "age": 15, "facts": facts}
    if group is not None:
        case["monitoring"] = {"ethnicity": group, "sex": "male" if n % 2 else "female"}
    return case


def fill(store: Store, area: str = "north", on: dt.date = ON) -> None:
    """Record the table above (and two departures for the black group)."""
    entries, resolution_ids = [], []
    n = 0
    for group, charges, resolutions in PLAN:
        for facts, k in ((CHARGE, charges), (RESOLUTION, resolutions)):
            for _ in range(k):
                n += 1
                subject, decision = decide("gravity-matrix", _case(n, facts, group), on)
                entries.append((group, decision.outcome,
                                DecisionEntry(decision, subject, "panel", "p1", area)))
    refs = store.append_decisions([e for *_, e in entries])
    for (group, outcome, _), ref in zip(entries, refs, strict=True):
        if group == "black" and outcome == "community_resolution":
            resolution_ids.append(ref.id)
    for rid in resolution_ids[:2]:
        store.append_final(rid, "charge", "Further offence disclosed at panel.",
                           actor_role="panel", actor_id="p1", service_area=area)
