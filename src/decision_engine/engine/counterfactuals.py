"""Counterfactuals: the single changes to a case's facts that would change its outcome.

Which inputs a panel can act on or dispute comes from the policy, not from this module:
an input's ``counterfactual`` setting, or by default its kind — a yes/no fact (an
admission's evidence, consent), a choice among values (admission), a set (each factor
added or removed). Numbers, dates and lists (age, months, offence histories) are facts,
not choices, unless a policy says otherwise. Inputs the outcome cannot depend on (read
by no rule that indicates or blocks, ``informs_only``) or that only reach it through a
consulted family are left out. An input read here *and* passed to a consulted family
(the pathways check's admission, handed to the gravity matrix) is tried through it: the
consulted family decides again on the changed facts, every value is tried, and the memo
keys on every fact passed.

An input that is only a key into a table (the offence) changes by *band*: the distinct
combinations of the table columns the outcome reads (the offence's base score), each
tried through one row that has it, and described by those columns, never as a specific
row. A set read only through its size (the factor counts) is tried once per direction:
adding any one absent member, removing any one present member.

Every candidate is evaluated with the outcome compiler; one changes nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from decision_engine.compiler.conditions import python_predicate
from decision_engine.compiler.outcome import outcome_program_for
from decision_engine.compiler.program import CompiledPolicy
from decision_engine.compiler.reads import lookup_columns, outcome_reads, reads_past_fixed
from decision_engine.engine.decision import Counterfactual, build
from decision_engine.engine.memo import keep
from decision_engine.errors import DecisionEngineError
from decision_engine.policy import model as m


class Exposes(Protocol):
    """What a change tried through a consult reads of the consulted family's answer: a
    value at a path (a :class:`Decision`, or the lighter ``evaluation.Peek``)."""

    def at(self, path: str) -> Any: ...


Exposer = Callable[[str, Mapping[str, Any], dt.date], Exposes]
"""Decides a consulted family: (family, facts, day) → what it exposes (the engine passes
an ``evaluation.Peeker``; a ``Consulter`` answers as well)."""


@dataclass(frozen=True)
class _Plan:
    name: str
    kind: str  # "bool" | "values" | "band" | "count" | "members"
    domain: tuple[Any, ...] = ()
    columns: tuple[str, ...] = ()
    bands: tuple[tuple[tuple[Any, ...], str], ...] = ()
    """(column values, a row key that has them), in table order."""
    rows: Mapping[str, Mapping[str, Any]] | None = None
    classes: Mapping[Any, tuple[bool, ...]] = field(default_factory=dict)
    """values: each value's results on every comparison the outcome makes with the input,
    when those are all against constants; values with equal results are interchangeable."""
    consults: tuple[str, ...] = ()
    """The consults the input is passed to: a change is tried through them (the consulted
    family decides again on the changed facts, and what it exposes changes with it)."""


def _domain(policy: m.Policy, inp: m.Input) -> tuple[str, ...]:
    return tuple(policy.tables[inp.from_table].rows) if inp.from_table else tuple(inp.values
                                                                                  or ())


def plans(policy: m.Policy) -> list[_Plan]:
    """What to try for each input a panel can act on, worked out once per version."""
    need = outcome_reads(policy)
    out: list[_Plan] = []
    for name, inp in policy.inputs.items():
        actionable = (inp.counterfactual if inp.counterfactual is not None
                      else inp.type in ("bool", "enum", "set"))
        if not actionable or inp.informs_only or name not in need:
            continue
        how = need[name]
        via = tuple(c for c, spec in policy.consults.items() if name in spec.pass_facts)
        if via:  # read here and by a consulted family: every value is tried, through it
            if inp.type == "bool":
                out.append(_Plan(name, "bool", consults=via))
            elif inp.type == "enum":
                out.append(_Plan(name, "values", domain=_domain(policy, inp), consults=via))
            elif inp.type == "set":
                out.append(_Plan(name, "members", domain=_domain(policy, inp), consults=via))
            continue
        if inp.type == "bool":
            out.append(_Plan(name, "bool"))
        elif inp.type == "enum" and inp.from_table and how == {"key"}:
            columns = tuple(lookup_columns(policy, name, set(need)))
            rows = policy.tables[inp.from_table].rows
            bands: dict[tuple[Any, ...], str] = {}
            for key, row in rows.items():
                bands.setdefault(tuple(row[c] for c in columns), key)
            out.append(_Plan(name, "band", columns=columns, bands=tuple(bands.items()),
                             rows=rows))
        elif inp.type == "enum":
            domain = _domain(policy, inp)
            out.append(_Plan(name, "values", domain=domain,
                             classes=_classes(policy, name, domain) if how == {"value"} else {}))
        elif inp.type == "set":
            out.append(_Plan(name, "count" if how == {"count"} else "members",
                             domain=_domain(policy, inp)))
        elif inp.type == "int" and inp.min is not None and inp.max is not None:
            out.append(_Plan(name, "values", domain=tuple(range(inp.min, inp.max + 1))))
    return out


def _classes(policy: m.Policy, name: str, domain: tuple[Any, ...],
             ) -> dict[Any, tuple[bool, ...]]:
    """Each value's results on the comparisons the outcome makes with input *name*, or
    nothing when any of them is not a plain comparison with a constant."""
    tests: list[m.Compare] = []
    need = outcome_reads(policy)
    roots: list[Any] = [r.when for r in policy.rules if r.applies_if_outcome is None
                        and (r.indicate is not None or r.block)]
    roots += [d.expr for n, d in policy.derived.items() if n in need]

    def walk(e: Any) -> bool:
        if isinstance(e, m.FactRef):
            return e.fact != name  # read as a value (copied, looked up): no classes
        if isinstance(e, m.Compare):
            _, other = e.operator()
            if isinstance(other, m.FactRef) and other.fact == name:
                return False
            if e.fact == name:
                op, value = e.operator()
                if op not in ("eq", "ne", "in", "not_in") or isinstance(
                        value, m.FactRef | m.ParamRef):
                    return False
                tests.append(e)
            return True
        if isinstance(e, m.ExprLookup) and isinstance(e.lookup.key, m.FactRef) and (
                e.lookup.key.fact == name):
            return False
        if isinstance(e, BaseModel):
            return all(walk(v) for v in e.__dict__.values())
        if isinstance(e, list):
            return all(walk(v) for v in e)
        return True

    if not all(walk(root) for root in roots):
        return {}
    checks = [python_predicate(t, policy.parameters) for t in tests]
    return {v: tuple(c({name: v}) for c in checks) for v in domain}


_MEMO_SIZE = 4096
"""Distinct reduced cases remembered per version (the gravity matrix has ~4,000)."""

Entry = tuple[int, str, Any, str]
"""(plan index, change, what was tried, outcome it gives)."""


class Counterfactuals:
    """Per compiled version: the plans, the outcome program they run on, and a memo.

    The memo is keyed by the case *reduced* to what the outcome can tell apart: a
    count-only set by its size, a table key by its band, an enum read only through
    comparisons with constants by its results on them, everything else the outcome
    reads by its value (and the date when a derived fact reads it), a derived fact no
    change tried can move by its value in place of what it reads, and the versions it
    consulted. Cases with the same key give the same outcome under every change tried
    here, so the search runs once per reduced case; the descriptions are always built
    from the case's own values.
    """

    def __init__(self, cp: CompiledPolicy) -> None:
        self.plans = plans(cp.policy)
        self.run: Callable[[Mapping[str, Any], str, dt.date, str, Any], str] = (
            outcome_program_for(cp)._outcome_with)
        planned = {p.name for p in self.plans}
        # Derived facts no change tried here can move key by their values instead of by
        # what they read; not through a consult (a change tried through one moves what
        # it exposes, which this analysis does not follow).
        need, self.fixed = ((outcome_reads(cp.policy), ()) if cp.policy.consults
                            else reads_past_fixed(cp.policy, planned))
        given = set(cp.policy.inputs) | {f for c in cp.policy.consults.values()
                                          for f in c.expose}
        # a change tried through a consult depends on every fact passed to it
        passed = {f for p in self.plans for c in p.consults
                  for f in cp.policy.consults[c].pass_facts}
        self.others = tuple(sorted(n for n in given | passed
                                   if (n in need or n in passed) and n not in planned))
        self.policy = cp.policy
        self.outcome_of: Callable[[Mapping[str, Any], str, dt.date], str] = (
            outcome_program_for(cp)._outcome)
        self.dated = "decision_date" in need
        self._names = tuple(p.name for p in self.plans)
        self.memo: dict[tuple[Any, ...], list[Entry]] = {}
        self.described: dict[tuple[Entry, Any], Counterfactual] = {}
        self.key = self._key_program()

    def _key_program(self) -> Callable[[Mapping[str, Any], dt.date, str, Mapping[str, Any]],
                                       tuple[Any, ...]]:
        """The memo key of a case (see the class docstring) as one generated expression
        per plan: a count-only set by its size, a table key by its band's column values,
        an enum by its class, any other fact by its value (a list or object by its repr).
        Names reach the source only as ``repr`` literals; tables and classes as constants."""
        namespace: dict[str, Any] = {}
        parts = ["outcome", "on" if self.dated else "None"]
        for i, p in enumerate(self.plans):
            v = f"get({p.name!r})"
            if p.kind == "values" and p.classes:
                namespace[f"C{i}"] = p.classes
                parts.append(f"C{i}.get(v{i} := {v}, v{i})")
            elif p.kind == "band":
                if p.rows is None:
                    parts.append("None")
                    continue
                namespace[f"R{i}"] = p.rows
                row = f"R{i}[v{i}]"
                band = "".join(f"{row}[{c!r}], " for c in p.columns)
                parts.append(f"(None if (v{i} := {v}) is None else ({band}))" if p.columns
                             else f"(None if (v{i} := {v}) is None else ({row}, ())[1])")
            elif p.kind == "count":
                parts.append(f"len({v} or ())")
            elif p.kind == "members":
                parts.append(f"tuple({v} or ())")
            else:
                parts.append(v)
        for name in self.others:
            parts.append(f"(repr(v) if isinstance(v := get({name!r}), list | dict) else v)")
        for name in self.fixed:
            parts.append(f"(repr(v) if isinstance(v := derived.get({name!r}), list | dict) "
                         "else v)")
        source = ("def key(facts, on, outcome, derived):\n    get = facts.get\n"
                  f"    return ({', '.join(parts)},)\n")
        exec(compile(source, f"<counterfactual key {self.policy.family}@"
                             f"{self.policy.version}>", "exec"), namespace)
        key: Callable[[Mapping[str, Any], dt.date, str, Mapping[str, Any]],
                      tuple[Any, ...]] = namespace["key"]
        return key

    def find(self, facts: Mapping[str, Any], derived: Mapping[str, Any], on: dt.date,
             outcome: str, consult: Exposer | None = None,
             consulted: tuple[str, ...] = ()) -> list[Counterfactual]:
        """Each single change to *facts* (validated inputs and consulted facts) that
        gives another outcome than *outcome*, with the outcome it gives. *consult*
        decides a consulted family (as the evaluation does); without it, inputs passed
        to a consulted family are not tried. *consulted* names the versions it decides
        with (``family@version``, as the decision's provenance does): a change tried
        through a consult answers by that version's rules, so they are part of the memo
        key (replay pins a recorded decision's consulted version, and two versions can
        agree on a case yet not on a change to it). *derived* holds the case's derived
        facts (the memo keys on the fixed ones)."""
        key = self.key(facts, on, outcome, derived)
        if consulted:  # (a decision consulted only if it had a consult to ask)
            key = (*key, *consulted)
        entries = self.memo.get(key)
        if entries is None:
            entries = keep(self.memo, key, self.search(facts, on, outcome, consult),
                           _MEMO_SIZE)
        out = []
        described = self.described
        names = self._names
        for entry in entries:
            current = facts.get(names[entry[0]])
            known = (entry, tuple(current) if isinstance(current, list) else current)
            held = described.get(known)
            if held is None:
                held = keep(described, known, self.describe(current, entry), _MEMO_SIZE)
            out.append(held)
        return out

    def describe(self, current: Any, entry: Entry) -> Counterfactual:
        """An entry in words-as-data, from the changed input's own current value (a
        decision shares these immutable objects, as it shares reasons' sources)."""
        index, change, tried, other = entry
        p = self.plans[index]
        value: Any = tried
        if p.kind == "band":
            assert p.rows is not None
            row = p.rows[str(current)]
            current = {c: row[c] for c in p.columns}
            value = dict(zip(p.columns, tried, strict=True))
        elif p.kind == "count":
            current = list(current or ())
            value = (current if change == "remove"
                     else [v for v in p.domain if v not in current])
        elif p.kind == "members":
            current = list(current or ())
            value = [tried]
        return build(Counterfactual, input=p.name, change=change, current=current,
                     value=value, outcome=other)

    def through(self, plan: _Plan, facts: Mapping[str, Any], day: str, on: dt.date,
                value: Any, consult: Exposer) -> str | None:
        """The outcome if *plan*'s input were *value*, the consulted families deciding
        again on the changed facts; None when one of them refuses the value."""
        changed = {**facts, plan.name: value}
        for cname in plan.consults:
            spec = self.policy.consults[cname]
            try:
                other = consult(spec.family, {k: changed[k] for k in spec.pass_facts
                                              if k in changed}, on)
            except DecisionEngineError:
                return None
            for fact, path in spec.expose.items():
                changed[fact] = other.at(path)
        return self.outcome_of(changed, day, on)

    def search(self, facts: Mapping[str, Any], on: dt.date, outcome: str,
               consult: Exposer | None = None) -> list[Entry]:
        """Try every single change; keep those that give another outcome."""
        day = on.isoformat()
        run = self.run
        found: list[Entry] = []
        for index, p in enumerate(self.plans):
            name = p.name
            current = facts.get(name)
            if p.consults and consult is None:
                continue

            def attempt(change: str, tried: Any, value: Any) -> None:
                if p.consults:  # noqa: B023 (called at once)
                    assert consult is not None
                    other = self.through(p, facts, day, on, value, consult)  # noqa: B023
                    if other is None:
                        return
                else:
                    other = run(facts, day, on, name, value)  # noqa: B023
                if other != outcome:
                    found.append((index, change, tried, other))  # noqa: B023

            if p.kind == "bool":
                for v in ((True, False) if current is None else (not current,)):
                    attempt("set", v, v)
            elif p.kind == "values":
                mine = p.classes.get(current)
                for v in p.domain:
                    if v != current and (mine is None or p.classes[v] != mine):
                        attempt("set", v, v)  # (equal classes are read alike)
            elif p.kind == "band":
                if current is None or p.rows is None:
                    continue
                mine = tuple(p.rows[current][c] for c in p.columns)
                for band, row_key in p.bands:
                    if band != mine:
                        attempt("band", band, row_key)
            else:
                present = list(current or ())
                absent = [v for v in p.domain if v not in present]
                if p.kind == "count":
                    if absent:
                        attempt("add", None, [*present, absent[0]])
                    if present:
                        attempt("remove", None, present[1:])
                else:
                    for v in p.domain:
                        if v in present:
                            attempt("remove", v, [x for x in present if x != v])
                        else:
                            attempt("add", v, sorted([*present, v]))
        return found


def counterfactuals(cp: CompiledPolicy) -> Counterfactuals:
    held = cp.memo.get("counterfactuals")
    if held is None:
        held = cp.memo["counterfactuals"] = Counterfactuals(cp)
    assert isinstance(held, Counterfactuals)
    return held
