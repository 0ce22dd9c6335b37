"""Conditions → durable-rules JSON and → Python predicates, from one definition.

Both targets share the semantics written down here (and checked against each other by
the differential tests): a comparison on an absent optional fact is false, and ``not``
is its exact logical negation. durable-rules has no ``not``, so negation is pushed down
to the comparisons (De Morgan); a negated comparison on an optional fact also holds
when the fact is absent.

durable-rules misfires on a ``$nex`` (field absent) that is not conjoined with a positive
test: alone, or as a branch of an ``$or``, it matches whether or not the field is there
(measured; ``tests/test_condition_semantics.py``). Every ``$nex`` is therefore emitted
anchored, ``{"$and": [{"__case__": 1}, {"$nex": …}]}``, which it evaluates correctly.

Fact names are prefixed with ``f_`` in durable-rules messages so they cannot collide with
the engine's own ``sid``/``id`` fields; set members become booleans ``f_<set>__<member>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from decision_engine.policy import model as m

Facts = Mapping[str, Any]
Predicate = Callable[[Facts], bool]

_NEGATE = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le",
           "in": "not_in", "not_in": "in"}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def resolve(value: Any, params: Mapping[str, m.Parameter]) -> Any:
    """Parameters are constants of a policy version: substitute them at compile time."""
    if isinstance(value, m.ParamRef):
        return params[value.param].value
    if isinstance(value, m.FactRef):
        raise ValueError(f"comparing a fact with fact {value.fact!r} is only possible in "
                         "derived conditions (where/holds/if), not in rules")
    return value


def facts_read(cond: Any) -> list[str]:
    """Names of the facts a condition reads, in first-read order (for reasons)."""
    out: list[str] = []

    def walk(c: Any) -> None:
        if isinstance(c, m.AllOf):
            for x in c.all:
                walk(x)
        elif isinstance(c, m.AnyOf):
            for x in c.any:
                walk(x)
        elif isinstance(c, m.Not):
            walk(c.not_)
        elif isinstance(c, m.Compare) and c.fact not in out:
            out.append(c.fact)

    walk(cond)
    return out


def params_read(cond: Any) -> list[str]:
    out: list[str] = []

    def walk(c: Any) -> None:
        if isinstance(c, m.AllOf | m.AnyOf):
            for x in c.all if isinstance(c, m.AllOf) else c.any:
                walk(x)
        elif isinstance(c, m.Not):
            walk(c.not_)
        elif isinstance(c, m.Compare):
            _, value = c.operator()
            if isinstance(value, m.ParamRef) and value.param not in out:
                out.append(value.param)

    walk(cond)
    return out


# --- durable-rules ---------------------------------------------------------------


class DurableCompiler:
    """Conditions as durable-rules conditions over message fields.

    A field is named ``f0``, ``f1``, … in the order conditions first read it (``fields``
    maps each fact, or set member, to its name): durable-rules parses every case's
    message and copies it into every action it starts, so short names are cheaper than
    the facts' own, and only what some condition reads is ever sent."""

    def __init__(self, policy: m.Policy) -> None:
        self.params = policy.parameters
        self.optional = {n for n, i in policy.inputs.items() if i.optional}
        self.fields: dict[tuple[str, str | None], str] = {}

    def field(self, fact: str, member: str | None = None) -> str:
        """The message field for *fact* (or for one *member* of a set fact)."""
        name = self.fields.get((fact, member))
        if name is None:
            name = self.fields[(fact, member)] = f"f{len(self.fields)}"
        return name

    def compile(self, cond: Any, negate: bool = False) -> dict[str, Any]:
        if isinstance(cond, m.Always):
            return EVERY_CASE if not negate else _FALSE
        if isinstance(cond, m.Not):
            return self.compile(cond.not_, not negate)
        if isinstance(cond, m.AllOf | m.AnyOf):
            parts = cond.all if isinstance(cond, m.AllOf) else cond.any
            conj = isinstance(cond, m.AllOf) != negate
            compiled = [self.compile(c, negate) for c in parts]
            if len(compiled) == 1:
                return compiled[0]
            return {"$and" if conj else "$or": compiled}
        assert isinstance(cond, m.Compare)
        return self.compare(cond, negate)

    def compare(self, cond: m.Compare, negate: bool) -> dict[str, Any]:
        op, raw = cond.operator()
        value = resolve(raw, self.params)
        field = self.field(cond.fact)
        if op == "given":
            present = bool(value) != negate
            return {"$ex": {field: 1}} if present else _absent(field)
        if op == "has":  # only members present are sent, as true
            field = self.field(cond.fact, str(value))
            return _absent(field) if negate else {field: True}
        if negate:
            op = _NEGATE[op]
        if op == "eq":
            out: dict[str, Any] = {field: value}
        elif op in _DURABLE_OP:
            out = {_DURABLE_OP[op]: {field: value}}
        elif op == "in":
            opts = [{field: v} for v in value]
            out = opts[0] if len(opts) == 1 else {"$or": opts} if opts else _FALSE
        else:  # not_in
            opts = [{"$neq": {field: v}} for v in value]
            out = opts[0] if len(opts) == 1 else {"$and": opts} if opts else {"$ex": {field: 1}}
        if negate and cond.fact in self.optional:
            out = {"$or": [_absent(field), out]}
        return out


