"""``decision-engine lint``: everything wrong with a policy file, each at file:line:col
with a stable code, and for semantic findings an example case.

Structural findings come from the loader and checker (yaml, schema, unknown-fact,
protected-characteristic, protected-characteristic-proxy, …). Semantic ones are found by
enumerating the reduced domain of just the rules concerned (docs/authoring.md):

* ``never-fires``: no case makes the rule's condition hold;
* ``never-applies``: it holds, but never with an outcome in ``applies_if_outcome``;
* ``gap``: cases where no rule indicates an outcome (the result is the default alone);
* ``overlap``: two rules indicate different outcomes at the same priority in one case;
* ``conflicting-set`` / ``conflicting-variant``: two rules in effect together set one
  output to different values (found here, instead of failing a decision at run time);
* ``bad-property``: a declared property reads a name that does not exist.

Maintainers can accept a finding with a reason in the version's side file
(``accepted:``); it is then shown as accepted and does not fail the run.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from decision_engine.authoring import domain as dom
from decision_engine.authoring.evaluate import Result, compiled, evaluate
from decision_engine.authoring.prove import SideFile, load_side
from decision_engine.errors import Location, PolicyError, PolicyErrors
from decision_engine.policy import checker
from decision_engine.policy import model as m
from decision_engine.policy.loader import load_yaml_file, locate, validate

LINT_MAX_CASES = 250_000
"""Largest cone lint enumerates; beyond it the check is reported as not analysed."""

SEVERITY = {"never-fires": "warning", "never-applies": "warning", "gap": "warning",
            "overlap": "warning", "not-analysed": "note"}


@dataclass
class Finding:
    location: Location
    code: str
    message: str
    example: list[str] | None = None
    example_facts: dict[str, Any] | None = None
    accepted: str | None = None

    @property
    def severity(self) -> str:
        return SEVERITY.get(self.code, "error")

    @property
    def counts(self) -> bool:
        """Does it fail the run? Notes and accepted findings do not."""
        return self.accepted is None and self.severity != "note"

    def as_json(self) -> dict[str, Any]:
        return {"file": self.location.file, "line": self.location.line,
                "column": self.location.column, "code": self.code, "severity": self.severity,
                "message": self.message, "example": self.example,
                "example_facts": self.example_facts, "accepted": self.accepted}

    def text(self) -> str:
        tag = f"accepted {self.code}" if self.accepted else f"{self.severity} {self.code}"
        lines = [f"{self.location}: {tag}: {self.message}"]
        if self.example:
            lines.append("    e.g. " + "; ".join(self.example))
        if self.accepted:
            lines.append(f"    accepted: {self.accepted}")
        return "\n".join(lines)


@dataclass
class Linted:
    file: str
    findings: list[Finding] = field(default_factory=list)


def _from_errors(exc: PolicyError) -> list[Finding]:
    errors = exc.errors if isinstance(exc, PolicyErrors) else [exc]
    return [Finding(e.location, e.code, e.message) for e in errors]


def lint_file(path: Path, display: str | None = None, registry: Any = None) -> Linted:
    """All findings for one policy file (and its side file, if any). A file that does not
    exist raises PolicyError (a usage error, not a finding)."""
    name = display or str(path)
    out = Linted(name)
    if not path.is_file():
        raise PolicyError(Location(name), "missing-file", "file not found")
    try:
        _, root = load_yaml_file(path, name)
        policy = validate(m.Policy, root, name)
        checker.check(policy, root, name)
    except PolicyError as exc:
        out.findings = _from_errors(exc)
        return out
    try:
        policy, side, side_root = load_side(policy, path, name.removesuffix(".yaml")
                                            + ".properties.yaml")
    except PolicyError as exc:
        out.findings = _from_errors(exc)
        return out
    out.findings.extend(_check_properties(policy, root, side_root, name))
    if any(f.counts for f in out.findings):
        return out
    window = _window(registry, policy)
    out.findings.extend(Semantic(policy, root, name, window).run())
    _accept(out.findings, side, policy)
    return out


def _window(registry: Any, policy: m.Policy) -> dom.Window:
    if registry is None:
        return dom.Window()
    try:
        pv = registry.get(policy.family, policy.version)
        return dom.registry_window(registry, pv.entry.effective_from, pv.entry.effective_to)
    except Exception:
        return dom.registry_window(registry, None, None)


def _accept(findings: list[Finding], side: SideFile | None, policy: m.Policy) -> None:
    if side is None:
        return
    for f in findings:
        for a in side.accepted:
            if a.code == f.code and (a.rule is None or f"rule {a.rule!r}" in f.message
                                     or f"rules {a.rule!r}" in f.message):
                f.accepted = a.reason


def _check_properties(policy: m.Policy, root: Any, side_root: Any,
                      name: str) -> list[Finding]:
    known = set(policy.inputs) | set(policy.derived) | {"outcome", "indicated",
                                                        "decision_date"}
    for c in policy.consults.values():
        known |= set(c.expose)
    out = []
    own = len([p for p in policy.properties]) - (
        len(side_root.get("properties", [])) if side_root is not None else 0)
    for i, prop in enumerate(policy.properties):
        where_root, idx, file = ((root, i, name) if i < own else
                                 (side_root, i - own,
                                  name.removesuffix(".yaml") + ".properties.yaml"))
        loc = locate(where_root, ("properties", idx), file)
        names: set[str] = set()
        for cond in prop.conditions():
            dom._cond_facts(cond, names)
        for bad in sorted(names - known):
            out.append(Finding(loc, "bad-property", f"property {prop.id!r} reads {bad!r}, "
                               "which is not an input, derived fact, outcome or indicated"))
        if prop.then is None and prop.monotone is None:
            out.append(Finding(loc, "bad-property",
                               f"property {prop.id!r} needs `then` or `monotone`"))
        if prop.monotone is not None:
            inp = policy.inputs.get(prop.monotone.input)
            if inp is None or inp.type not in ("bool", "int", "set"):
                out.append(Finding(loc, "bad-property", f"property {prop.id!r}: monotone "
                                   f"input {prop.monotone.input!r} must be a bool, int or "
                                   "set input"))
    return out


def _fired(i: int) -> Callable[[Result], bool]:
    return lambda r: i in r.fired


def _effective(i: int) -> Callable[[Result], bool]:
    return lambda r: i in r.effective


def _both(a: int, b: int) -> Callable[[Result], bool]:
    return lambda r: a in r.effective and b in r.effective


def _weight(index: tuple[int, ...]) -> tuple[int, int, tuple[int, ...]]:
    return (sum(1 for i in index if i), sum(index), index)


class Semantic:
    """Findings that need the domain: each check enumerates only the cone it concerns."""

    def __init__(self, policy: m.Policy, root: Any, file: str, window: dom.Window) -> None:
        self.p = policy
        self.root = root
        self.file = file
        self.window = window
        self.cp = compiled(policy)
        self.notes: list[Finding] = []
        self._memo: dict[tuple[int, ...], list[tuple[dom.Domain, dom.Case, Result]]] = {}

    def at(self, *path: Any) -> Location:
        return locate(self.root, path, self.file)

    def cases(self, rules: Sequence[int]) -> list[tuple[dom.Domain, dom.Case, Result]]:
        key = tuple(sorted(rules))
        held = self._memo.get(key)
        if held is not None:
            return held
        d = dom.build(self.p, self.window, rules=rules, limit=LINT_MAX_CASES)
        out: list[tuple[dom.Domain, dom.Case, Result]] = []
        if d.refused or d.size > LINT_MAX_CASES:
            why = "; ".join(d.refused) or (f"{d.size:,} reduced cases exceed lint's limit of "
                                           f"{LINT_MAX_CASES:,}")
            note = f"not analysed: {why}"
            if all(n.message != note for n in self.notes):
                self.notes.append(Finding(self.at("rules"), "not-analysed", note))
        else:
            out = [(d, case, evaluate(self.cp, case.facts, case.day)) for case in d.cases()]
        self._memo[key] = out
        return out

    def first(self, rules: Sequence[int], test: Callable[[Result], bool],
              ) -> tuple[bool, list[str] | None, dict[str, Any] | None]:
        """(analysed, example labels, example facts) of the simplest case passing test."""
        best: tuple[Any, ...] | None = None
        analysed = False
        for d, case, result in self.cases(rules):
            analysed = True
            if test(result) and (best is None or _weight(case.index) < best[0]):
                best = (_weight(case.index), d.describe(case), dict(case.facts))
        if best is None:
            return analysed, None, None
        return analysed, best[1], best[2]

    def run(self) -> list[Finding]:
        out: list[Finding] = []
        outcome_rules = dom.outcome_rules(self.p)
        for i, rule in enumerate(self.p.rules):
            if rule.applies_if_outcome is None:
                analysed, ex, _ = self.first([i], _fired(i))
                if analysed and ex is None:
                    out.append(Finding(self.at("rules", i), "never-fires",
                                       f"rule {rule.id!r} can never fire: no case makes its "
                                       "condition hold"))
            else:
                cone = sorted({i, *outcome_rules})
                analysed, ex, _ = self.first(cone, _fired(i))
                if analysed and ex is None:
                    out.append(Finding(self.at("rules", i), "never-fires",
                                       f"rule {rule.id!r} can never fire: no case makes its "
                                       "condition hold"))
                elif analysed:
                    analysed, ex, _ = self.first(cone, _effective(i))
                    if analysed and ex is None:
                        out.append(Finding(
                            self.at("rules", i, "applies_if_outcome"), "never-applies",
                            f"rule {rule.id!r} holds only when the outcome is not one of "
                            f"{rule.applies_if_outcome}, so it never takes effect"))
        out.extend(self.gaps_and_overlaps(outcome_rules))
        out.extend(self.conflicts(outcome_rules))
        return out + self.notes

    def gaps_and_overlaps(self, cone: list[int]) -> list[Finding]:
        indicating = [i for i in cone if self.p.rules[i].indicate]
        gap: tuple[Any, ...] | None = None
        gaps = 0
        overlaps: dict[tuple[int, int], tuple[Any, ...]] = {}
        for d, case, result in self.cases(cone):
            fired = [i for i in result.fired if i in indicating]
            if not fired:
                gaps += 1
                if gap is None or _weight(case.index) < gap[0]:
                    gap = (_weight(case.index), d.describe(case), dict(case.facts))
            for a, b in itertools.combinations(fired, 2):
                ra, rb = self.p.rules[a], self.p.rules[b]
                if ra.priority == rb.priority and ra.indicate != rb.indicate:
                    held = overlaps.get((a, b))
                    if held is None or _weight(case.index) < held[0]:
                        overlaps[(a, b)] = (_weight(case.index), d.describe(case),
                                            dict(case.facts))
        out = []
        if gap is not None:
            out.append(Finding(
                self.at("resolution", "default"), "gap",
                f"{gaps:,} reduced case(s) where no rule indicates an outcome, so the outcome "
                f"is only the default {self.p.resolution.default!r}", gap[1], gap[2]))
        for (a, b), (_, labels, facts) in sorted(overlaps.items()):
            ra, rb = self.p.rules[a], self.p.rules[b]
            out.append(Finding(
                self.at("rules", b), "overlap",
                f"rules {ra.id!r} ({ra.indicate}) and {rb.id!r} ({rb.indicate}) both fire at "
                f"priority {ra.priority}; the more severe one wins silently", labels, facts))
        return out

    def conflicts(self, cone: list[int]) -> list[Finding]:
        out = []
        rules = self.p.rules
        for a, b in itertools.combinations(range(len(rules)), 2):
            ra, rb = rules[a], rules[b]
            keys = [k for k in ra.set if k in rb.set and ra.set[k] != rb.set[k]]
            variant = ra.variant and rb.variant and ra.variant != rb.variant
            if not keys and not variant:
                continue
            need_outcome = ra.applies_if_outcome is not None or rb.applies_if_outcome is not None
            rules_cone = sorted({a, b, *(cone if need_outcome else [])})
            _, ex, facts = self.first(rules_cone, _both(a, b))
            if ex is None:
                continue
            if keys:
                k = keys[0]
                out.append(Finding(self.at("rules", b, "set", k), "conflicting-set",
                                   f"rules {ra.id!r} and {rb.id!r} both take effect and set "
                                   f"{k!r} to {ra.set[k]!r} and {rb.set[k]!r}", ex, facts))
            else:
                out.append(Finding(self.at("rules", b, "variant"), "conflicting-variant",
                                   f"rules {ra.id!r} and {rb.id!r} both take effect with "
                                   f"variants {ra.variant!r} and {rb.variant!r}", ex, facts))
        return out


def lint_registry(registry: Any) -> list[Linted]:
    """Every registered version's file."""
    out = []
    for family in registry.families():
        for pv in registry.versions(family):
            out.append(lint_file(pv.path, pv.entry.file, registry))
    return out
