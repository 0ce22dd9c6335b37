"""Domain abstraction: every case a policy can tell apart, as finitely many classes.

Raw domains are far too large to enumerate (the gravity matrix has ~10⁹ cases), but a
policy only *reads* its inputs in a few ways, and two values it reads identically can
never lead to different decisions. So each input is split by what the policy reads:

* an enum or int: by the tuple of everything read from it (table cells looked up with
  it as key, the result of each comparison with a constant) — an int compared with
  constants becomes the intervals between them;
* a set: by which members are tested with ``has`` and, when it is counted, how many
  other members it holds;
* a date (and the decision date): by the intervals between the dates it is compared with,
  the registry's version boundaries included;
* a consulted family: the passed facts become one dimension whose classes are the
  distinct combinations of what the consulted decision exposes and what this policy
  reads of them itself.

An input read in a way these do not cover (by value in arithmetic, against another
fact, a list with ``where``) keeps its raw domain when that is small, and otherwise the
version is *refused* with a message naming the input and the read; nothing is guessed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from decision_engine.authoring.evaluate import compiled, evaluate, exposed
from decision_engine.compiler.conditions import resolve
from decision_engine.policy import model as m

RAW_LIMIT = 4096
"""Largest raw domain kept for an input that cannot be reduced."""

DECISION_DATE = "decision_date"


@dataclass(frozen=True)
class Use:
    """One way the policy reads a fact."""

    kind: str  # compare | has | given | lookup | count | value | fact-compare | list-where
    detail: Any
    at: str


@dataclass(frozen=True)
class Klass:
    """One equivalence class: a readable label and a representative assignment."""

    label: str
    facts: Mapping[str, Any]
    """Facts this class contributes; an optional input left out is absent."""
    absent: tuple[str, ...] = ()


@dataclass
class Dim:
    """One dimension of the reduced domain (an input, or a consulted family's group)."""

    name: str
    inputs: tuple[str, ...]
    classes: list[Klass]
    raw: int | None
    """Raw domain size; None when unbounded (dates)."""
    how: str
    successors: Callable[[int], list[int]] | None = None
    """For monotonicity: classes reached by one step up (one more member, +1, true)."""


@dataclass
class DateClass:
    label: str
    day: dt.date
    dims: list[Dim]

    def size(self) -> int:
        return math.prod(len(d.classes) for d in self.dims)


@dataclass(frozen=True)
class Case:
    date: int
    index: tuple[int, ...]
    facts: Mapping[str, Any]
    day: dt.date


@dataclass
class Domain:
    policy: m.Policy
    dates: list[DateClass]
    raw: int | None
    refused: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(d.size() for d in self.dates)

    def cases(self) -> Iterator[Case]:
        for di, dc in enumerate(self.dates):
            for index in itertools.product(*(range(len(d.classes)) for d in dc.dims)):
                yield self.case(di, index)

    def case(self, di: int, index: tuple[int, ...]) -> Case:
        dc = self.dates[di]
        facts: dict[str, Any] = {}
        for dim, i in zip(dc.dims, index, strict=True):
            facts.update(dim.classes[i].facts)
        return Case(di, index, facts, dc.day)

    def describe(self, case: Case) -> list[str]:
        """The case as readable class labels, one per dimension that is not trivial."""
        dc = self.dates[case.date]
        out = [f"decision date {dc.label}"] if len(self.dates) > 1 else []
        for dim, i in zip(dc.dims, case.index, strict=True):
            if len(dim.classes) > 1:
                out.append(dim.classes[i].label)
        return out


class DomainRefused(Exception):
    """The policy reads an input in a way that has no sound finite reduction."""


# --- what the policy reads ------------------------------------------------------------


def _cond_facts(cond: Any, out: set[str]) -> None:
    if isinstance(cond, m.AllOf | m.AnyOf):
        for c in cond.all if isinstance(cond, m.AllOf) else cond.any:
            _cond_facts(c, out)
    elif isinstance(cond, m.Not):
        _cond_facts(cond.not_, out)
    elif isinstance(cond, m.Compare):
        out.add(cond.fact)
        _, raw = cond.operator()
        if isinstance(raw, m.FactRef):
            out.add(raw.fact)


def _expr_facts(expr: Any, out: set[str]) -> None:
    if isinstance(expr, m.FactRef):
        out.add(expr.fact)
    elif isinstance(expr, m.ExprLookup):
        _expr_facts(expr.lookup.key, out)
    elif isinstance(expr, m.ExprCount | m.ExprSelect):
        spec = expr.count if isinstance(expr, m.ExprCount) else expr.select
        out.add(spec.of)
        if spec.where is not None:
            _cond_facts(spec.where, out)
    elif isinstance(expr, m.ExprCondition):
        _cond_facts(expr.holds, out)
    elif isinstance(expr, m.ExprIf):
        _cond_facts(expr.if_.when, out)
        _expr_facts(expr.if_.then, out)
        _expr_facts(expr.if_.else_, out)
    elif isinstance(expr, m.ExprClamp):
        for key in ("value", "min", "max"):
            _expr_facts(getattr(expr.clamp, key), out)
    elif isinstance(expr, m.ExprMonthsBefore):
        out.add(DECISION_DATE)
        _expr_facts(expr.months_before_decision.months, out)
    elif isinstance(expr, m.ExprAddWorkingDays):
        _expr_facts(expr.add_working_days.date, out)
    elif isinstance(expr, m.ExprAdd | m.ExprSub | m.ExprMin | m.ExprMax):
        for sub in getattr(expr, type(expr).__name__[4:].lower()):
            _expr_facts(sub, out)


def outcome_rules(policy: m.Policy) -> list[int]:
    """Rules that can change the outcome: those that indicate or block one."""
    return [i for i, r in enumerate(policy.rules) if r.indicate or r.block]


def relevant_derived(policy: m.Policy, roots: set[str],
                     rules: Sequence[int] | None = None) -> list[str]:
    """Derived facts that rules (and ``roots``) read, directly or through other derived."""
    wanted = set(roots)
    for i in range(len(policy.rules)) if rules is None else rules:
        _cond_facts(policy.rules[i].when, wanted)
    for prop in policy.properties:
        for cond in prop.conditions():
            _cond_facts(cond, wanted)
    changed = True
    while changed:
        changed = False
        for name, d in policy.derived.items():
            if name in wanted:
                before = len(wanted)
                _expr_facts(d.expr, wanted)
                changed = changed or len(wanted) != before
    return [n for n in policy.derived if n in wanted]


class _Reads:
    def __init__(self, policy: m.Policy) -> None:
        self.p = policy
        self.uses: dict[str, list[Use]] = {}

    def add(self, name: str, kind: str, detail: Any, at: str) -> None:
        self.uses.setdefault(name, []).append(Use(kind, detail, at))

    def cond(self, cond: Any, at: str, item: Mapping[str, Any] | None = None) -> None:
        if isinstance(cond, m.AllOf | m.AnyOf):
            for c in cond.all if isinstance(cond, m.AllOf) else cond.any:
                self.cond(c, at, item)
        elif isinstance(cond, m.Not):
            self.cond(cond.not_, at, item)
        elif isinstance(cond, m.Compare):
            op, raw = cond.operator()
            if item is not None and cond.fact in item:
                if isinstance(raw, m.FactRef) and raw.fact not in item:
                    self.add(raw.fact, "fact-compare", cond.fact, at)
                return
            if isinstance(raw, m.FactRef):
                self.add(cond.fact, "fact-compare", raw.fact, at)
                self.add(raw.fact, "fact-compare", cond.fact, at)
            elif op == "has":
                self.add(cond.fact, "has", raw, at)
            elif op == "given":
                self.add(cond.fact, "given", None, at)
            else:
                self.add(cond.fact, "compare", (op, resolve(raw, self.p.parameters)), at)

    def expr(self, expr: Any, at: str) -> None:
        if isinstance(expr, m.FactRef):
            self.add(expr.fact, "value", None, at)
        elif isinstance(expr, m.ExprLookup):
            lk = expr.lookup
            if isinstance(lk.key, m.FactRef):
                # The column's values travel with the use: the reads of one version (a
                # diff's other side, a consulting policy) must be judged against its
                # own table, not the table of the policy whose domain is being built.
                rows = self.p.tables[lk.table].rows
                column = tuple((k, rows[k].get(lk.column)) for k in sorted(rows))
                self.add(lk.key.fact, "lookup", (lk.table, lk.column, column), at)
            else:
                self.expr(lk.key, at)
        elif isinstance(expr, m.ExprCount | m.ExprSelect):
            spec = expr.count if isinstance(expr, m.ExprCount) else expr.select
            inp = self.p.inputs.get(spec.of)
            if spec.where is None and isinstance(expr, m.ExprCount):
                self.add(spec.of, "count", None, at)
            else:
                self.add(spec.of, "list-where", None, at)
                if spec.where is not None:
                    self.cond(spec.where, at, (inp.items or {}) if inp else {})
        elif isinstance(expr, m.ExprCondition):
            self.cond(expr.holds, at)
        elif isinstance(expr, m.ExprIf):
            self.cond(expr.if_.when, at)
            self.expr(expr.if_.then, at)
            self.expr(expr.if_.else_, at)
        elif isinstance(expr, m.ExprClamp):
            for key in ("value", "min", "max"):
                self.expr(getattr(expr.clamp, key), at)
        elif isinstance(expr, m.ExprMonthsBefore):
            self.add(DECISION_DATE, "value", None, at)
            self.expr(expr.months_before_decision.months, at)
        elif isinstance(expr, m.ExprAddWorkingDays):
            self.expr(expr.add_working_days.date, at)  # a date read by value: not reduced
        elif isinstance(expr, m.ExprAdd | m.ExprSub | m.ExprMin | m.ExprMax):
            for sub in getattr(expr, type(expr).__name__[4:].lower()):
                self.expr(sub, at)


def reads(policy: m.Policy, roots: Sequence[str] = (),
          rules: Sequence[int] | None = None) -> dict[str, list[Use]]:
    """Every read of every fact that can affect the given rules (default: all) or a
    property: the cone the domain must tell apart."""
    r = _Reads(policy)
    for i in range(len(policy.rules)) if rules is None else rules:
        rule = policy.rules[i]
        r.cond(rule.when, f"rules[{i}] {rule.id}")
    for prop in policy.properties:
        for cond in prop.conditions():
            r.cond(cond, f"property {prop.id}")
        if prop.monotone is not None:
            r.add(prop.monotone.input, "monotone", None, f"property {prop.id}")
    for name in relevant_derived(policy, set(roots), rules):
        r.expr(policy.derived[name].expr, f"derived.{name}")
    for name in roots:
        r.add(name, "value", None, "consulted by another policy")
    return r.uses


# --- classes per input ------------------------------------------------------------------


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda x, v: x == v and type(x) is type(v),
    "ne": lambda x, v: not (x == v and type(x) is type(v)),
    "lt": lambda x, v: x < v, "le": lambda x, v: x <= v,
    "gt": lambda x, v: x > v, "ge": lambda x, v: x >= v,
    "in": lambda x, v: any(x == y and type(x) is type(y) for y in v),
    "not_in": lambda x, v: not any(x == y and type(x) is type(y) for y in v),
}


