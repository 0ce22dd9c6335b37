"""Hypothesis strategies drawing cases from a policy's declared input domains."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from decision_engine.policy import model as m
from decision_engine.policy.registry import PolicyVersion


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


def _item(policy: m.Policy, spec: dict[str, m.ItemField]) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, f in spec.items():
        if f.type == "bool":
            fields[name] = st.booleans()
        elif f.type == "int":
            fields[name] = st.integers(f.min if f.min is not None else -5,
                                       f.max if f.max is not None else 50)
        elif f.type == "enum":
            fields[name] = st.sampled_from(list(policy.tables[f.from_table].rows)
                                           if f.from_table else list(f.values or []))
        else:
            fields[name] = st.dates(dt.date(2005, 1, 1), dt.date(2030, 12, 31)).map(
                dt.date.isoformat)
    return st.fixed_dictionaries(fields)


def cases_for(pv: PolicyVersion) -> st.SearchStrategy[tuple[dict[str, Any], dt.date]]:
    """Facts inside the declared domains (list inputs too) and a day the version is in
    force."""
    policy = pv.policy
    lists = {name: st.lists(_item(policy, inp.items or {}), max_size=inp.max_items or 6)
             for name, inp in policy.inputs.items() if inp.type == "list"}
    end = pv.entry.effective_to or dt.date(2030, 12, 31)
    day = st.dates(pv.entry.effective_from, end - dt.timedelta(days=1))
    return st.tuples(st.tuples(facts_for(policy), st.fixed_dictionaries(lists)).map(
        lambda t: {**t[0], **t[1]}), day)
