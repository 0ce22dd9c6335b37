"""OpenAPI examples for every request body, taken from the policy root's ``examples/``.

The example cases are the ones the CLI documentation and tests use, and each file is
already a request body carrying the day it was written for, so the examples in ``/docs``
are real requests: each is evaluated once at start-up (compiled Python evaluator) and left
out if it does not decide.
"""

from __future__ import annotations

import json
from typing import Any

from decision_engine.engine import decide
from decision_engine.engine.examples import examples
from decision_engine.errors import DecisionEngineError
from decision_engine.policy.registry import Registry

_FALLBACK_CASE = {"case_reference": "EX-GM-0002", "age": 14, "facts": {
    "offence": "theft_from_shop", "sufficient_evidence": True, "admission": "admitted",
    "aggravating": ["group_leading_role"], "previous_disposals": 1}}


def case_examples(registry: Registry) -> dict[str, dict[str, Any]]:
    """``openapi_examples`` for ``POST /v1/decisions/{family}``: every example of a
    registered family that decides on its own date."""
    found: dict[str, dict[str, Any]] = {}
    for family in registry.families():
        for example in examples(registry.root, family):
            try:
                request = example.request()
                decide(family, request.case, request.decision_date, request.policy_version,
                       registry=registry, engine="fast")
                value = json.loads(example.path.read_text(encoding="utf-8"))
            except (OSError, ValueError, DecisionEngineError):
                continue  # a broken example is left out of the docs, not fatal
            found[example.key] = {
                "summary": f"{family}: {example.name.replace('-', ' ')}",
                "description": f"POST to /v1/decisions/{family} (examples/{family}/"
                               f"{example.path.name}; `decision-engine examples` lists them).",
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
