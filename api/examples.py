"""OpenAPI examples for every request body, taken from the repository's ``examples/``.

The example cases are the ones the CLI documentation and tests use, so the examples in
``/docs`` are real cases that evaluate (one per file, named ``family/file``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_FALLBACK_CASE = {"case_reference": "EX-GM-0002", "age": 14, "facts": {
    "offence": "theft_from_shop", "sufficient_evidence": True, "admission": "admitted",
    "aggravating": ["group_leading_role"], "previous_disposals": 1}}


def case_examples(root: Path, families: list[str]) -> dict[str, dict[str, Any]]:
    """``openapi_examples`` for ``POST /v1/decisions/{family}``."""
    found: dict[str, dict[str, Any]] = {}
    for family in families:
        folder = root / "examples" / family
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            try:
                case = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found[f"{family}/{path.stem}"] = {
                "summary": f"{family}: {path.stem.replace('-', ' ')}",
                "description": f"POST to /v1/decisions/{family} (examples/{family}/"
                               f"{path.name}).",
                "value": {"case": case}}
    if not found:
        found["gravity-matrix/admitted-shoplifting"] = {
            "summary": "gravity-matrix: admitted shoplifting", "value": {"case": _FALLBACK_CASE}}
    first = next(iter(found.values()))
    found["with-date-and-version"] = {
        "summary": "a past decision date and a named policy version",
        "description": "For gravity-matrix: evaluate as on 1 June 2024 under npcc-2023.",
        "value": {**first["value"], "decision_date": "2024-06-01",
                  "policy_version": "npcc-2023"}}
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
