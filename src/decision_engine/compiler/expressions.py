"""Derived facts and outputs: expressions compiled once into closures.

An expression reads facts, parameters and table rows. Each table row and parameter it
reads is noted in the evaluation context, so a decision can say which sourced data it
rests on and warn when that data is unverified.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from decision_engine.compiler.conditions import params_read, python_predicate
from decision_engine.policy import model as m


@dataclass(slots=True)
class Context:
    """What one evaluation can read, and the provenance it has touched so far."""

    facts: dict[str, Any]
    decision_date: dt.date
    lookups: list[tuple[str, str]] = field(default_factory=list)  # (table, row key)
    params: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Warnings an expression raised about its own result (e.g. a due date not computed)."""


Evaluator = Callable[[Context], Any]


@functools.lru_cache(maxsize=4096)
def months_before_iso(day: dt.date, months: int) -> str:
    """:func:`months_before` as the ISO text expressions compare, remembered: a policy
    reads a few windows back from each decision date, for every fact and every
    counterfactual tried on it (Enhanced Case Management: ~40 times a decision)."""
    return months_before(day, months).isoformat()


def months_before(day: dt.date, months: int) -> dt.date:
    """Same day-of-month ``months`` earlier, clipped to the month's end (31 Mar - 1 = 28 Feb)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Calendar:
    """A table of non-working weekdays (its row keys, ISO dates) as ``add_working_days``
    reads it. It covers whole years, from its first row's to its last row's."""

    table: str
    days: frozenset[dt.date]
    first: dt.date
    last: dt.date

    @classmethod
    def of(cls, policy: m.Policy, table: str) -> Calendar:
        days = frozenset(dt.date.fromisoformat(key) for key in policy.tables[table].rows)
        return cls(table, days, dt.date(min(days).year, 1, 1), dt.date(max(days).year, 12, 31))


def add_working_days(day: dt.date, days: int, calendar: Calendar,
                     ) -> tuple[dt.date | None, list[dt.date]]:
    """The date *days* working days after *day* (not counting *day*), and the calendar
    dates skipped on the way. None when the count starts or ends outside the calendar's
    years, where a non-working day could be missing."""
    if not calendar.first <= day <= calendar.last or days < 0:
        return None, []
    skipped: list[dt.date] = []
    left = days
    while left:
        day += dt.timedelta(days=1)
        if day > calendar.last:
            return None, []
        if day.weekday() >= 5:
            continue
        if day in calendar.days:
            skipped.append(day)
            continue
        left -= 1
    return day, skipped


def as_date(value: Any) -> dt.date | None:
    """An ISO date fact as a date; None for an absent or unreadable one."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _scope(ctx: Context) -> dict[str, Any]:
    return {**ctx.facts, "decision_date": ctx.decision_date.isoformat()}


def _note_params(ctx: Context, names: tuple[str, ...]) -> None:
    """Record parameters a condition read, so the decision cites (and warns about) them."""
    for name in names:
        if name not in ctx.params:
            ctx.params.append(name)


