"""Hypothesis strategies drawing cases from a policy's declared input domains."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from decision_engine.policy import model as m


def _domain(policy: m.Policy, values: list[str] | None, table: str | None) -> list[str]:
    return list(policy.tables[table].rows) if table else list(values or [])


def facts_for(policy: m.Policy) -> st.SearchStrategy[dict[str, Any]]:
    """Any facts inside the declared domain (lists kept short)."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, inp in policy.inputs.items():
        if inp.type == "bool":
            s: st.SearchStrategy[Any] = st.booleans()
        elif inp.type == "int":
            s = st.integers(inp.min, inp.max)
        elif inp.type == "enum":
            s = st.sampled_from(_domain(policy, inp.values, inp.from_table))
        elif inp.type == "set":
            dom = _domain(policy, inp.values, inp.from_table)
            s = st.lists(st.sampled_from(dom), unique=True, max_size=min(4, len(dom)))
        elif inp.type == "date":
            s = st.dates().map(lambda d: d.isoformat())
        else:
            continue  # list inputs: per-family strategies
        if inp.optional:
            s = st.none() | s
        fields[name] = s
    return st.fixed_dictionaries(fields).map(
        lambda d: {k: v for k, v in d.items() if v is not None})
