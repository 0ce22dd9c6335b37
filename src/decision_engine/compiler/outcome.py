"""The outcome compiler: a third compile target from the same YAML, outcome only.

One policy version becomes one flat Python function (generated source, ``compile()``d
once): derived facts as local variables, each rule's condition as a boolean expression,
then the resolution (indications, blocks, the severity ladder) as straight-line code.
No reasons, no provenance, no durable-rules: what exhaustive checks, diffs, what-ifs
and counterfactuals need, at a few times the cost of a hand-written function.

It shares the condition semantics of ``conditions.python_predicate`` (a comparison on an
absent fact is false; ``not`` is exact negation) and the resolution of
``engine.evaluation``; the differential tests check it against durable-rules for every
family.

API::

    program = outcome_program(policy)          # or outcome_program_for(compiled)
    program.outcome(facts, day)                # -> "youth_caution"
    program.evaluate(facts, day)               # -> OutcomeResult(outcome, indicated,
                                               #      fired, blocked, derived)

``facts`` are the validated rule inputs as the engine prepares them (``cp.validate``:
defaults filled, sets sorted) plus the facts consulted families expose; ``day`` is the
decision date. Derived facts are computed here (pass them in and they are recomputed).
``fired`` lists the rules whose effects count in the decision — the ``rule`` of each of
its reasons, in policy order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from decision_engine.compiler.expressions import (
    Calendar,
    add_working_days,
    as_date,
    months_before_iso,
)
from decision_engine.compiler.reads import decides, outcome_reads
from decision_engine.policy import model as m

if TYPE_CHECKING:  # program imports the derived-fact program, which imports this
    from decision_engine.compiler.program import CompiledPolicy

_CMP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class OutcomeResult(NamedTuple):
    outcome: str
    indicated: str
    fired: tuple[str, ...]
    """Rule ids whose effects count (policy order), as the decision's reasons list them."""
    blocked: frozenset[str]
    """Outcomes some fired rule blocks (``outcomes.X.available`` is false for these)."""
    derived: dict[str, Any]


@dataclass(frozen=True)
class OutcomeProgram:
    """A policy version compiled to outcome-only Python; see the module docstring."""

    family: str
    version: str
    source: str
    """The generated source, kept for reading and debugging."""
    _outcome: Callable[[Mapping[str, Any], str, dt.date], str]
    _evaluate: Callable[[Mapping[str, Any], str, dt.date], OutcomeResult]
    _outcome_with: Callable[[Mapping[str, Any], str, dt.date, str, Any], str]

    def outcome(self, facts: Mapping[str, Any], day: dt.date) -> str:
        """The recommended outcome for validated *facts* on *day*."""
        return self._outcome(facts, day.isoformat(), day)

    def outcome_with(self, facts: Mapping[str, Any], day: dt.date, name: str,
                     value: Any) -> str:
        """The outcome if fact *name* were *value* (no copy of *facts*; what-ifs)."""
        return self._outcome_with(facts, day.isoformat(), day, name, value)

    def evaluate(self, facts: Mapping[str, Any], day: dt.date) -> OutcomeResult:
        """Outcome, indicated outcome, rules fired, blocked outcomes and derived facts."""
        return self._evaluate(facts, day.isoformat(), day)


def outcome_program_for(cp: CompiledPolicy) -> OutcomeProgram:
    """The outcome program of a compiled policy, built once and kept with it."""
    held = cp.memo.get("outcome_program")
    if held is None:
        held = cp.memo["outcome_program"] = outcome_program(cp.policy)
    assert isinstance(held, OutcomeProgram)
    return held


