"""OpenAPI examples for every request body, taken from the repository's ``examples/``.

The example cases are the ones the CLI documentation and tests use, so the examples in
``/docs`` are real cases: each is evaluated once at start-up (compiled Python evaluator)
to find a decision date it works on, and left out if it evaluates on none.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from decision_engine.engine import decide
from decision_engine.errors import DecisionEngineError
from decision_engine.policy.registry import Registry

_FALLBACK_CASE = {"case_reference": "EX-GM-0002", "age": 14, "facts": {
    "offence": "theft_from_shop", "sufficient_evidence": True, "admission": "admitted",
    "aggravating": ["group_leading_role"], "previous_disposals": 1}}


def _evaluates_on(registry: Registry, family: str, case: dict[str, Any]) -> str | None:
    """A decision date on which *case* evaluates: today if possible, else the first day
    of a registered version (newest first); ``None`` if none works."""
    today = dt.datetime.now(dt.UTC).date()
    starts = sorted((pv.entry.effective_from for pv in registry.versions(family)),
                    reverse=True)
    candidates = [today, *starts]
    for on in candidates:
        try:
            decide(family, case, on, registry=registry, engine="fast")
        except DecisionEngineError:
            continue
        return None if on == today else on.isoformat()
    raise LookupError(family)


def case_examples(registry: Registry) -> dict[str, dict[str, Any]]:
    """``openapi_examples`` for ``POST /v1/decisions/{family}``: every example case of
    a registered family that evaluates (with the decision date it needs)."""
    found: dict[str, dict[str, Any]] = {}
    for family in registry.families():
        folder = registry.root / "examples" / family
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            try:
                case = json.loads(path.read_text(encoding="utf-8"))
                on = _evaluates_on(registry, family, case)
            except (OSError, ValueError, LookupError):
                continue  # a broken example is left out of the docs, not fatal
            value: dict[str, Any] = {"case": case}
            if on is not None:
                value["decision_date"] = on
            found[f"{family}/{path.stem}"] = {
                "summary": f"{family}: {path.stem.replace('-', ' ')}",
                "description": f"POST to /v1/decisions/{family} (examples/{family}/"
                               f"{path.name}).",
                "value": value}
    if not found:
        found["gravity-matrix/admitted-shoplifting"] = {
            "summary": "gravity-matrix: admitted shoplifting", "value": {"case": _FALLBACK_CASE}}
    return found


FINAL_EXAMPLES: dict[str, dict[str, Any]] = {
    "accept": {"summary": "accept the recommendation",
               "value": {"final_outcome": "youth_caution"}},
    "depart": {"summary": "depart from it (rationale required)",
               "value": {"final_outcome": "community_resolution",
                         "rationale": "Panel judged a community resolution proportionate: "
                                      "first contact, full reparation already made."}},
}

REPLAY_EXAMPLES: dict[str, dict[str, Any]] = {
    "reproduce": {"summary": "reproduce under the recorded version", "value": {}},
    "what-if": {"summary": "what would another version decide?",
                "value": {"target_version": "npcc-2023"}},
}

BULK_REPLAY_EXAMPLES: dict[str, dict[str, Any]] = {
    "reproduce": {"summary": "check that every gravity-matrix decision reproduces",
                  "value": {"family": "gravity-matrix"}},
    "what-if": {"summary": "impact of npcc-2025 on decisions made in 2024",
                "value": {"family": "gravity-matrix", "date_from": "2024-01-01",
                          "date_to": "2024-12-31", "target_version": "npcc-2025"}},
}