class ExpressionCompiler:
    def __init__(self, policy: m.Policy) -> None:
        self.policy = policy

    def compile(self, expr: Any) -> Evaluator:
        p = self.policy
        if isinstance(expr, bool | int | str):
            const = expr
            return lambda ctx: const
        if isinstance(expr, m.FactRef):
            name = expr.fact
            if name == "decision_date":
                return lambda ctx: ctx.decision_date.isoformat()
            return lambda ctx: ctx.facts.get(name)
        if isinstance(expr, m.ParamRef):
            pname = expr.param
            pvalue = p.parameters[pname].value

            def param(ctx: Context) -> Any:
                if pname not in ctx.params:
                    ctx.params.append(pname)
                return pvalue

            return param
        if isinstance(expr, m.ExprAdd):
            parts = [self.compile(x) for x in expr.add]
            if len(parts) == 2:  # the usual case, without a generator: as sum() adds
                first, second = parts
                return lambda ctx: 0 + first(ctx) + second(ctx)
            return lambda ctx: sum(part(ctx) for part in parts)
        if isinstance(expr, m.ExprSub):
            a, b = (self.compile(x) for x in expr.sub)
            return lambda ctx: a(ctx) - b(ctx)
        if isinstance(expr, m.ExprMin):
            parts = [self.compile(x) for x in expr.min]
            if len(parts) == 2:
                one, two = parts
                return lambda ctx: min(one(ctx), two(ctx))
            return lambda ctx: min(part(ctx) for part in parts)
        if isinstance(expr, m.ExprMax):
            parts = [self.compile(x) for x in expr.max]
            if len(parts) == 2:
                one, two = parts
                return lambda ctx: max(one(ctx), two(ctx))
            return lambda ctx: max(part(ctx) for part in parts)
        if isinstance(expr, m.ExprClamp):
            v, lo, hi = (self.compile(getattr(expr.clamp, k)) for k in ("value", "min", "max"))
            return lambda ctx: max(lo(ctx), min(hi(ctx), v(ctx)))
        if isinstance(expr, m.ExprLookup):
            return self.lookup(expr.lookup)
        if isinstance(expr, m.ExprIf):
            when = python_predicate(expr.if_.when, p.parameters)
            when_params = tuple(params_read(expr.if_.when))
            then, other = self.compile(expr.if_.then), self.compile(expr.if_.else_)

            def if_then(ctx: Context) -> Any:
                _note_params(ctx, when_params)
                return then(ctx) if when(_scope(ctx)) else other(ctx)

            return if_then
        if isinstance(expr, m.ExprCondition):
            holds = python_predicate(expr.holds, p.parameters)
            holds_params = tuple(params_read(expr.holds))

            def condition(ctx: Context) -> Any:
                _note_params(ctx, holds_params)
                return holds(_scope(ctx))

            return condition
        if isinstance(expr, m.ExprCount):
            return self.count(expr.count)
        if isinstance(expr, m.ExprSelect):
            return self.select(expr.select)
        if isinstance(expr, m.ExprMonthsBefore):
            months = self.compile(expr.months_before_decision.months)
            return lambda ctx: months_before_iso(ctx.decision_date, int(months(ctx)))
        if isinstance(expr, m.ExprAddWorkingDays):
            return self.working_days(expr.add_working_days)
        raise TypeError(f"not an expression: {expr!r}")

    def working_days(self, spec: m.WorkingDays) -> Evaluator:
        start, days = self.compile(spec.date), self.compile(spec.days)
        calendar = Calendar.of(self.policy, spec.calendar)
        table = calendar.table

        def working_days(ctx: Context) -> Any:
            day = as_date(start(ctx))
            if day is None:
                return None  # the parameter is not read: the decision does not rest on it
            n = int(days(ctx))
            due, skipped = add_working_days(day, n, calendar)
            if due is None:
                note = (f"No date {n} working days after {day.isoformat()}: the calendar "
                        f"{table} covers {calendar.first.year}-{calendar.last.year} only; a "
                        "later revision of the policy must extend it.")
                if note not in ctx.notes:
                    ctx.notes.append(note)
            for d in skipped:  # each non-working day skipped is a row the date rests on
                if (table, key := d.isoformat()) not in ctx.lookups:
                    ctx.lookups.append((table, key))
            return None if due is None else due.isoformat()

        return working_days

    def lookup(self, lk: m.Lookup) -> Evaluator:
        table = lk.table
        rows = self.policy.tables[table].rows
        column = lk.column
        key = self.compile(lk.key)

        def lookup(ctx: Context) -> Any:
            k = str(key(ctx))
            row = rows.get(k)
            if row is None:
                raise LookupError(f"table {table!r} has no row {k!r}")
            if (table, k) not in ctx.lookups:
                ctx.lookups.append((table, k))
            return row[column]

        return lookup

    def _items(self, of: str, where: Any) -> Callable[[Context], list[Mapping[str, Any]]]:
        pred = python_predicate(where, self.policy.parameters) if where is not None else None
        where_params = tuple(params_read(where)) if where is not None else ()

        def items(ctx: Context) -> list[Mapping[str, Any]]:
            values = ctx.facts.get(of) or []
            if pred is None:
                return list(values)
            _note_params(ctx, where_params)
            # item fields shadow facts, so `where` can compare an item to a derived date
            scope = {**ctx.facts, "decision_date": ctx.decision_date.isoformat()}
            return [v for v in values if pred({**scope, **v})]

        return items

    def count(self, spec: m.CountItems) -> Evaluator:
        if spec.where is None:  # every item counts: no copy of the list to count it
            of = spec.of
            return lambda ctx: len(ctx.facts.get(of) or [])
        items = self._items(spec.of, spec.where)
        return lambda ctx: len(items(ctx))

    def select(self, spec: m.SelectItems) -> Evaluator:
        items = self._items(spec.of, spec.where)
        fname = spec.field
        return lambda ctx: [item.get(fname) for item in items(ctx)]
