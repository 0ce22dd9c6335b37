"""JSON Schema of the policy language for YAML editors (which validate against draft-07)."""

from __future__ import annotations

import json
from typing import Any

from decision_engine.policy.model import Policy


def policy_json_schema() -> dict[str, Any]:
    schema = Policy.model_json_schema(by_alias=True, ref_template="#/definitions/{model}")
    text = json.dumps(schema).replace('"$defs"', '"definitions"')
    out: dict[str, Any] = json.loads(text)
    out = {"$schema": "http://json-schema.org/draft-07/schema#",
           "$id": "https://decision-engine.invalid/policy.schema.json", **out}
    return out