def _absent(field: str) -> dict[str, Any]:
    """``field`` is not in the message, in the anchored form durable-rules gets right."""
    return {"$and": [{"__case__": 1}, {"$nex": {field: 1}}]}


EVERY_CASE: dict[str, Any] = {"$ex": {"__case__": 1}}
"""The condition every case meets (each durable-rules message carries ``__case__``)."""
_FALSE: dict[str, Any] = _absent("__case__")


# --- Python ---------------------------------------------------------------------


def python_predicate(cond: Any, params: Mapping[str, m.Parameter]) -> Predicate:
    """A closure evaluating the condition over a plain facts mapping."""
    if isinstance(cond, m.Always):
        return lambda f: True
    if isinstance(cond, m.Not):
        inner = python_predicate(cond.not_, params)
        return lambda f: not inner(f)
    if isinstance(cond, m.AllOf):
        parts = [python_predicate(c, params) for c in cond.all]
        return lambda f: all(p(f) for p in parts)
    if isinstance(cond, m.AnyOf):
        parts = [python_predicate(c, params) for c in cond.any]
        return lambda f: any(p(f) for p in parts)
    assert isinstance(cond, m.Compare)
    op, raw = cond.operator()
    name = cond.fact
    if isinstance(raw, m.FactRef):
        other = raw.fact
        dynamic: Callable[[Any, Any], bool] = {
            "eq": lambda x, y: x == y, "ne": lambda x, y: x != y, "lt": lambda x, y: x < y,
            "le": lambda x, y: x <= y, "gt": lambda x, y: x > y, "ge": lambda x, y: x >= y,
        }[op]

        def against_fact(f: Facts) -> bool:
            x, y = f.get(name), f.get(other)
            return x is not None and y is not None and dynamic(x, y)

        return against_fact
    value = resolve(raw, params)
    if op == "given":
        return lambda f: (f.get(name) is not None) == bool(value)
    if op == "has":
        return lambda f: value in (f.get(name) or ())
    compare: Callable[[Any], bool] = {
        "eq": lambda x: x == value and type(x) is type(value),
        "ne": lambda x: not (x == value and type(x) is type(value)),
        "lt": lambda x: x < value,
        "le": lambda x: x <= value,
        "gt": lambda x: x > value,
        "ge": lambda x: x >= value,
        "in": lambda x: any(x == v and type(x) is type(v) for v in value),
        "not_in": lambda x: not any(x == v and type(x) is type(v) for v in value),
    }[op]

    def predicate(f: Facts) -> bool:
        x = f.get(name)
        return x is not None and compare(x)

    return predicate
