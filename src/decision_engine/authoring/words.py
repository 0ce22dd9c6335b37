"""Conditions, expressions and rule effects in words, for a reader who does not read YAML.

The wording is mechanical (one phrase per operator) so it says exactly what the policy
says; fact and parameter names stay as written, so a reader can find them in the file.
"""

from __future__ import annotations

from typing import Any

from decision_engine.policy import model as m

_OPS = {"eq": "is", "ne": "is not", "lt": "is less than", "le": "is at most",
        "gt": "is more than", "ge": "is at least"}


def value(v: Any, policy: m.Policy | None = None) -> str:
    """A literal or reference as it reads in a sentence."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, m.ParamRef):
        if policy is not None and v.param in policy.parameters:
            return f"{v.param} (= {value(policy.parameters[v.param].value)})"
        return v.param
    if isinstance(v, m.FactRef):
        return v.fact
    if isinstance(v, list):
        return ", ".join(value(x, policy) for x in v) if v else "(none)"
    return str(v)


def condition(c: Any, policy: m.Policy | None = None, nested: bool = False) -> str:
    """One condition as a sentence fragment; nested groups are bracketed."""
    if isinstance(c, m.Always):
        return "always"
    if isinstance(c, m.Not):
        return f"not ({condition(c.not_, policy)})"
    if isinstance(c, m.AllOf | m.AnyOf):
        joiner = " and " if isinstance(c, m.AllOf) else " or "
        parts = c.all if isinstance(c, m.AllOf) else c.any
        text = joiner.join(condition(p, policy, nested=True) for p in parts)
        return f"({text})" if nested and len(parts) > 1 else text
    if isinstance(c, m.Compare):
        op, operand = c.operator()
        if op in _OPS:
            return f"{c.fact} {_OPS[op]} {value(operand, policy)}"
        if op == "in":
            return f"{c.fact} is one of {value(operand, policy)}"
        if op == "not_in":
            return f"{c.fact} is none of {value(operand, policy)}"
        if op == "has":
            return f"{c.fact} includes {operand}"
        return f"{c.fact} is {'given' if operand else 'not given'}"
    raise TypeError(f"not a condition: {c!r}")


def expression(e: Any, policy: m.Policy | None = None) -> str:
    """An expression of a derived fact or output as it reads in a sentence."""
    if isinstance(e, bool | int | str):
        return value(e)
    if isinstance(e, m.FactRef | m.ParamRef):
        return value(e, policy)
    if isinstance(e, m.ExprAdd):
        return "(" + " + ".join(expression(x, policy) for x in e.add) + ")"
    if isinstance(e, m.ExprSub):
        return f"({expression(e.sub[0], policy)} − {expression(e.sub[1], policy)})"
    if isinstance(e, m.ExprMin | m.ExprMax):
        items = e.min if isinstance(e, m.ExprMin) else e.max
        word = "smallest" if isinstance(e, m.ExprMin) else "largest"
        return f"the {word} of " + ", ".join(expression(x, policy) for x in items)
    if isinstance(e, m.ExprLookup):
        lk = e.lookup
        return f"the {lk.column} of {expression(lk.key, policy)} in table {lk.table}"
    if isinstance(e, m.ExprClamp):
        cl = e.clamp
        return (f"{expression(cl.value, policy)} kept between {expression(cl.min, policy)} "
                f"and {expression(cl.max, policy)}")
    if isinstance(e, m.ExprIf):
        i = e.if_
        return (f"if {condition(i.when, policy)} then {expression(i.then, policy)}, "
                f"otherwise {expression(i.else_, policy)}")
    if isinstance(e, m.ExprCount):
        where = f" where {condition(e.count.where, policy)}" if e.count.where else ""
        return f"the number of {e.count.of}{where}"
    if isinstance(e, m.ExprSelect):
        where = f" where {condition(e.select.where, policy)}" if e.select.where else ""
        return f"the {e.select.field} of each of {e.select.of}{where}"
    if isinstance(e, m.ExprMonthsBefore):
        return (f"the date {expression(e.months_before_decision.months, policy)} months "
                "before the decision date")
    if isinstance(e, m.ExprAddWorkingDays):
        wd = e.add_working_days
        return (f"the date {expression(wd.days, policy)} working days after "
                f"{expression(wd.date, policy)} (not counting weekends or the days in table "
                f"{wd.calendar})")
    if isinstance(e, m.ExprCondition):
        return f"whether {condition(e.holds, policy)}"
    raise TypeError(f"not an expression: {e!r}")


def effects(rule: m.Rule) -> str:
    """What a rule does when it fires."""
    parts: list[str] = []
    if rule.indicate:
        prio = f" (priority {rule.priority})" if rule.priority else ""
        parts.append(f"indicates {rule.indicate}{prio}")
    if rule.block:
        parts.append("blocks " + ", ".join(rule.block))
    if rule.set:
        parts.append("sets " + ", ".join(f"{k} = {value(v)}" for k, v in rule.set.items()))
    if rule.flag:
        parts.append("raises " + ", ".join(rule.flag))
    if rule.variant:
        parts.append(f"gives the variant {rule.variant}")
    if rule.warn:
        parts.append(f"warns: {rule.warn}")
    text = "; ".join(parts) or "records its reason"
    if rule.applies_if_outcome:
        text += " — only when the outcome is " + " or ".join(rule.applies_if_outcome)
    return text


def rule_sentence(rule: m.Rule, policy: m.Policy) -> str:
    return f"When {condition(rule.when, policy)}: {effects(rule)}."


def input_domain(inp: m.Input) -> str:
    """An input's declared domain in words."""
    if inp.type == "int":
        return f"whole number {inp.min}–{inp.max}"
    if inp.type in ("enum", "set"):
        what = "one of" if inp.type == "enum" else "any of"
        if inp.from_table:
            return f"{what} the keys of table {inp.from_table}"
        return f"{what} {', '.join(inp.values or [])}"
    if inp.type == "list":
        fields = ", ".join(f"{k} ({f.type})" for k, f in (inp.items or {}).items())
        return f"list of up to {inp.max_items} items with {fields}"
    return {"bool": "true or false", "date": "a date"}.get(inp.type, inp.type)
