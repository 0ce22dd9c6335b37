"""Semantic checks a schema cannot express, each reported at its file:line:column.

Names resolve; values fit declared domains; every cited document exists; informational
inputs stay out of rules; and no protected characteristic can become a rule input.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator
from typing import Any

from decision_engine.errors import PolicyError, PolicyErrors
from decision_engine.policy import model as m
from decision_engine.policy.loader import locate

# Equality Act 2010 protected characteristics (and common spellings). A rule may never
# read one; they may only be recorded under `monitoring` for disproportionality reports.
PROTECTED_CHARACTERISTICS = frozenset({
    "age_group_protected", "disability", "disabled", "ethnicity", "ethnic", "ethnic_group",
    "ethnic_origin", "race", "racial", "colour", "nationality", "national_origin", "sex",
    "gender", "gender_identity", "gender_reassignment", "transgender", "religion",
    "religious", "belief", "religion_or_belief", "sexual_orientation", "sexuality",
    "pregnancy", "maternity", "marriage", "civil_partnership", "marital_status",
})

RESERVED_FACTS = frozenset({"outcome", "decision_date"})

# Words that name an ethnic group, a sex or a religion. An enum or set whose values use
# them is a protected characteristic under another name (``heritage: [black_caribbean,
# white_british, …]``) and is refused like one. Only whole words of a value count.
PROTECTED_VALUE_WORDS = frozenset({
    # ethnic groups (ONS 2021 categories and common spellings)
    "white", "black", "asian", "mixed", "caribbean", "african", "pakistani", "bangladeshi",
    "indian", "chinese", "gypsy", "roma", "traveller", "irish", "arab", "latino", "latina",
    "hispanic", "british", "ethnic", "bame", "bme",
    # sexes
    "male", "female", "man", "woman", "men", "women", "boy", "girl", "intersex",
    "nonbinary", "non_binary",
    # religions
    "christian", "muslim", "islam", "islamic", "hindu", "sikh", "buddhist", "jewish", "jew",
    "catholic", "protestant", "atheist", "agnostic", "rastafarian", "no_religion",
})


def protected_values(values: list[str]) -> list[str]:
    """Values that name an ethnic group, sex or religion; two or more make the input a
    proxy for a protected characteristic (one alone is too weak a signal: `irish` can
    be a place)."""
    hits = []
    for value in values:
        tokens = value.lower().split("_")
        pairs = {"_".join(tokens[i:i + 2]) for i in range(len(tokens) - 1)}
        if PROTECTED_VALUE_WORDS & (set(tokens) | pairs):
            hits.append(value)
    return hits if len(hits) >= 2 else []


def protected_token(name: str) -> str | None:
    """The protected characteristic a name refers to, if any (whole words only)."""
    tokens = name.split("_")
    for size in (3, 2, 1):
        for start in range(len(tokens) - size + 1):
            word = "_".join(tokens[start : start + size])
            if word in PROTECTED_CHARACTERISTICS:
                return word
    return None


Path = tuple[Any, ...]


class _Checker:
    def __init__(self, policy: m.Policy, root: Any, file: str) -> None:
        self.p = policy
        self.root = root
        self.file = file
        self.errors: list[PolicyError] = []
        self.fact_kinds: dict[str, m.Input | None] = {}  # None: a derived fact
        self.output_scope: dict[str, m.ItemField] = {}
        self.calendars: set[str] = set()

    def error(self, path: Path, code: str, message: str) -> None:
        self.errors.append(PolicyError(locate(self.root, path, self.file), code, message))

    # -- entry --------------------------------------------------------------------

    def run(self) -> list[PolicyError]:
        p = self.p
        self.check_sources()
        for name in p.monitoring:
            if name in p.inputs:
                self.error(("monitoring",), "protected-input",
                           f"{name!r} is recorded for monitoring and cannot also be an input")
        for name, inp in p.inputs.items():
            self.check_input(name, inp)
            self.fact_kinds[name] = inp
        for name, param in p.parameters.items():
            if protected_token(name):
                self.protected(("parameters", name), name)
            del param
        for name, table in p.tables.items():
            self.check_table(name, table)
        for cname, consult in p.consults.items():
            for fact in consult.pass_facts:
                if fact not in p.inputs:
                    self.error(("consults", cname, "pass_facts"), "unknown-fact",
                               f"{fact!r} is not an input of this policy")
            for name in consult.expose:
                if name in self.fact_kinds:
                    self.error(("consults", cname, "expose", name), "duplicate-name",
                               f"exposed fact {name!r} hides an input")
                if protected_token(name):
                    self.protected(("consults", cname, "expose", name), name)
                self.fact_kinds[name] = None
        seen_outputs: set[str] = set()
        for name, derived in p.derived.items():
            path = ("derived", name)
            if name in p.inputs or name in RESERVED_FACTS:
                self.error(path, "duplicate-name", f"derived fact {name!r} hides an input")
            if protected_token(name):
                self.protected(path, name)
            self.check_expr(derived.expr, (*path, "expr"), allow_outcome=False)
            self.fact_kinds[name] = None
        # outputs may read the outcome, values set by rules and earlier outputs
        self.output_scope = {
            "outcome": m.ItemField(type="enum", values=list(p.outcomes))}
        for rule in p.rules:
            for key, value in rule.set.items():
                self.output_scope[key] = m.ItemField(
                    type="bool" if isinstance(value, bool) else
                    "int" if isinstance(value, int) else "enum",
                    values=None if isinstance(value, bool | int) else sorted(
                        {str(v) for r in p.rules for k, v in r.set.items() if k == key}),
                    min=-(2**31), max=2**31)
        for name, out in p.outputs.items():
            path = ("outputs", name)
            self.check_expr(out.expr, (*path, "expr"), allow_outcome=True)
            seen_outputs.add(name)
            self.output_scope.setdefault(name, m.ItemField(type="int", min=-(2**31),
                                                           max=2**31))
        self.check_resolution()
        ids: set[str] = set()
        for i, rule in enumerate(p.rules):
            self.check_rule(rule, ("rules", i), ids)
        return self.errors

    def protected(self, path: Path, name: str) -> None:
        word = protected_token(name)
        self.error(path, "protected-characteristic",
                   f"{name!r} names a protected characteristic ({word}); it may be recorded "
                   "under `monitoring` for disproportionality reports but never be a rule input")

    # -- declarations -----------------------------------------------------------------

    def check_sources(self) -> None:
        for path, source in self.walk_sources():
            if source.document not in self.p.documents:
                known = ", ".join(sorted(self.p.documents))
                self.error((*path, "document"), "unknown-document",
                           f"source document {source.document!r} is not declared under "
                           f"`documents` (declared: {known})")

    def walk_sources(self) -> Iterator[tuple[Path, m.Source]]:
        for name, param in self.p.parameters.items():
            yield ("parameters", name, "source"), param.source
        for i, rule in enumerate(self.p.rules):
            yield ("rules", i, "source"), rule.source
        for tname, table in self.p.tables.items():
            for key, row in table.rows.items():
                src = row.get("source")
                if isinstance(src, dict) and isinstance(src.get("document"), str):
                    yield ("tables", tname, "rows", key, "source"), m.Source.model_validate(
                        {"document": src["document"], "section": str(src.get("section") or "?")}
                    )

    def check_input(self, name: str, inp: m.Input) -> None:
        path = ("inputs", name)
        if protected_token(name):
            self.protected(path, name)
        if name in RESERVED_FACTS:
            self.error(path, "reserved-name", f"{name!r} is reserved")
        values = self.domain_values(inp, path)
        for value in values or []:
            if protected_token(value):
                self.protected(path, value)
        proxies = protected_values(list(values or []))
        if proxies:
            self.error(path, "protected-characteristic-proxy",
                       f"input {name!r} has values that name ethnic groups, sexes or religions "
                       f"({', '.join(proxies[:4])}): it is a protected characteristic under "
                       "another name; record it under `monitoring`, never as a rule input")
        if inp.type in ("enum", "set") and values is None:
            self.error(path, "no-domain", f"{inp.type} input {name!r} needs `values` or "
                       "`from_table`: every input has a finite declared domain")
        if inp.type == "int" and (inp.min is None or inp.max is None):
            self.error(path, "no-domain", f"int input {name!r} needs `min` and `max`")
        if inp.type == "list":
            if not inp.items or inp.max_items is None:
                self.error(path, "no-domain", f"list input {name!r} needs `items` and `max_items`")
            for fname, field in (inp.items or {}).items():
                if field.type == "enum" and not (field.values or field.from_table):
                    self.error((*path, "items", fname), "no-domain",
                               f"enum field {fname!r} needs `values` or `from_table`")
                if field.type == "int" and (field.min is None or field.max is None):
                    self.error((*path, "items", fname), "no-domain",
                               f"int field {fname!r} needs `min` and `max`")
        if inp.default is not None:
            self.check_value(inp, inp.default, (*path, "default"))

    def domain_values(self, inp: m.Input, path: Path) -> list[str] | None:
        if inp.from_table is not None:
            table = self.p.tables.get(inp.from_table)
            if table is None:
                self.error((*path, "from_table"), "unknown-table",
                           f"table {inp.from_table!r} is not declared")
                return None
            return list(table.rows)
        return inp.values

    def check_value(self, inp: m.Input, value: Any, path: Path) -> None:
        values = self.domain_values(inp, ("inputs",))
        ok = True
        if inp.type == "bool":
            ok = isinstance(value, bool)
        elif inp.type == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
            ok = ok and (inp.min is None or value >= inp.min) and (
                inp.max is None or value <= inp.max)
        elif inp.type == "enum":
            ok = values is not None and value in values
        elif inp.type in ("set", "list"):
            ok = isinstance(value, list) and (
                inp.type == "list" or values is None or all(v in values for v in value))
        if not ok:
            self.error(path, "out-of-domain", f"{value!r} is outside the declared domain")

    def check_table(self, name: str, table: m.Table) -> None:
        for key, row in table.rows.items():
            path = ("tables", name, "rows", key)
            for col, kind in table.columns.items():
                if col not in row:
                    self.error(path, "missing-column", f"row {key!r} has no {col!r}")
                    continue
                value = row[col]
                want = {"bool": bool, "int": int, "str": str}[kind]
                if not isinstance(value, want) or (kind == "int" and isinstance(value, bool)):
                    self.error((*path, col), "bad-cell", f"{col} must be {kind}, got {value!r}")
            for extra in set(row) - set(table.columns) - {"source", "verified", "note"}:
                self.error((*path, extra), "unknown-column",
                           f"{extra!r} is not a declared column of table {name!r}")
            src = row.get("source")
            if not (isinstance(src, dict) and src.get("document") and src.get("section")):
                self.error(path, "missing-source",
                           f"row {key!r} needs `source: {{document, section}}`")
            if not isinstance(row.get("verified"), bool):
                self.error(path, "missing-verified",
                           f"row {key!r} needs `verified: true|false`")

    def check_resolution(self) -> None:
        if self.p.resolution.default not in self.p.outcomes:
            self.error(("resolution", "default"), "unknown-outcome",
                       f"{self.p.resolution.default!r} is not one of outcomes")

    # -- rules, conditions, expressions -------------------------------------------------------

    def check_rule(self, rule: m.Rule, path: Path, ids: set[str]) -> None:
        if rule.id in ids:
            self.error((*path, "id"), "duplicate-rule", f"rule id {rule.id!r} is used twice")
        ids.add(rule.id)
        outcomes = set(self.p.outcomes)
        for key, values in (("indicate", [rule.indicate] if rule.indicate else []),
                            ("block", rule.block),
                            ("applies_if_outcome", rule.applies_if_outcome or [])):
            for value in values:
                if value not in outcomes:
                    self.error((*path, key), "unknown-outcome",
                               f"{value!r} is not one of outcomes {self.p.outcomes}")
        if rule.applies_if_outcome is not None and (rule.indicate or rule.block):
            self.error(path, "circular-rule", f"rule {rule.id!r} depends on the resolved outcome "
                       "(applies_if_outcome) so it cannot indicate or block outcomes")
        if not (rule.indicate or rule.block or rule.set or rule.flag or rule.warn
                or rule.variant):
            self.error(path, "no-effect", f"rule {rule.id!r} has no effect "
                       "(indicate, block, set, flag, warn or variant)")
        self.check_condition(rule.when, (*path, "when"), item=None, in_rule=True)
        self.check_template(rule.reason, (*path, "reason"))

    def check_template(self, template: str, path: Path) -> None:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        except ValueError as exc:
            self.error(path, "bad-template", str(exc))
            return
        known = set(self.fact_kinds) | set(self.p.parameters) | RESERVED_FACTS
        for name in fields:
            if name not in known:
                self.error(path, "unknown-name", f"reason template names {{{name}}}, which is "
                           "not a fact, derived fact or parameter")

    def fact(self, name: str, path: Path, item: dict[str, m.ItemField] | None) -> Any:
        """The declaration behind a name read in a condition (or None if unknown)."""
        if name == "decision_date" and item is not None:
            return "derived"
        if item is not None:
            if name in item:
                return item[name]
            if name in self.fact_kinds:
                return self.fact_kinds[name]
        elif name in self.fact_kinds:
            inp = self.fact_kinds[name]
            if inp is not None and inp.informs_only:
                self.error(path, "informs-only",
                           f"{name!r} is declared informs_only (e.g. previous disposals must "
                           "not mechanically raise an outcome); no rule may read it")
            return inp if inp is not None else "derived"
        if name in self.p.monitoring or protected_token(name):
            self.protected(path, name)
            return None
        self.error(path, "unknown-fact", f"{name!r} is not an input or derived fact")
        return None

    def check_condition(self, cond: Any, path: Path, item: dict[str, m.ItemField] | None,
                        in_rule: bool = False) -> None:
        if isinstance(cond, m.AllOf):
            for i, c in enumerate(cond.all):
                self.check_condition(c, (*path, "all", i), item, in_rule)
        elif isinstance(cond, m.AnyOf):
            for i, c in enumerate(cond.any):
                self.check_condition(c, (*path, "any", i), item, in_rule)
        elif isinstance(cond, m.Not):
            self.check_condition(cond.not_, (*path, "not"), item, in_rule)
        elif isinstance(cond, m.Compare):
            self.check_compare(cond, path, item, in_rule)

    def check_compare(self, cond: m.Compare, path: Path,
                      item: dict[str, m.ItemField] | None, in_rule: bool = False) -> None:
        try:
            op, value = cond.operator()
        except ValueError as exc:
            self.error(path, "bad-comparison", str(exc))
            return
        decl = self.fact(cond.fact, (*path, "fact"), item)
        if isinstance(value, m.FactRef):
            if in_rule:
                self.error((*path, op), "fact-comparison",
                           "a rule compares facts with constants or parameters; compare two "
                           "facts in a derived fact ({holds: ...}) and test that instead")
            elif value.fact != "decision_date":
                self.fact(value.fact, (*path, op), item)
            return
        if decl is None:
            return
        if isinstance(value, m.ParamRef):
            if value.param not in self.p.parameters:
                self.error((*path, op), "unknown-parameter", f"{value.param!r} is not declared")
                return
            value = self.p.parameters[value.param].value
        if decl == "derived":
            return
        kind = decl.type
        if op == "given":
            if not getattr(decl, "optional", False):
                self.error((*path, op), "not-optional",
                           f"{cond.fact!r} is always present; `given` needs `optional: true`")
            return
        if op == "has":
            if kind != "set":
                self.error((*path, op), "bad-operator", f"`has` needs a set fact; {cond.fact!r} "
                           f"is {kind}")
            elif value not in (self.domain_values(decl, ()) or []):
                self.error((*path, op), "out-of-domain",
                           f"{value!r} is not a declared value of {cond.fact!r}")
            return
        if kind in ("set", "list"):
            self.error((*path, op), "bad-operator", f"{cond.fact!r} is a {kind}; use `has` or a "
                       "derived count")
            return
        if op in ("lt", "le", "gt", "ge") and kind not in ("int", "date"):
            self.error((*path, op), "bad-operator", f"`{op}` needs a number; {cond.fact!r} "
                       f"is {kind}")
        if kind == "enum":
            allowed = (decl.values or []) if isinstance(decl, m.ItemField) else (
                self.domain_values(decl, ()) or [])
            if isinstance(decl, m.ItemField) and decl.from_table:
                allowed = list(self.p.tables.get(decl.from_table, m.Table(
                    columns={}, rows={"_": {}})).rows)
            for v in value if isinstance(value, list) else [value]:
                if v not in allowed:
                    self.error((*path, op), "out-of-domain",
                               f"{v!r} is not a declared value of {cond.fact!r}")

    def check_expr(self, expr: Any, path: Path, allow_outcome: bool) -> None:
        scope: dict[str, m.ItemField] = self.output_scope if allow_outcome else {}
        if isinstance(expr, m.FactRef):
            if expr.fact in scope:
                return
            if expr.fact == "decision_date":
                return
            self.fact(expr.fact, path, None)
        elif isinstance(expr, m.ParamRef):
            if expr.param not in self.p.parameters:
                self.error(path, "unknown-parameter", f"{expr.param!r} is not declared")
        elif isinstance(expr, m.ExprLookup):
            lk = expr.lookup
            table = self.p.tables.get(lk.table)
            if table is None:
                self.error((*path, "lookup", "table"), "unknown-table",
                           f"table {lk.table!r} is not declared")
            elif lk.column not in table.columns:
                self.error((*path, "lookup", "column"), "unknown-column",
                           f"table {lk.table!r} has no column {lk.column!r}")
            self.check_expr(lk.key, (*path, "lookup", "key"), allow_outcome)
        elif isinstance(expr, m.ExprCount | m.ExprSelect):
            spec = expr.count if isinstance(expr, m.ExprCount) else expr.select
            key = "count" if isinstance(expr, m.ExprCount) else "select"
            decl = self.fact(spec.of, (*path, key, "of"), None)
            if isinstance(decl, m.Input):
                if decl.type == "list":
                    if spec.where is not None:
                        self.check_condition(spec.where, (*path, key, "where"), decl.items or {})
                elif decl.type == "set" and spec.where is None and key == "count":
                    pass
                else:
                    self.error((*path, key, "of"), "bad-operator",
                               f"`{key}` needs a list (or, to count, a set) fact")
        elif isinstance(expr, m.ExprCondition):
            self.check_condition(expr.holds, (*path, "holds"), scope)
        elif isinstance(expr, m.ExprIf):
            self.check_condition(expr.if_.when, (*path, "if", "when"), scope)
            self.check_expr(expr.if_.then, (*path, "if", "then"), allow_outcome)
            self.check_expr(expr.if_.else_, (*path, "if", "else"), allow_outcome)
        elif isinstance(expr, m.ExprClamp):
            for key in ("value", "min", "max"):
                self.check_expr(getattr(expr.clamp, key), (*path, "clamp", key), allow_outcome)
        elif isinstance(expr, m.ExprMonthsBefore):
            self.check_expr(expr.months_before_decision.months,
                            (*path, "months_before_decision", "months"), allow_outcome)
        elif isinstance(expr, m.ExprAddWorkingDays):
            self.check_working_days(expr.add_working_days, (*path, "add_working_days"),
                                    allow_outcome)
        elif isinstance(expr, m.ExprAdd | m.ExprSub | m.ExprMin | m.ExprMax):
            key = type(expr).__name__[4:].lower()
            for i, sub in enumerate(getattr(expr, key)):
                self.check_expr(sub, (*path, key, i), allow_outcome)

    def check_working_days(self, wd: m.WorkingDays, path: Path, allow_outcome: bool) -> None:
        self.check_expr(wd.date, (*path, "date"), allow_outcome)
        if isinstance(wd.date, m.FactRef):
            start = self.p.inputs.get(wd.date.fact)
            if start is not None and start.type != "date":
                self.error((*path, "date"), "bad-operator", f"`add_working_days` counts from "
                           f"a date; {wd.date.fact!r} is {start.type}")
        days: Any = wd.days
        if isinstance(days, m.ParamRef):
            param = self.p.parameters.get(days.param)
            if param is None:
                self.error((*path, "days"), "unknown-parameter", f"{days.param!r} is not declared")
                return
            days = param.value
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            self.error((*path, "days"), "bad-value",
                       f"working days must be a whole number ≥ 0, got {days!r}")
        table = self.p.tables.get(wd.calendar)
        if table is None:
            self.error((*path, "calendar"), "unknown-table",
                       f"table {wd.calendar!r} is not declared")
            return
        if wd.calendar in self.calendars:
            return  # its rows are checked once, however many counts use it
        self.calendars.add(wd.calendar)
        for key in table.rows:
            at = ("tables", wd.calendar, "rows", key)
            try:
                day = dt.date.fromisoformat(key)
            except ValueError:
                self.error(at, "bad-calendar", f"row {key!r} of calendar {wd.calendar!r} is "
                           "not a date (YYYY-MM-DD)")
                continue
            if day.weekday() >= 5:
                self.error(at, "bad-calendar", f"{key} is a {day:%A}: a calendar lists the "
                           "weekdays that are not working days (a substitute day, not the "
                           "weekend date)")


def check(policy: m.Policy, root: Any, file: str) -> None:
    """Raise PolicyErrors listing every problem, or return quietly."""
    errors = _Checker(policy, root, file).run()
    if errors:
        raise PolicyErrors(errors)