def outcome_program(policy: m.Policy) -> OutcomeProgram:
    gen = SourceGenerator(policy)
    source = "\n\n".join((gen.function("_outcome", full=False),
                             gen.function("_evaluate", full=True),
                             gen.function("_outcome_with", full=False, override=True)))
    namespace: dict[str, Any] = {**gen.consts, "_months_before_iso": months_before_iso,
                                 "_add_working_days": _working_days,
                                 "_Result": OutcomeResult, "_frozenset": frozenset}
    exec(compile(source, f"<outcome {policy.family}@{policy.version}>", "exec"), namespace)
    return OutcomeProgram(policy.family, policy.version, source, namespace["_outcome"],
                          namespace["_evaluate"], namespace["_outcome_with"])


def _working_days(start: Any, days: int, calendar: Calendar) -> str | None:
    """``add_working_days`` as the engine computes it, without the provenance."""
    day = as_date(start)
    due = None if day is None else add_working_days(day, days, calendar)[0]
    return None if due is None else due.isoformat()


class SourceGenerator:
    """Python source for a policy's expressions and conditions, with the semantics of
    ``conditions.python_predicate`` (the derived-fact program reuses the conditions)."""

    def __init__(self, policy: m.Policy) -> None:
        self.policy = policy
        self.consts: dict[str, Any] = {}
        self.lookups: dict[tuple[str, str], str] = {}
        self.given = set(policy.inputs) | {f for c in policy.consults.values()
                                           for f in c.expose}

    def const(self, value: Any) -> str:
        if isinstance(value, bool | int) or value is None:
            return repr(value)
        if isinstance(value, str):
            return repr(value)
        name = f"_k{len(self.consts)}"
        self.consts[name] = value
        return name

    # -- expressions ------------------------------------------------------------------

    def expr(self, e: Any, known: set[str]) -> str:
        p = self.policy
        if isinstance(e, bool | int | str):
            return self.const(e)
        if isinstance(e, m.FactRef):
            return self.fact(e.fact, known, derived_scope=True)
        if isinstance(e, m.ParamRef):
            return self.const(p.parameters[e.param].value)
        if isinstance(e, m.ExprAdd):
            return "(" + " + ".join(self.expr(x, known) for x in e.add) + ")"
        if isinstance(e, m.ExprSub):
            a, b = (self.expr(x, known) for x in e.sub)
            return f"({a} - {b})"
        if isinstance(e, m.ExprMin | m.ExprMax):
            parts = e.min if isinstance(e, m.ExprMin) else e.max
            fn = "min" if isinstance(e, m.ExprMin) else "max"
            inner = [self.expr(x, known) for x in parts]
            return inner[0] if len(inner) == 1 else f"{fn}({', '.join(inner)})"
        if isinstance(e, m.ExprClamp):
            v, lo, hi = (self.expr(getattr(e.clamp, k), known) for k in ("value", "min", "max"))
            return f"max({lo}, min({hi}, {v}))"
        if isinstance(e, m.ExprLookup):
            lk = e.lookup
            key = (lk.table, lk.column)
            if key not in self.lookups:
                rows = p.tables[lk.table].rows
                self.lookups[key] = self.const({k: r[lk.column] for k, r in rows.items()})
            return f"{self.lookups[key]}[str({self.expr(lk.key, known)})]"
        if isinstance(e, m.ExprIf):
            when = self.cond(e.if_.when, known, derived_scope=True)
            then, other = self.expr(e.if_.then, known), self.expr(e.if_.else_, known)
            return f"({then} if {when} else {other})"
        if isinstance(e, m.ExprCondition):
            return f"bool({self.cond(e.holds, known, derived_scope=True)})"
        if isinstance(e, m.ExprCount):
            spec = e.count
            if spec.where is None:
                return f"len({self.fact(spec.of, known, True)} or ())"
            return (f"sum(1 for _it in ({self.fact(spec.of, known, True)} or ()) "
                    f"if {self.item_cond(spec.of, spec.where, known)})")
        if isinstance(e, m.ExprSelect):
            sel = e.select
            where = "" if sel.where is None else f" if {self.item_cond(sel.of, sel.where, known)}"
            return (f"[_it.get({sel.field!r}) for _it in ({self.fact(sel.of, known, True)} "
                    f"or ()){where}]")
        if isinstance(e, m.ExprMonthsBefore):
            months = self.expr(e.months_before_decision.months, known)
            return f"_months_before_iso(_date, int({months}))"
        if isinstance(e, m.ExprAddWorkingDays):
            wd = e.add_working_days
            calendar = self.const(Calendar.of(p, wd.calendar))
            return (f"_add_working_days({self.expr(wd.date, known)}, "
                    f"int({self.expr(wd.days, known)}), {calendar})")
        raise TypeError(f"not an expression: {e!r}")

    def item_cond(self, of: str, where: Any, known: set[str]) -> str:
        spec = self.policy.inputs[of].items or {}
        return self.cond(where, known, derived_scope=True, item_fields={*spec, "id"})

    def fact(self, name: str, known: set[str], derived_scope: bool,
             item_fields: set[str] | None = None) -> str:
        if item_fields is not None and name in item_fields:
            return f"_it.get({name!r})"
        if name == "decision_date" and derived_scope:
            return "_day"
        if name in known:
            return f"v_{name}"
        return "None"  # not (yet) a fact: reads as absent, as in the engine

    # -- conditions (the semantics of conditions.python_predicate) --------------------

    def cond(self, c: Any, known: set[str], derived_scope: bool = False,
             item_fields: set[str] | None = None) -> str:
        if isinstance(c, m.Always):
            return "True"
        if isinstance(c, m.Not):
            return f"(not {self.cond(c.not_, known, derived_scope, item_fields)})"
        if isinstance(c, m.AllOf | m.AnyOf):
            parts = c.all if isinstance(c, m.AllOf) else c.any
            joiner = " and " if isinstance(c, m.AllOf) else " or "
            return "(" + joiner.join(self.cond(x, known, derived_scope, item_fields)
                                     for x in parts) + ")"
        assert isinstance(c, m.Compare)
        op, raw = c.operator()
        x = self.fact(c.fact, known, derived_scope, item_fields)
        if isinstance(raw, m.FactRef):
            y = self.fact(raw.fact, known, derived_scope, item_fields)
            return f"({x} is not None and {y} is not None and {x} {_CMP[op]} {y})"
        value = self.policy.parameters[raw.param].value if isinstance(raw, m.ParamRef) else raw
        if op == "given":
            return f"({x} is not None)" if value else f"({x} is None)"
        if op == "has":
            return f"({self.const(value)} in ({x} or ()))"
        if op in ("eq", "ne"):
            same = f"({x} == {self.const(value)} and type({x}) is {type(value).__name__})"
            return f"({x} is not None and {'not ' if op == 'ne' else ''}{same})"
        if op in _CMP:
            return f"({x} is not None and {x} {_CMP[op]} {self.const(value)})"
        assert isinstance(value, list)
        members = self.member_test(x, value)
        return f"({x} is not None and {'not ' if op == 'not_in' else ''}{members})"

    def member_test(self, x: str, values: list[Any]) -> str:
        """``any(x == v and type(x) is type(v) for v in values)`` without a loop."""
        by_type: dict[type, list[Any]] = {}
        for v in values:
            by_type.setdefault(type(v), []).append(v)
        tests = [f"(type({x}) is {t.__name__} and {x} in {self.const(frozenset(vs))})"
                 for t, vs in by_type.items()]
        return "(" + (" or ".join(tests) or "False") + ")"

    # -- the function -------------------------------------------------------------------

    def function(self, name: str, full: bool, override: bool = False) -> str:
        """The full function, or (``full=False``) only what the outcome depends on;
        ``override`` adds parameters ``_name, _value``: fact *_name* reads as *_value*."""
        p = self.policy
        need = None if full else outcome_reads(p)
        lines = [f"def {name}(f, _day, _date{', _name, _value' if override else ''}):"]
        known: set[str] = set()
        for fact in sorted(self.given):
            known.add(fact)
            if need is None or fact in need:
                load = f"f.get({fact!r})"
                if override:
                    load = f"_value if _name == {fact!r} else {load}"
                lines.append(f"    v_{fact} = {load}")
        for dname, d in p.derived.items():
            known.add(dname)
            if need is None or dname in need:
                lines.append(f"    v_{dname} = {self.expr(d.expr, known)}")
        for i, rule in enumerate(p.rules):
            if need is None or decides(rule):
                lines.append(f"    m{i} = {self.cond(rule.when, known)}")
        lines.extend(self.resolution(full))
        if full:
            fired = " + ".join(f"(({r.id!r},) if {self.effective(i, r)} else ())"
                               for i, r in enumerate(p.rules)) or "()"
            derived = ", ".join(f"{d!r}: v_{d}" for d in p.derived)
            blocked = ", ".join(f"{o!r}" for o in p.outcomes)
            lines.append(f"    _fired = {fired}")
            lines.append(f"    _blocked = _frozenset(o for o, b in zip(({blocked},), "
                         f"({', '.join(f'b{j}' for j in range(len(p.outcomes)))},)) if b)")
            lines.append(f"    return _Result(_out, _ind, _fired, _blocked, {{{derived}}})")
        else:
            lines.append("    return _out")
        return "\n".join(lines)

    def effective(self, i: int, r: m.Rule) -> str:
        if r.applies_if_outcome is None:
            return f"m{i}"
        return f"(m{i} and _out in {self.const(frozenset(r.applies_if_outcome))})"

    def resolution(self, full: bool) -> list[str]:
        """Indicated (highest priority, then most severe), blocks, the ladder down."""
        p = self.policy
        ladder = p.outcomes
        immediate = [(i, r) for i, r in enumerate(p.rules) if decides(r)]
        indicating = sorted(((r.priority, ladder.index(r.indicate), i) for i, r in immediate
                             if r.indicate is not None), key=lambda t: (t[0], t[1]),
                            reverse=True)
        default = ladder.index(p.resolution.default)
        lines = []
        if indicating:
            first = True
            for _, rank, i in indicating:
                lines.append(f"    {'if' if first else 'elif'} m{i}:\n        _i = {rank}")
                first = False
            lines.append(f"    else:\n        _i = {default}")
        else:
            lines.append(f"    _i = {default}")
        for j, name in enumerate(ladder):
            blockers = [f"m{i}" for i, r in immediate if name in r.block]
            lines.append(f"    b{j} = {' or '.join(blockers) if blockers else 'False'}")
        ladder_c = self.const(tuple(ladder))
        lines.append(f"    _ind = {ladder_c}[_i]")
        if p.resolution.when_blocked == "none":
            lines.append("    _out = _ind")
            return lines
        lines.append(f"    _bl = ({', '.join(f'b{j}' for j in range(len(ladder)))},)"
                     if full or len(ladder) else "")
        lines.append("    if not _bl[_i]:\n        _out = _ind\n    else:")
        lines.append(f"        _out = {self.const(ladder[default])}")
        lines.append("        for _j in range(_i - 1, -1, -1):")
        lines.append(f"            if not _bl[_j]:\n                _out = {ladder_c}[_j]\n"
                     "                break")
        return lines


def exposed(result: OutcomeResult, path: str) -> Any:
    """The value at a consult ``expose`` path (``outcome``, ``indicated``,
    ``derived.X``, ``outcomes.X.available``) of an outcome result, as the engine reads it
    from the consulted decision; KeyError for a path outside those."""
    if path in ("outcome", "indicated"):
        return result.outcome if path == "outcome" else result.indicated
    head, _, rest = path.partition(".")
    if head == "derived" and rest in result.derived:
        return result.derived[rest]
    name, _, leaf = rest.partition(".")
    if head == "outcomes" and leaf == "available":
        return name not in result.blocked
    raise KeyError(path)
