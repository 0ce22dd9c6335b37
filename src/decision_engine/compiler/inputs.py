"""Check a case's facts against the policy's declared inputs, before any rule runs.

The declared domains are the contract: anything outside them is refused with the field,
the value and why, so a rule never sees a value its author did not consider.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from decision_engine.errors import InputError
from decision_engine.policy import model as m
from decision_engine.strict_json import parse_iso_date, whole_number


def domain(policy: m.Policy, spec: m.Input | m.ItemField) -> list[str]:
    """The values an enum or set input (or item field) accepts, in declared order."""
    return _domain(policy, spec.values, spec.from_table)


def _domain(policy: m.Policy, values: list[str] | None, table: str | None) -> list[str]:
    if table is not None:
        return list(policy.tables[table].rows)
    return list(values or [])


def _iso_date(field: str, value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return parse_iso_date(value).isoformat()
        except ValueError:
            pass
    raise InputError(field, value, "expected a date as YYYY-MM-DD")


def _int(field: str, value: Any, lo: int | None, hi: int | None) -> int:
    number = whole_number(value)  # 15.0 is the JSON integer 15 (as JSON Schema says)
    if number is None:
        raise InputError(field, value, "expected a whole number")
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise InputError(field, value, f"must be between {lo} and {hi}")
    return number


def _enum(policy: m.Policy, field: str, value: Any, allowed: list[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        shown = ", ".join(allowed)
        if len(allowed) > 12:
            where = f"{policy.family} --policy-version {policy.version}"
            shown = (", ".join(allowed[:12]) + f", … ({len(allowed)} values; all listed by "
                     f"`decision-engine inputs {where}` and GET /v1/policies/{policy.family}/"
                     f"{policy.version})")
        raise InputError(field, value, f"not a known value; expected one of: {shown}")
    return value


def _item(policy: m.Policy, field: str, item: Any, spec: dict[str, m.ItemField]) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise InputError(field, item, "expected an object")
    unknown = sorted(set(item) - set(spec) - {"id"})
    if unknown:
        raise InputError(f"{field}.{unknown[0]}", item[unknown[0]], "unknown field")
    out: dict[str, Any] = {}
    if "id" in item:
        if not isinstance(item["id"], str) or len(item["id"]) > 64:
            raise InputError(f"{field}.id", item["id"], "expected a short text label")
        out["id"] = item["id"]
    for name, f in spec.items():
        where = f"{field}.{name}"
        if name not in item:
            raise InputError(where, None, "required")
        value = item[name]
        if f.type == "bool":
            if not isinstance(value, bool):
                raise InputError(where, value, "expected true or false")
            out[name] = value
        elif f.type == "int":
            out[name] = _int(where, value, f.min, f.max)
        elif f.type == "enum":
            out[name] = _enum(policy, where, value, _domain(policy, f.values, f.from_table))
        else:
            out[name] = _iso_date(where, value)
    return out


_ONLY_STR = frozenset([str])


def _plain_date(text: str) -> bool:
    """Whether the full path would keep *text* as it is (``_iso_date`` of it is itself)."""
    try:
        return parse_iso_date(text).isoformat() == text
    except ValueError:
        return False


class FactValidator:
    """validate_facts with each input's domain worked out once per policy version."""

    def __init__(self, policy: m.Policy) -> None:
        self.policy = policy
        self.names = frozenset(policy.inputs)
        self.check = _plain_check(policy)

    def __call__(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """Accept plainly valid facts quickly; anything doubtful goes through
        validate_facts, which alone words the errors."""
        if not (self.check is not None and (type(facts) is dict or isinstance(facts, Mapping))
                and self.names.issuperset(facts)):  # a dict: no abstract-class check
            return validate_facts(self.policy, facts)
        out = self.check(facts)
        return validate_facts(self.policy, facts) if out is None else out


def _plain_check(policy: m.Policy) -> Callable[[Mapping[str, Any]], dict[str, Any] | None] | None:
    """One straight-line function for *policy*'s inputs (generated source, like the outcome
    compiler's): the normalised facts when every value is plainly valid, else None. None
    instead of a function when an input is a list of items (only the full path takes those).

    Per input, in declaration order: absent → its default (optional without one: left
    out; required: None); then its type and domain (a set's members' types before they
    are hashed, then no duplicates, then sorted). Names and values reach the source only
    as ``repr`` literals or namespace constants, so no policy text is ever code."""
    if any(inp.type == "list" for inp in policy.inputs.values()):
        return None
    namespace: dict[str, Any] = {"_ONLY_STR": _ONLY_STR, "_plain_date": _plain_date}
    lines = ["def check(facts):", "    get = facts.get", "    out = {}"]
    for i, (name, inp) in enumerate(policy.inputs.items()):
        kind, pad = inp.type, "    "
        lines.append(f"{pad}v = get({name!r})")
        if inp.default is not None:
            namespace[f"D{i}"] = inp.default
            lines.append(f"{pad}if v is None: v = D{i}")
        elif inp.optional:
            lines.append(f"{pad}if v is not None:")
            pad += "    "
        else:
            lines.append(f"{pad}if v is None: return None")
        namespace[f"A{i}"] = frozenset(_domain(policy, inp.values, inp.from_table))
        namespace[f"L{i}"] = inp.min if inp.min is not None else -(2**63)
        namespace[f"H{i}"] = inp.max if inp.max is not None else 2**63
        if kind == "bool":
            lines.append(f"{pad}if v is not True and v is not False: return None")
        elif kind == "int":
            lines.append(f"{pad}if type(v) is not int or not L{i} <= v <= H{i}: return None")
        elif kind == "enum":
            lines.append(f"{pad}if type(v) is not str or v not in A{i}: return None")
        elif kind == "date":  # as the full path gives it: the same text
            lines.append(f"{pad}if type(v) is not str or not _plain_date(v): return None")
        else:  # set
            lines.append(f"{pad}if type(v) is not list or (v and not (_ONLY_STR.issuperset("
                         f"map(type, v)) and A{i}.issuperset(v) and len(set(v)) == len(v))):"
                         " return None")
            lines.append(f"{pad}v = sorted(v)")
        lines.append(f"{pad}out[{name!r}] = v")
    lines.append("    return out")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<inputs {policy.family}@{policy.version}>", "exec"), namespace)
    check: Callable[[Mapping[str, Any]], dict[str, Any] | None] = namespace["check"]
    return check


def validate_facts(policy: m.Policy, facts: Mapping[str, Any]) -> dict[str, Any]:
    """Normalised facts (defaults filled, sets sorted) or an InputError naming the field.

    The full, slower path: FactValidator accepts plainly valid facts itself and sends
    everything else here, so the wording of every error lives in one place."""
    if not isinstance(facts, Mapping):
        raise InputError("facts", facts, "expected an object of named facts")
    unknown = sorted(set(facts) - set(policy.inputs))
    if unknown:
        name = unknown[0]
        hint = (" (protected characteristics go under `monitoring`, never facts)"
                if name in policy.monitoring else "")
        raise InputError(f"facts.{name}", facts[name],
                         f"not an input of policy {policy.family} {policy.version}{hint}")
    out: dict[str, Any] = {}
    for name, inp in policy.inputs.items():
        field = f"facts.{name}"
        if name not in facts or facts[name] is None:
            if inp.default is not None:
                value: Any = inp.default
            elif inp.optional:
                continue
            else:
                raise InputError(field, None, f"required: {inp.description or inp.type}")
        else:
            value = facts[name]
        if inp.type == "bool":
            if not isinstance(value, bool):
                raise InputError(field, value, "expected true or false")
        elif inp.type == "int":
            value = _int(field, value, inp.min, inp.max)
        elif inp.type == "enum":
            value = _enum(policy, field, value, _domain(policy, inp.values, inp.from_table))
        elif inp.type == "set":
            if not isinstance(value, list):
                raise InputError(field, value, "expected a list")
            allowed = _domain(policy, inp.values, inp.from_table)
            for v in value:
                _enum(policy, field, v, allowed)
            if len(set(value)) != len(value):
                raise InputError(field, value, "lists a value twice")
            value = sorted(value)
        elif inp.type == "date":
            value = _iso_date(field, value)
        else:  # list
            if not isinstance(value, list):
                raise InputError(field, value, "expected a list")
            if inp.max_items is not None and len(value) > inp.max_items:
                raise InputError(field, f"{len(value)} items", f"at most {inp.max_items} items")
            value = [_item(policy, f"{field}[{i}]", v, inp.items or {})
                     for i, v in enumerate(value)]
        out[name] = value
    return out
