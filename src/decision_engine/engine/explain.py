"""Reasons, provenance and warnings: the explanation half of a decision.

Everything that depends only on the policy version (a rule's source and effect, a table
row's provenance and warning) is built once per compiled policy and reused, so a full
explanation costs little more than the outcome itself.
"""

from __future__ import annotations

import operator
import string
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import Any

from decision_engine.compiler.program import CompiledPolicy, CompiledRule
from decision_engine.engine.decision import (
    OutcomeStatus,
    PolicyRef,
    Provenance,
    Reason,
    SourceRef,
    build,
)
from decision_engine.engine.memo import keep
from decision_engine.policy import model as m

FactsReader = Callable[[Mapping[str, Any]], tuple[Any, ...]]


def text(value: Any) -> str:
    """How a fact reads inside a reason."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(text(v) for v in value) if value else "none"
    return str(value)


class TemplateValues(dict[str, str]):
    """Template values, turned into text only when a reason template asks for them."""

    __slots__ = ("layers",)

    def __init__(self, *layers: Mapping[str, Any]) -> None:  # a dict starts empty
        self.layers = layers

    def __missing__(self, key: str) -> str:
        for layer in self.layers:
            if key in layer:
                self[key] = text(layer[key])
                return self[key]
        return "(not given)"


# What an unverified parameter is, as its warning says it (policy language `kind`). The
# local-setting words are those every decision recorded before `kind` existed carries, so
# they must not change (replay compares bytes).
_PARAMETER_KIND = {
    "local_setting": "it is a local policy setting to confirm",
    "reading": "it is a reading of the published source, not a local setting, to confirm",
}


class Explainer:
    """Per policy version: cached sources, effects, provenance and warnings."""

    def __init__(self, cp: CompiledPolicy) -> None:
        self.cp = cp
        policy = cp.policy
        self._sources: dict[tuple[str, str], SourceRef] = {}
        self.rule_source = [self.source(r.rule.source) for r in cp.rules]
        self.rule_effect = [_effect(r.rule) for r in cp.rules]
        self.rule_warning = [
            None if r.rule.verified else
            f"rests on rule {r.rule.id!r}, whose content is unverified "
            f"({r.rule.source.document}, {r.rule.source.section}); confirm it before relying "
            "on this decision" for r in cp.rules]
        self._rows: dict[tuple[str, str], tuple[Provenance, str | None]] = {}
        self._params: dict[str, tuple[Provenance, str | None]] = {}
        for name, param in policy.parameters.items():
            src = self.source(param.source)
            warning = None if param.verified else (
                f"rests on an unverified parameter: {name} = {text(param.value)} "
                f"({src.title}, {src.section}); " + _PARAMETER_KIND[param.kind])
            self._params[name] = (build(Provenance, kind="parameter", name=name,
                                        verified=param.verified, source=src), warning)

        self._status: dict[tuple[str, ...], OutcomeStatus] = {}
        self.policy_ref = build(PolicyRef, family=policy.family, version=policy.version,
                                sha256=cp.sha256, title=policy.title)
        self._summaries: dict[tuple[Any, ...], str] = {}
        fields = [_plain_fields(r.rule.reason) for r in cp.rules]
        self._key_names = [None if f is None else tuple(dict.fromkeys((*r.reads, *f)))
                           for r, f in zip(cp.rules, fields, strict=True)]
        """Per rule: the names a reason depends on (the facts it reads, then the values
        its template shows), or None when its template is not remembered."""
        self._reasons: dict[tuple[Any, ...], Reason] = {}
        self._reason_lists: dict[tuple[Any, ...], tuple[Reason, ...]] = {}

    def summary(self, indicated: str, outcome: str, blocked_by: dict[str, list[str]],
                variant: str | None) -> str:
        """The one-line summary; few distinct ones exist per version, so each is kept."""
        key = (indicated, outcome, variant, *(tuple(b) for b in blocked_by.values()))
        text = self._summaries.get(key)
        if text is None:
            text = self._summaries[key] = _summary(self.cp.policy.outcomes, indicated,
                                                   outcome, blocked_by, variant)
        return text

    def status(self, blocked_by: list[str]) -> OutcomeStatus:
        key = tuple(blocked_by)
        held = self._status.get(key)
        if held is None:
            held = self._status[key] = build(OutcomeStatus, available=not key,
                                             blocked_by=list(key))
        return held

    def source(self, source: m.Source | Mapping[str, Any]) -> SourceRef:
        if isinstance(source, m.Source):
            doc, section = source.document, source.section
        else:
            doc, section = str(source["document"]), str(source["section"])
        key = (doc, section)
        if key not in self._sources:
            self._sources[key] = build(SourceRef, document=doc,
                                       title=self.cp.policy.documents[doc].title,
                                       section=section)
        return self._sources[key]

    def row(self, lookup: tuple[str, str]) -> tuple[Provenance, str | None]:
        """A looked-up row (``(table, key)``, as ``Context.lookups`` holds it) as provenance,
        with its warning when unverified; made once per row."""
        held = self._rows.get(lookup)
        if held is None:
            table, key = lookup
            row = self.cp.policy.tables[table].rows[key]
            src = self.source(row["source"])
            verified = bool(row["verified"])
            warning = None if verified else (
                f"rests on an unverified row: table {table!r}, row {key!r} ({src.title}, "
                f"{src.section}); confirm it against the primary source before relying on "
                "this decision")
            held = (build(Provenance, kind="row", name=f"{table}/{key}", verified=verified,
                          source=src), warning)
            self._rows[lookup] = held
        return held

    def reason(self, r: CompiledRule, facts: Mapping[str, Any], values: TemplateValues) -> Reason:
        """The reason rule *r* gives: remembered per version, keyed by the exact value
        of each fact it reads or its template shows (a template value that is no fact:
        by its text), so every reason equal to one made before is that one (read-only,
        shared like sources)."""
        names = self._key_names[r.index]
        if names is None:  # a template with more than plain {name} fields
            return self._reason(r, facts, values)
        # exact: True and 1 (equal in Python) by type. The usual case, every name a fact
        # with a scalar value, is keyed by values and types without a Python-level loop.
        found = tuple(map(facts.get, names, repeat(_ABSENT, len(names))))
        kinds = tuple(map(type, found))
        key: tuple[Any, ...]
        if object in kinds or list in kinds or dict in kinds:
            key = (r.index, self._careful_key(names, facts, values))  # never 3 long
        else:
            key = (r.index, found, kinds)
        try:
            held = self._reasons.get(key)
        except TypeError:  # a value that cannot be a key (a list of objects)
            return self._reason(r, facts, values)
        if held is None:
            held = keep(self._reasons, key, self._reason(r, facts, values), _REASONS)
        return held

    def reason_facts(self, rules: Sequence[CompiledRule]) -> FactsReader | None:
        """What the reasons of *rules* depend on together (see :meth:`reasons`), read in
        one call (a ``KeyError`` when one is no fact); None when one of their templates
        is not remembered."""
        each = [self._key_names[r.index] for r in rules]
        if any(n is None for n in each):
            return None
        names = tuple(dict.fromkeys(name for n in each if n is not None for name in n))
        if len(names) < 2:  # itemgetter gives one value bare
            return (lambda facts: ()) if not names else (lambda facts: (facts[names[0]],))
        getter: FactsReader = operator.itemgetter(*names)
        return getter

    def reasons(self, rules: tuple[int, ...], read: FactsReader | None,
                effective: Sequence[CompiledRule], facts: Mapping[str, Any],
                values: TemplateValues) -> list[Reason]:
        """The reasons of the *effective* rules (indices *rules*; *read* from
        :meth:`reason_facts`), remembered as a list per set of rules and the exact values (by
        type too) of every fact they read or show: one lookup for the usual decision
        instead of one per reason. Anything else goes reason by reason."""
        key: tuple[Any, ...] | None = None
        if read is not None:
            try:
                found = read(facts)
                kinds = tuple(map(type, found))
                if not (list in kinds or dict in kinds):
                    key = (rules, found, kinds)
                    held = self._reason_lists.get(key)
                    if held is not None:
                        return list(held)
            except (KeyError, TypeError):  # a template value that is no fact; a value
                key = None  # that cannot be a key: reason by reason
        made = [self.reason(r, facts, values) for r in effective]
        if key is not None:
            keep(self._reason_lists, key, tuple(made), _REASONS)
        return made

    @staticmethod
    def _careful_key(names: tuple[str, ...], facts: Mapping[str, Any],
                     values: TemplateValues) -> tuple[Any, ...]:
        """The key when a name is no fact (the text a later layer gives it) or a fact's
        value is a list or an object (by its repr)."""
        parts: list[Any] = []
        for name in names:
            value = facts.get(name, _ABSENT)
            kind = type(value)
            if value is _ABSENT:
                parts.append((_ABSENT, values[name]))
            elif kind is list or kind is dict:
                parts.append((kind, repr(value)))
            else:
                parts.append((kind, value))
        return tuple(parts)

    def _reason(self, r: CompiledRule, facts: Mapping[str, Any], values: TemplateValues,
                ) -> Reason:
        read = {name: facts.get(name) for name in r.reads}
        for p in r.params:
            read[f"param:{p}"] = self.cp.parameter_values[p]
        return build(Reason, rule=r.rule.id, text=r.rule.reason.format_map(values),
                     effect=self.rule_effect[r.index], facts=read,
                     source=self.rule_source[r.index])

    def provenance(self, lookups: list[tuple[str, str]], params: list[str],
                   fired: Sequence[CompiledRule], signoffs: Mapping[str, str] | None = None,
                   ) -> tuple[list[Provenance], list[str]]:
        """What the decision rests on, and a warning for each unverified piece that no
        local sign-off (``target`` → words, format 3 on) covers."""
        out: list[Provenance] = []
        warnings: list[str] = []
        for lookup in lookups:
            prov, warning = self.row(lookup)
            if warning:
                if signoffs and (target := f"{lookup[0]}/{lookup[1]}") in signoffs:
                    prov, warning = _signed(prov, signoffs[target]), None
                else:
                    warnings.append(warning)
            out.append(prov)
        names = list(params)
        for r in fired:
            if r.params:
                names.extend(p for p in r.params if p not in names)
        for name in names:
            prov, warning = self._params[name]
            if warning and signoffs and f"param:{name}" in signoffs:
                prov, warning = _signed(prov, signoffs[f"param:{name}"]), None
            out.append(prov)
            if warning:
                warnings.append(warning)
        return out, warnings


_ABSENT = object()
_REASONS = 8192
"""Distinct reasons remembered per version."""


def _plain_fields(template: str) -> tuple[str, ...] | None:
    """The names a reason template shows, when each is a plain ``{name}`` (no
    conversion, format spec, attribute or index); else None."""
    fields: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:  # not a valid template: left to fail as it always did
        return None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            return None
        fields.append(name)
    return tuple(fields)


def _signed(prov: Provenance, words: str) -> Provenance:
    return build(Provenance, kind=prov.kind, name=prov.name, verified=prov.verified,
                 source=prov.source, signed_off=words)


def _effect(rule: m.Rule) -> dict[str, Any]:
    effect: dict[str, Any] = {}
    if rule.indicate:
        effect["indicate"] = rule.indicate
        if rule.priority:
            effect["priority"] = rule.priority
    if rule.block:
        effect["block"] = list(rule.block)
    if rule.set:
        effect["set"] = dict(rule.set)
    if rule.flag:
        effect["flag"] = list(rule.flag)
    if rule.variant:
        effect["variant"] = rule.variant
    return effect


def _summary(ladder: list[str], indicated: str, outcome: str,
             blocked_by: dict[str, list[str]], variant: str | None) -> str:
    words = outcome.replace("_", " ")
    if variant:
        words += f" ({variant.replace('_', ' ')})"
    if indicated == outcome:
        return f"Recommended: {words}."
    lo, hi = sorted((ladder.index(outcome), ladder.index(indicated)))
    skipped = [o for o in ladder[lo : hi + 1] if blocked_by[o]]
    why = "; ".join(f"{o.replace('_', ' ')} blocked by {', '.join(blocked_by[o])}" for o in skipped)
    return (f"Indicated {indicated.replace('_', ' ')}, which is not open ({why}); recommended: "
            f"{words}, the most severe open outcome below it.")