def _signature(policy: m.Policy, value: Any, uses: list[Use]) -> tuple[Any, ...] | None:
    """Everything the policy reads from ``value``; None if some read needs the value."""
    sig: list[Any] = []
    for u in uses:
        if u.kind == "compare":
            op, const = u.detail
            try:
                sig.append(_OPS[op](value, const))
            except TypeError:
                sig.append(None)
        elif u.kind == "lookup":
            _, _, column = u.detail
            sig.append(dict(column).get(str(value)))
        elif u.kind in ("given", "monotone"):
            continue
        else:
            return None
    return tuple(sig)


def _runs(values: list[int]) -> str:
    """[10, 11, 12, 16] → '10–12, 16'."""
    parts: list[str] = []
    start = prev = values[0]
    for v in [*values[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(parts)


def _values_label(name: str, values: list[str], total: int) -> str:
    if len(values) == 1:
        return f"{name}={values[0]}"
    if len(values) == total:
        return f"{name} any"
    shown = ", ".join(values[:4]) + (f", … ({len(values)} values)" if len(values) > 4 else "")
    return f"{name} ∈ {{{shown}}}"


def _finite_dim(policy: m.Policy, name: str, inp: m.Input, values: list[Any],
                uses: list[Use]) -> Dim:
    groups: dict[Any, list[Any]] = {}
    reduced = True
    for v in values:
        sig = _signature(policy, v, uses)
        if sig is None:
            reduced = False
            sig = ("value", v)
        groups.setdefault(sig, []).append(v)
    classes: list[Klass] = []
    index: dict[Any, int] = {}
    for members in groups.values():
        for v in members:
            index[v] = len(classes)
        if inp.type == "int":
            label = f"{name} {_runs(members)}" if len(groups) > 1 else f"{name} any"
        elif inp.type == "bool":
            label = f"{name}={str(members[0]).lower()}" if len(members) == 1 else f"{name} any"
        else:
            label = _values_label(name, [str(v) for v in members], len(values))
        classes.append(Klass(label, {name: members[0]}))
    kinds = sorted({u.kind for u in uses if u.kind not in ("given", "monotone")})
    how = ("by " + ", ".join(kinds) if kinds else "not read") if reduced else (
        "raw: read by value (" + ", ".join(sorted({u.at for u in uses if u.kind not in (
            "compare", "lookup", "given", "monotone")})) + ")")

    def successors(i: int) -> list[int]:
        if inp.type == "bool":
            return [index[True]] if index[False] == i and index[True] != i else []
        out = []
        for v, c in index.items():
            if c == i and isinstance(v, int) and (v + 1) in index and index[v + 1] != i:
                out.append(index[v + 1])
        return sorted(set(out))

    return Dim(name, (name,), classes, len(values), how, successors)


def _set_dim(policy: m.Policy, name: str, members: list[str], uses: list[Use]) -> Dim:
    kinds = {u.kind for u in uses} - {"given", "monotone"}
    if not kinds <= {"has", "count"}:
        if 2 ** len(members) > RAW_LIMIT:
            bad = sorted({u.at for u in uses if u.kind not in ("has", "count", "given")})
            raise DomainRefused(f"set input {name!r} is read by value ({', '.join(bad)}); "
                                f"its raw domain (2^{len(members)}) is too large")
        subsets = [list(c) for k in range(len(members) + 1)
                   for c in itertools.combinations(members, k)]
        every = [Klass(f"{name}={{{', '.join(s)}}}", {name: sorted(s)}) for s in subsets]
        return Dim(name, (name,), every, 2 ** len(members), "raw: read by value")
    tested = sorted({str(u.detail) for u in uses if u.kind == "has"})
    others = [x for x in members if x not in tested]
    counted = "count" in kinds
    shapes: list[tuple[tuple[str, ...], int]] = []
    for k in range(len(tested) + 1):
        for chosen in itertools.combinations(tested, k):
            for extra in range(len(others) + 1 if counted else 1):
                shapes.append((chosen, extra))
    classes: list[Klass] = []
    for chosen, extra in shapes:
        value = sorted([*chosen, *others[:extra]])
        if tested and counted:
            label = f"{name} ⊇ {{{', '.join(chosen)}}} + {extra} other" if chosen else (
                f"{name}: {extra} untested member(s)")
        elif tested:
            label = f"{name} ∩ tested = {{{', '.join(chosen)}}}"
        elif counted:
            label = f"{name}: {extra} member{'s' if extra != 1 else ''}"
        else:
            label = f"{name} any"
        classes.append(Klass(label, {name: value}))
    pos = {shape: i for i, shape in enumerate(shapes)}

    def successors(i: int) -> list[int]:
        chosen, extra = shapes[i]
        out = [pos[(tuple(sorted((*chosen, t))), extra)] for t in tested if t not in chosen]
        if counted and extra < len(others):
            out.append(pos[(chosen, extra + 1)])
        return out

    how = " and ".join(x for x in (f"has {', '.join(tested)}" if tested else "",
                                   "count" if counted else "") if x) or "not read"
    return Dim(name, (name,), classes, 2 ** len(members), how, successors)


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _date_cuts(uses: list[Use], what: str) -> list[dt.date]:
    cuts: set[dt.date] = set()
    for u in uses:
        if u.kind in ("given", "monotone"):
            continue
        if u.kind != "compare":
            raise DomainRefused(f"{what} is read by {u.kind} at {u.at}; only comparisons with "
                                "constant dates can be reduced")
        op, const = u.detail
        consts = const if isinstance(const, list) else [const]
        for c in consts:
            d = _day(c)
            cuts.add(d + dt.timedelta(days=1) if op in ("le", "gt", "eq", "ne", "in",
                                                        "not_in") else d)
            if op in ("eq", "ne", "in", "not_in"):
                cuts.add(d)
    return sorted(cuts)


def _intervals(cuts: list[dt.date], start: dt.date | None,
               end: dt.date | None) -> list[tuple[dt.date, dt.date | None]]:
    """[start, end) split at the cuts; an open start begins a day before the first cut."""
    lo = start or ((cuts[0] - dt.timedelta(days=1)) if cuts else dt.date(2000, 1, 1))
    points = [lo, *(c for c in cuts if c > lo and (end is None or c < end))]
    return [(a, b) for a, b in zip(points, [*points[1:], end], strict=True)]


def _interval_label(name: str, a: dt.date, b: dt.date | None) -> str:
    if b is None:
        return f"{name} ≥ {a.isoformat()}"
    last = b - dt.timedelta(days=1)
    return f"{name} {a.isoformat()}" if last == a else f"{name} {a.isoformat()}…{last.isoformat()}"


def _input_dim(policy: m.Policy, name: str, inp: m.Input, uses: list[Use]) -> Dim:
    if inp.informs_only or not uses:
        value: Any = inp.default
        if value is None and not inp.optional:
            value = {"bool": False, "int": inp.min, "set": [], "list": [], "date": "2000-01-01",
                     "enum": (inp.values or list(policy.tables[inp.from_table].rows)
                              if inp.from_table else inp.values or [""])[0]}[inp.type]
        facts = {} if value is None else {name: value}
        return Dim(name, (name,), [Klass(f"{name} (not read)", facts)], _raw(policy, inp),
                   "not read")
    if inp.type == "list":
        raise DomainRefused(
            f"list input {name!r} is read through count/select with `where` "
            f"({', '.join(sorted({u.at for u in uses}))}); lists have no sound reduction yet")
    if inp.type == "date":
        cuts = _date_cuts(uses, f"date input {name!r}")
        spans = _intervals(cuts, None, None)
        dim = Dim(name, (name,), [Klass(_interval_label(name, a, b), {name: a.isoformat()})
                                  for a, b in spans], None, "by comparisons with dates")
    elif inp.type == "set":
        members = list(policy.tables[inp.from_table].rows) if inp.from_table else list(
            inp.values or [])
        dim = _set_dim(policy, name, members, uses)
    else:
        if inp.type == "bool":
            values: list[Any] = [False, True]
        elif inp.type == "int":
            assert inp.min is not None and inp.max is not None
            values = list(range(inp.min, inp.max + 1))
        else:
            values = list(policy.tables[inp.from_table].rows) if inp.from_table else list(
                inp.values or [])
        dim = _finite_dim(policy, name, inp, values, uses)
    if inp.optional and inp.default is None:
        dim.classes.append(Klass(f"{name} not given", {}, (name,)))
        if dim.raw is not None:
            dim.raw += 1
        base = dim.successors
        if base is not None:
            dim.successors = lambda i, b=base, n=len(dim.classes) - 1: [] if i == n else b(i)
    return dim


def _raw(policy: m.Policy, inp: m.Input) -> int | None:
    extra = 1 if inp.optional and inp.default is None else 0
    if inp.type == "bool":
        return 2 + extra
    if inp.type == "int":
        return (inp.max or 0) - (inp.min or 0) + 1 + extra
    if inp.type in ("enum", "set"):
        n = len(policy.tables[inp.from_table].rows) if inp.from_table else len(inp.values or [])
        return (n if inp.type == "enum" else 2 ** n) + extra
    return None


# --- the whole domain ---------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Dates a version is in force, and the registry to find consulted versions in."""

    start: dt.date | None = None
    end: dt.date | None = None
    consulted: Callable[[str, dt.date], m.Policy | None] | None = None
    boundaries: Callable[[str], list[dt.date]] | None = None


def build(policy: m.Policy, window: Window | None = None,
          extra: Mapping[str, list[Use]] | None = None,
          roots: Sequence[str] = (), only: Sequence[str] | None = None,
          rules: Sequence[int] | None = None, limit: int | None = None) -> Domain:
    """The reduced domain of ``policy``; refusals are recorded, not raised.

    ``rules`` is the cone to tell apart (default all rules; ``outcome_rules`` when only
    the outcome matters, as in proofs and diffs). ``extra`` adds reads made by someone
    else (a consulting policy, the other side of a diff); ``only`` limits the dimensions
    to these inputs (a consulted policy sees only the facts passed to it); ``roots`` are
    derived facts read from outside."""
    window = window or Window()
    uses = reads(policy, roots, rules)
    for name, more in (extra or {}).items():
        uses.setdefault(name, []).extend(more)
    refused: list[str] = []
    raw: int | None = 1
    passed = {f for c in policy.consults.values() for f in c.pass_facts}
    own: list[Dim] = []
    for name, inp in policy.inputs.items():
        r = _raw(policy, inp)
        raw = None if raw is None or r is None else raw * r
        if (only is not None and name not in only) or name in passed:
            continue
        try:
            own.append(_input_dim(policy, name, inp, uses.get(name, [])))
        except DomainRefused as exc:
            refused.append(str(exc))
    own_size = math.prod(len(d.classes) for d in own)
    if limit is not None and own_size > limit:
        refused.append(f"{own_size:,} reduced cases before any consulted family, more than "
                       f"the {limit:,} enumerated (nothing is sampled instead)")
    try:
        cuts = _date_cuts(uses.get(DECISION_DATE, []), "the decision date")
    except DomainRefused as exc:
        refused.append(str(exc))
        cuts = []
    for consult in policy.consults.values():
        if window.boundaries is not None:
            cuts.extend(window.boundaries(consult.family))
    spans = _intervals(sorted(set(cuts)), window.start, window.end)
    dates: list[DateClass] = []
    for a, b in spans:
        dims = list(own)
        if not refused:
            for cname, consult in policy.consults.items():
                try:
                    dims.append(_consult_dim(policy, cname, consult, uses, a, window))
                except DomainRefused as exc:
                    refused.append(str(exc))
        dates.append(DateClass(_interval_label("", a, b).strip(), a, dims))
    return Domain(policy, dates if not refused else [], raw, refused)


_GROUPS: dict[tuple[Any, ...], list[Klass]] = {}


def _consult_dim(policy: m.Policy, cname: str, consult: m.Consult,
                 uses: Mapping[str, list[Use]], day: dt.date, window: Window) -> Dim:
    """The facts passed to a consulted family, grouped by what comes back (and what this
    policy reads of them itself)."""
    if window.consulted is None:
        raise DomainRefused(f"consult {cname!r} needs the registry to find {consult.family}")
    other = window.consulted(consult.family, day)
    if other is None:
        raise DomainRefused(f"no {consult.family} version is in force on {day.isoformat()} "
                            f"for consult {cname!r}")
    mine = {f: list(uses.get(f, [])) for f in consult.pass_facts}
    roots = [p.partition(".")[2] for p in consult.expose.values() if p.startswith("derived.")]
    key = (id(other), day if _reads_date(other) else None, cname,
           repr(sorted((f, [(u.kind, repr(u.detail)) for u in us]) for f, us in mine.items())))
    classes = _GROUPS.get(key)
    if classes is None:
        inner = build(other, Window(day, day + dt.timedelta(days=1)), extra=mine, roots=roots,
                      only=consult.pass_facts, rules=outcome_rules(other))
        if inner.refused:
            raise DomainRefused(f"consulted {consult.family} {other.version}: "
                                + "; ".join(inner.refused))
        cp = compiled(other)
        seen: dict[Any, Klass] = {}
        for case in inner.cases():
            full = cp.validate(case.facts)
            result = evaluate(cp, full, day)
            shown = tuple((f, exposed(result, path)) for f, path in consult.expose.items())
            own = tuple(_signature(policy, case.facts.get(f), mine[f]) if f in case.facts
                        else None for f in consult.pass_facts)
            k = (shown, own)
            if k not in seen:
                passed = {f: v for f, v in case.facts.items() if f in consult.pass_facts}
                label = f"{consult.family} gives " + ", ".join(f"{f}={v}" for f, v in shown)
                mine_read = [lbl for lbl in inner.describe(case)
                             if lbl.split(" ")[0].split("=")[0].split(":")[0] in
                             {f for f, us in mine.items() if us}]
                if mine_read:
                    label += " with " + ", ".join(mine_read)
                seen[k] = Klass(label, {**passed, **dict(shown)})
        classes = _GROUPS[key] = list(seen.values())
    raw = 1
    for f in consult.pass_facts:
        r = _raw(policy, policy.inputs[f])
        raw = raw * (r or 1)
    return Dim(f"consult:{cname}", tuple(consult.pass_facts), classes, raw,
               f"{consult.family} {other.version}: distinct exposed values")


def _reads_date(policy: m.Policy) -> bool:
    return DECISION_DATE in reads(policy)


def for_version(registry: Any, family: str, version: str, policy: m.Policy | None = None,
                rules: Sequence[int] | None = None, limit: int | None = None) -> Domain:
    """The reduced domain of a registered version over the dates it is in force."""
    pv = registry.get(family, version)
    return build(policy or pv.policy, registry_window(registry, pv.entry.effective_from,
                                                      pv.entry.effective_to), rules=rules,
                 limit=limit)


def registry_window(registry: Any, start: dt.date | None, end: dt.date | None) -> Window:
    def consulted(family: str, day: dt.date) -> m.Policy | None:
        try:
            return registry.select(family, day).policy  # type: ignore[no-any-return]
        except Exception:
            return None

    def boundaries(family: str) -> list[dt.date]:
        out = []
        for pv in registry.versions(family):
            if pv.entry.status == "approved":
                out.append(pv.entry.effective_from)
                if pv.entry.effective_to is not None:
                    out.append(pv.entry.effective_to)
                # the consulted version's own date tests split this policy's dates
                with contextlib.suppress(DomainRefused):
                    out.extend(_date_cuts(reads(pv.policy).get(DECISION_DATE, []), family))
        return out

    return Window(start, end, consulted, boundaries)
