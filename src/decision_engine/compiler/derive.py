"""Derived facts (and outputs) as one generated function per policy version, provenance
included.

The expression closures (``expressions.ExpressionCompiler``) stay the definition: this
function does what their loop does — each derived fact in declaration order, written to
the context's facts, every table row and parameter it reads noted in the context in the
order the closures note them — as straight-line code, without a call per node or a copy
of the facts per condition. Conditions reuse the outcome compiler's source (the
semantics of ``conditions.python_predicate``). An expression it has no inline form for
(``select``, ``count`` with ``where``, ``add_working_days``) runs its own closure on the
context, which is kept current, so mixing the two is exact.

Every operation runs in the closures' order (``0 + a + b`` adds before ``b`` is read;
``clamp`` reads min, max, then value), so an error is the same error at the same point;
``min``/``max`` are written as the comparisons the builtins make (``min(a, b)`` is ``b if
b < a else a``), one call fewer each.
``tests/test_derive_program.py`` checks values, types, notes and errors against the
closures for every bundled version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from decision_engine.compiler.conditions import params_read
from decision_engine.compiler.expressions import Context, ExpressionCompiler, months_before_iso
from decision_engine.compiler.outcome import SourceGenerator
from decision_engine.compiler.reads import reads
from decision_engine.policy import model as m

Derive = Callable[[Context], dict[str, Any]]
Outputs = Callable[[Context, dict[str, Any]], None]


def _missing(table: str, key: str) -> None:
    raise LookupError(f"table {table!r} has no row {key!r}")


class _DeriveSource(SourceGenerator):
    def __init__(self, policy: m.Policy) -> None:
        super().__init__(policy)
        self.closures = ExpressionCompiler(policy)
        self.lines: list[str] = []
        self.pad = "    "
        self.temps = 0
        self.noted: set[str] = set()
        """Parameters noted unconditionally so far (a later note of one is a no-op)."""
        self.rows: dict[tuple[str, str], tuple[str, str]] = {}
        """(table, key source) → (key, row) locals, for lookups made unconditionally."""
        self.branch = 0
        self.known: set[str] = set()

    def emit(self, line: str) -> None:
        self.lines.append(self.pad + line)

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def closure(self, e: Any) -> str:
        name = self.const(self.closures.compile(e))
        out = self.temp()
        self.emit(f"{out} = {name}(ctx)")
        return out

    def note_params(self, names: list[str]) -> None:
        for p in names:
            if p not in self.noted:
                self.emit(f"if {p!r} not in params: params.append({p!r})")
                if not self.branch:
                    self.noted.add(p)

    def value(self, e: Any) -> str:
        """Statements computing *e* (in the closures' order); the local or literal
        holding its value."""
        p = self.policy
        if isinstance(e, bool | int | str):
            return self.const(e)
        if isinstance(e, m.FactRef):
            return self.fact(e.fact, self.known, derived_scope=True)
        if isinstance(e, m.ParamRef):
            self.note_params([e.param])
            return self.const(p.parameters[e.param].value)
        if isinstance(e, m.ExprAdd):  # sum(): 0 + a, then + b, …
            out = self.temp()
            self.emit(f"{out} = 0 + {self.value(e.add[0])}")
            for part in e.add[1:]:
                self.emit(f"{out} = {out} + {self.value(part)}")
            return out
        if isinstance(e, m.ExprSub):
            a, b = self.value(e.sub[0]), self.value(e.sub[1])
            out = self.temp()
            self.emit(f"{out} = {a} - {b}")
            return out
        if isinstance(e, m.ExprMin | m.ExprMax):  # min(a, b) or min() over a generator
            op, parts = ("<", e.min) if isinstance(e, m.ExprMin) else (">", e.max)
            out = self.temp()
            self.emit(f"{out} = {self.value(parts[0])}")
            for part in parts[1:]:
                x = self.value(part)
                self.emit(f"if {x} {op} {out}: {out} = {x}")
            return out
        if isinstance(e, m.ExprClamp):  # max(lo, min(hi, v))
            lo, hi, v = (self.value(getattr(e.clamp, k)) for k in ("min", "max", "value"))
            out = self.temp()
            self.emit(f"{out} = {v} if {v} < {hi} else {hi}")
            self.emit(f"if not {out} > {lo}: {out} = {lo}")
            return out
        if isinstance(e, m.ExprLookup):
            return self.lookup(e.lookup)
        if isinstance(e, m.ExprIf):
            self.note_params(params_read(e.if_.when))
            out = self.temp()
            self.emit(f"if {self.cond(e.if_.when, self.known, derived_scope=True)}:")
            for i, branch in enumerate((e.if_.then, e.if_.else_)):
                if i:
                    self.emit("else:")
                self.branch += 1
                outer, self.pad = self.pad, self.pad + "    "
                self.emit(f"{out} = {self.value(branch)}")
                self.pad = outer
                self.branch -= 1
            return out
        if isinstance(e, m.ExprCondition):
            self.note_params(params_read(e.holds))
            out = self.temp()
            self.emit(f"{out} = bool({self.cond(e.holds, self.known, derived_scope=True)})")
            return out
        if isinstance(e, m.ExprCount) and e.count.where is None:
            out = self.temp()
            self.emit(f"{out} = len({self.fact(e.count.of, self.known, True)} or [])")
            return out
        if isinstance(e, m.ExprMonthsBefore):
            months = self.value(e.months_before_decision.months)
            out = self.temp()
            self.emit(f"{out} = _months_before_iso(_date, int({months}))")
            return out
        return self.closure(e)

    def lookup(self, lk: m.Lookup) -> str:
        key_source = self.value(lk.key)
        table = lk.table
        held = self.rows.get((table, key_source))  # made unconditionally before
        if held is None:
            key, row = self.temp(), self.temp()
            rows = self.const(self.policy.tables[table].rows)
            self.emit(f"{key} = str({key_source})")
            self.emit(f"{row} = {rows}.get({key})")
            self.emit(f"if {row} is None: _missing({table!r}, {key})")
            self.emit(f"if ({table!r}, {key}) not in lookups: lookups.append(({table!r}, {key}))")
            held = (key, row)
            if not self.branch:
                self.rows[(table, key_source)] = held
        out = self.temp()
        self.emit(f"{out} = {held[1]}[{lk.column!r}]")
        return out

    def source(self, fn: str, items: Mapping[str, Any], into: str | None = None) -> str:
        """``def fn(ctx)`` computing *items* (name → expression) in order, each written to
        ``ctx.facts`` and returned in a dict; with *into*, ``def fn(ctx, into)`` writes
        each to the dict *into* as well and returns nothing. Every fact an expression
        reads is read once up front (what the closures would read before it is computed:
        absent, or what the facts already hold)."""
        read: dict[str, set[str]] = {}
        for e in items.values():
            reads(e, read)
        head = [f"def {fn}(ctx{', ' + into if into else ''}):", "    facts = ctx.facts",
                "    lookups = ctx.lookups", "    params = ctx.params",
                "    _date = ctx.decision_date"]
        if "decision_date" in read:
            head.append("    _day = _date.isoformat()")
        for name in sorted(set(read) - {"decision_date"}):
            head.append(f"    v_{name} = facts.get({name!r})")
            self.known.add(name)
        for name, e in items.items():
            self.emit(f"# {name}")
            result = self.value(e)
            also = f"{into}[{name!r}] = " if into else ""
            self.emit(f"v_{name} = facts[{name!r}] = {also}{result}")
            self.known.add(name)
            self.rows = {k: v for k, v in self.rows.items() if k[1] != f"v_{name}"}
        if into:
            return "\n".join([*head, *self.lines]) + "\n"
        out = ", ".join(f"{name!r}: v_{name}" for name in items)
        return "\n".join([*head, *self.lines, f"    return {{{out}}}"]) + "\n"


def _program(policy: m.Policy, fn: str, items: Mapping[str, Any], into: str | None,
             ) -> tuple[Any, str]:
    gen = _DeriveSource(policy)
    source = gen.source(fn, items, into)
    namespace: dict[str, Any] = {**gen.consts, "_missing": _missing,
                                 "_months_before_iso": months_before_iso}
    exec(compile(source, f"<{fn} {policy.family}@{policy.version}>", "exec"), namespace)
    return namespace[fn], source


def derive_program(policy: m.Policy) -> tuple[Derive, str]:
    """The function computing *policy*'s derived facts on a context (it writes each
    to ``ctx.facts`` and returns them in declaration order), and its source."""
    derive, source = _program(policy, "derive",
                              {n: d.expr for n, d in policy.derived.items()}, None)
    return derive, source


def outputs_program(policy: m.Policy) -> tuple[Outputs, str]:
    """The function computing *policy*'s outputs on a context whose facts hold the
    decision's facts, the outputs its rules set and its outcome: each is written to the
    facts and to the dict it is given, in declaration order. And its source."""
    compute, source = _program(policy, "outputs",
                               {n: d.expr for n, d in policy.outputs.items()}, "out")
    return compute, source
