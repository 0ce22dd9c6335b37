"""What a policy reads, and how: the analyses the memo keys and the outcome compiler
rest on.

A fact is read as a ``value`` (compared, copied, iterated), as a table lookup's ``key``
(only the looked-up columns of its row matter) or by its ``count`` (only its size). Two
cases that agree on what is read, in the way it is read, decide alike; the engine's
memos key on exactly that and no more. ``decision_date`` counts as a fact.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from decision_engine.policy import model as m


def _children(node: Any) -> Iterable[Any]:
    """The parts of a policy node the analyses walk into: a model's fields, a list's
    items, nothing else."""
    if isinstance(node, BaseModel):
        return node.__dict__.values()
    if isinstance(node, list):
        return node
    return ()


def decides(rule: m.Rule) -> bool:
    """The rule can change the outcome: it indicates or blocks, and not only after it."""
    return rule.applies_if_outcome is None and (rule.indicate is not None or bool(rule.block))


def reads(node: Any, how: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Fact name → how a condition or expression reads it: ``count`` (only its size,
    through ``count`` without ``where``), ``key`` (as a table lookup's key) or ``value``.
    ``decision_date`` counts as a fact."""
    out: dict[str, set[str]] = {} if how is None else how

    def note(name: str, kind: str) -> None:
        out.setdefault(name, set()).add(kind)

    def walk(e: Any) -> None:
        if isinstance(e, m.Compare):
            note(e.fact, "value")
            for _, v in [e.operator()]:
                if isinstance(v, m.FactRef):
                    note(v.fact, "value")
        elif isinstance(e, m.FactRef):
            note(e.fact, "value")
        elif isinstance(e, m.ExprLookup) and isinstance(e.lookup.key, m.FactRef):
            note(e.lookup.key.fact, "key")
        elif isinstance(e, m.ExprCount) and e.count.where is None:
            note(e.count.of, "count")
        elif isinstance(e, m.ExprCount | m.ExprSelect):
            spec = e.count if isinstance(e, m.ExprCount) else e.select
            note(spec.of, "value")
            walk(spec.where)
        elif isinstance(e, m.ExprMonthsBefore):
            note("decision_date", "value")
            walk(e.months_before_decision.months)
        else:
            for value in _children(e):
                walk(value)

    walk(node)
    return out


def outcome_reads(policy: m.Policy) -> dict[str, set[str]]:
    """Every fact (input, consulted, derived) the outcome depends on, and how it is read:
    the conditions of the rules that indicate or block, closed over derived facts."""
    return reads_past_fixed(policy, None)[0]


def reads_past_fixed(policy: m.Policy, changed: set[str] | None,
                     ) -> tuple[dict[str, set[str]], tuple[str, ...]]:
    """:func:`outcome_reads` stopped at the derived facts no change to *changed* can
    move (none of what they read, closed over derived facts, is in it), and those
    derived facts (``fixed``); ``None`` stops at none. The outcome of a case under any
    such change depends on the fixed facts' values and on the facts read, not on what
    only the fixed ones read (Enhanced Case Management's offence history and decision
    date reach its outcome only as the count of offences in the window)."""
    moved = set(policy.derived) if changed is None else set(changed)
    if changed is not None:
        for name, derived in policy.derived.items():  # each reads only earlier ones
            if moved & set(reads(derived.expr)):
                moved.add(name)
    how: dict[str, set[str]] = {}
    for rule in policy.rules:
        if decides(rule):
            reads(rule.when, how)
    fixed: list[str] = []
    for name in reversed(list(policy.derived)):  # every reader of a name comes before it
        if name in how:
            if name in moved:
                reads(policy.derived[name].expr, how)
            else:
                fixed.append(name)
    return how, tuple(sorted(fixed))


def lookup_columns(policy: m.Policy, fact: str, names: set[str]) -> list[str]:
    """Columns of the table keyed by *fact* that the derived facts in *names* look up."""
    cols: list[str] = []

    def walk(e: Any) -> None:
        if isinstance(e, m.ExprLookup):
            key = e.lookup.key
            if isinstance(key, m.FactRef) and key.fact == fact and e.lookup.column not in cols:
                cols.append(e.lookup.column)
            walk(key)
        else:
            for value in _children(e):
                walk(value)

    for name, d in policy.derived.items():
        if name in names:
            walk(d.expr)
    return cols
