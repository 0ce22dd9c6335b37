"""Evaluate one case under one policy version into a self-explaining Decision.

Steps: validate facts against declared domains → consult other families → derive facts
(lookups, scores) → match rules (durable-rules, or the fast predicates) → resolve the
outcome (indications, blocks, the severity ladder) → outputs → reasons and provenance.
The steps up to the outputs can refuse a case; explaining it cannot. So a change tried
for a counterfactual through a consult reads the consulted family from a :class:`Peek`
(its validated facts through its outcome program, as every other change tried is)
instead of a whole decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from decision_engine.compiler.expressions import Context
from decision_engine.compiler.outcome import OutcomeResult, exposed, outcome_program_for
from decision_engine.compiler.program import CompiledPolicy, CompiledRule
from decision_engine.engine.counterfactuals import Exposes, counterfactuals
from decision_engine.engine.decision import (
    DECISION_FORMAT,
    Decision,
    OutcomeStatus,
    PolicyRef,
    Provenance,
    SourceRef,
    build,
    follow,
    plain_json,
)
from decision_engine.engine.explain import Explainer, FactsReader, TemplateValues
from decision_engine.engine.matchers import Matcher
from decision_engine.engine.memo import keep
from decision_engine.errors import PolicyError
from decision_engine.policy import model as m


class Consulted(Protocol):
    """What a decision reads of a family it consults and records: the consulted policy,
    outcome and warnings, and the values it exposes (a :class:`Decision`, or the
    lighter :class:`Answer`)."""

    @property
    def policy(self) -> PolicyRef: ...

    @property
    def outcome(self) -> str: ...

    @property
    def warnings(self) -> list[str]: ...

    def at(self, path: str) -> Any: ...


Consulter = Callable[[str, Mapping[str, Any], dt.date], Consulted]
"""Decides a consulted family, (family, facts, day) → its answer: a consult whose answer
the decision records (its warnings, policy and outcome)."""


def explainer(cp: CompiledPolicy) -> Explainer:
    held = cp.memo.get("explainer")
    if held is None:
        held = cp.memo["explainer"] = Explainer(cp)
    assert isinstance(held, Explainer)
    return held


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a set of fired rules decides, whatever facts fired them: worked out once per
    distinct set (a version has few) and shared, read-only, by the decisions that have it."""

    indicated: str
    outcome: str
    effective: tuple[CompiledRule, ...]
    """The fired rules whose effects count, in declaration order."""
    outputs: Mapping[str, Any]
    """What the effective rules ``set`` (each decision copies it before adding more)."""
    variant: str | None
    flags: tuple[str, ...]
    summary: str
    outcomes: Mapping[str, OutcomeStatus]
    rule_warnings: tuple[str, ...]
    """The warnings of the effective rules whose content is unverified."""
    warn_templates: tuple[str, ...]
    """The ``warn`` templates of the effective rules (filled per decision)."""
    rule_ids: tuple[int, ...]
    """The indices of the effective rules."""
    reason_facts: FactsReader | None
    """Reads what their reasons depend on (``Explainer.reason_facts``)."""


_RESOLUTIONS = 4096
"""Distinct fired-rule sets remembered per version (the gravity matrix has tens)."""


def resolution(cp: CompiledPolicy, explain: Explainer, fired: tuple[int, ...]) -> Resolution:
    """The resolution of the rules at indices *fired* (ascending), from the memo or
    worked out (a conflict between rules raises every time: it is never remembered)."""
    memo = cp.memo.get("resolutions")
    if memo is None:
        memo = cp.memo["resolutions"] = {}
    assert isinstance(memo, dict)
    held: Resolution | None = memo.get(fired)
    if held is None:
        indicated, blocked_by, outcome, effective = resolve_fired(
            cp.policy, [cp.rules[i] for i in fired])
        outputs, variant, flags = _effects(cp, effective)
        held = Resolution(
            indicated=indicated, outcome=outcome, effective=tuple(effective),
            outputs=outputs, variant=variant, flags=tuple(flags),
            summary=explain.summary(indicated, outcome, blocked_by, variant),
            outcomes={o: explain.status(b) for o, b in blocked_by.items()},
            rule_warnings=tuple(w for r in effective if (w := explain.rule_warning[r.index])),
            warn_templates=tuple(r.rule.warn for r in effective if r.rule.warn),
            rule_ids=tuple(r.index for r in effective),
            reason_facts=explain.reason_facts(effective))
        keep(memo, fired, held, _RESOLUTIONS)
    return held


@dataclass(slots=True)
class _Core:
    """What a case decides before it is explained: everything a consulter can read."""

    inputs: dict[str, Any]
    ctx: Context
    given: Mapping[str, Any] | None
    """The inputs and consulted facts, before derived facts join them (what
    counterfactuals change; kept only when asked for)."""
    consulted: list[Provenance]
    consulted_warnings: list[str]
    derived: dict[str, Any]
    res: Resolution
    outputs: dict[str, Any]


def _core(cp: CompiledPolicy, facts: Mapping[str, Any], on: dt.date, matcher: Matcher,
          consult: Consulter | None, keep_given: bool) -> _Core:
    """Validate, consult, derive, match, resolve and compute outputs (the steps that can
    refuse a case; explaining it cannot)."""
    explain = explainer(cp)
    inputs = cp.validate(facts)
    ctx = Context(facts=dict(inputs), decision_date=on)
    lookups = ctx.lookups
    for name, table in cp.table_inputs:  # the rows a caller chose are sourced data too
        if name in inputs:
            chosen = inputs[name]
            if isinstance(chosen, list):
                lookups.extend([(table, key) for key in chosen])
            else:
                lookups.append((table, chosen))
    consulted, consulted_warnings = (_consult(cp, inputs, ctx, on, consult)
                                     if cp.policy.consults else ([], []))
    # the inputs and consulted facts (none consulted: the inputs, which nothing changes)
    given = None if not keep_given else dict(ctx.facts) if consulted else inputs
    derived = cp.derive(ctx)  # written to ctx.facts too
    res = resolution(cp, explain, tuple(matcher.match(ctx.facts)))
    outputs = dict(res.outputs)
    if cp.outputs:
        scope = Context(facts={**ctx.facts, **outputs, "outcome": res.outcome},
                        decision_date=on, lookups=ctx.lookups, params=ctx.params,
                        notes=ctx.notes)
        cp.compute_outputs(scope, outputs)  # each written to scope.facts too
    return _Core(inputs, ctx, given, consulted, consulted_warnings, derived, res, outputs)


def evaluate_compiled(cp: CompiledPolicy, facts: Mapping[str, Any], on: dt.date,
                      matcher: Matcher, consult: Consulter | None = None,
                      fmt: int = DECISION_FORMAT,
                      signoffs: Mapping[str, str] | None = None,
                      peek: Peeker | None = None) -> Decision:
    """The decision in format *fmt* (callers check it: ``decision.check_format``).
    *signoffs* (``target`` → words) are the local sign-offs in effect on *on*; callers
    pass them for format 3 on only. *peek*, if given, answers the consults of changes
    tried for counterfactuals (only what they expose is read); else *consult* does."""
    explain = explainer(cp)
    core = _core(cp, facts, on, matcher, consult, keep_given=fmt >= 2)
    ctx, res, outputs = core.ctx, core.res, core.outputs
    outcome, effective = res.outcome, res.effective

    values, provenance, warnings = _explained(explain, core, on, signoffs)
    reasons = explain.reasons(res.rule_ids, res.reason_facts, effective, ctx.facts, values)

    found = ([] if core.given is None else
             counterfactuals(cp).find(core.given, core.derived, on, outcome, peek or consult,
                                      tuple(p.name for p in core.consulted)
                                      if core.consulted else ()))

    # build(): every value here was made by this module from validated data
    return build(
        Decision,
        format=fmt,
        decision_date=on,
        policy=explain.policy_ref,
        input=core.inputs,
        derived=core.derived,
        indicated=res.indicated,
        outcome=outcome,
        summary=res.summary,
        variant=res.variant,
        outcomes=dict(res.outcomes),
        outputs=outputs,
        flags=list(res.flags),
        reasons=reasons,
        provenance=core.consulted + provenance if core.consulted else provenance,
        warnings=warnings,
        counterfactuals=found,
    )


def _explained(explain: Explainer, core: _Core, on: dt.date,
               signoffs: Mapping[str, str] | None,
               ) -> tuple[TemplateValues, list[Provenance], list[str]]:
    """A decided case's template values, provenance and warnings: everything explaining
    it gives but its reasons (which read the values and change none of these)."""
    ctx, res = core.ctx, core.res
    values = TemplateValues(ctx.facts, core.outputs, explain.cp.parameter_values,
                            {"outcome": res.outcome, "decision_date": on})  # text(): ISO
    provenance, warnings = explain.provenance(ctx.lookups, ctx.params, res.effective, signoffs)
    warnings = core.consulted_warnings + warnings
    warnings.extend(res.rule_warnings)
    for template in res.warn_templates:
        warnings.append(template.format_map(values))
    warnings.extend(ctx.notes)
    return values, provenance, warnings


def _parts(core: _Core) -> dict[str, Any]:
    """The members of a decision a decided case holds before it is explained."""
    return {"indicated": core.res.indicated, "outcome": core.res.outcome,
            "derived": core.derived, "outputs": core.outputs, "input": core.inputs,
            "outcomes": core.res.outcomes, "variant": core.res.variant}


class _Partial:
    """Part of a decision: :meth:`at` answers as :meth:`Decision.at` does, from what
    :meth:`_held` holds where that is plain JSON, else from the full decision, made once
    when first asked for."""

    __slots__ = ("_full", "_made")

    def __init__(self, full: Callable[[], Decision]) -> None:
        self._full = full
        self._made: Decision | None = None

    def _held(self, path: str) -> Any:
        """The value at *path* held here; KeyError or TypeError where none is."""
        raise KeyError(path)

    def at(self, path: str) -> Any:
        try:
            data = self._held(path)
        except (KeyError, TypeError):
            data = _ABSENT
        if data is _ABSENT or not plain_json(data):
            made = self._made
            if made is None:
                made = self._made = self._full()
            return made.at(path)
        return data


_ABSENT = object()


class Answer(_Partial):
    """A consulted family's decision as its consulter reads it: the policy, outcome and
    warnings it records, and the values it exposes, without the reasons and the
    decision object (18 against 26 µs for a consulted gravity-matrix decision). A path
    it does not hold plainly (reasons, provenance) comes from the full decision."""

    __slots__ = ("_parts", "outcome", "policy", "warnings")

    def __init__(self, policy: PolicyRef, parts: Mapping[str, Any], warnings: list[str],
                 full: Callable[[], Decision]) -> None:
        super().__init__(full)
        self.policy = policy
        self.outcome: str = parts["outcome"]
        self.warnings = warnings
        self._parts = parts

    def _held(self, path: str) -> Any:
        head, _, rest = path.partition(".")
        return follow(self._parts[head], rest)


def answer_compiled(cp: CompiledPolicy, facts: Mapping[str, Any], on: dt.date,
                    matcher: Matcher, consult: Consulter | None,
                    signoffs: Mapping[str, str] | None,
                    full: Callable[[], Decision]) -> Answer:
    """What a consulter reads of the format-1 decision on *facts* (:class:`Answer`);
    raises as :func:`evaluate_compiled` would. *full* makes that decision if a path
    needs it."""
    explain = explainer(cp)
    core = _core(cp, facts, on, matcher, consult, keep_given=False)
    _, _, warnings = _explained(explain, core, on, signoffs)
    return Answer(explain.policy_ref, _parts(core), warnings, full)


class Peek(_Partial):
    """What a consulted family's decision exposes, from its outcome program: the
    compiled outcome-only function the counterfactual search tries every other change
    with (no reasons, provenance, warnings or outputs; 12 µs with nine values read,
    against 26 for a consulted gravity-matrix decision). A path it does not hold
    (outputs, the variant) comes from the full decision."""

    __slots__ = ("_inputs", "_result")

    def __init__(self, result: OutcomeResult, inputs: Mapping[str, Any],
                 full: Callable[[], Decision]) -> None:
        super().__init__(full)
        self._result = result
        self._inputs = inputs

    def _held(self, path: str) -> Any:
        if path.startswith("input."):
            return follow(self._inputs, path[6:])
        return exposed(self._result, path)


Peeker = Callable[[str, Mapping[str, Any], dt.date], Peek]
"""The same question answered as a :class:`Peek`: what the counterfactual search reads
for each change it tries through a consult."""


def peek_compiled(cp: CompiledPolicy, facts: Mapping[str, Any], on: dt.date,
                  consult: Peeker | None, full: Callable[[], Decision]) -> Peek:
    """What the decision on *facts* exposes (:class:`Peek`); raises as
    :func:`evaluate_compiled` would (explaining a case never refuses it). *consult*
    answers this family's own consults; *full* makes the whole decision if a path needs
    it. The outcome program is held to the decision's steps by the differential tests
    (``tests/test_outcome_compiler.py``)."""
    inputs = cp.validate(facts)
    given = inputs
    if cp.policy.consults:
        given = dict(inputs)
        for spec, other in _asked(cp, inputs, on, consult):
            for fact, path in spec.expose.items():
                given[fact] = other.at(path)
    return Peek(outcome_program_for(cp).evaluate(given, on), inputs, full)


A = TypeVar("A", bound=Exposes)


def _asked(cp: CompiledPolicy, inputs: Mapping[str, Any], on: dt.date,
           consult: Callable[[str, Mapping[str, Any], dt.date], A] | None,
           ) -> Iterator[tuple[m.Consult, A]]:
    """Each consult of *cp*, in order, with *consult*'s answer on the facts it passes."""
    for name, spec in cp.policy.consults.items():
        if consult is None:
            raise PolicyError(cp.file, "no-consult", f"consult {name!r} needs an engine")
        yield spec, consult(spec.family,
                            {k: inputs[k] for k in spec.pass_facts if k in inputs}, on)


def _consult(cp: CompiledPolicy, inputs: Mapping[str, Any], ctx: Context, on: dt.date,
             consult: Consulter | None) -> tuple[list[Provenance], list[str]]:
    """Evaluate the families this policy consults; expose parts of their decisions.

    A consulted decision's warnings carry over (prefixed with its policy), so a decision
    that rests on another's unverified data says so, and its provenance entry is
    unverified when the consulted decision had any warning."""
    out: list[Provenance] = []
    warnings: list[str] = []
    for spec, other in _asked(cp, inputs, on, consult):
        for fact, path in spec.expose.items():
            ctx.facts[fact] = other.at(path)
        name = f"{other.policy.family}@{other.policy.version}"
        out.append(build(
            Provenance, kind="policy", name=name,
            verified=not other.warnings, source=build(SourceRef, document=other.policy.sha256,
                                                      title=other.policy.title,
                                                      section=f"outcome {other.outcome}")))
        warnings.extend(f"{name}: {w}" for w in other.warnings)
    return out, warnings


def _effects(cp: CompiledPolicy, effective: list[CompiledRule],
             ) -> tuple[dict[str, Any], str | None, list[str]]:
    outputs: dict[str, Any] = {}
    variant: str | None = None
    flags: list[str] = []
    for r in effective:
        for key, value in r.rule.set.items():
            if key in outputs and outputs[key] != value:
                raise PolicyError(cp.file, "conflicting-rules",
                                  f"rules set {key!r} to both {outputs[key]!r} and {value!r} "
                                  f"(last: {r.rule.id})")
            outputs[key] = value
        if r.rule.variant is not None:
            if variant is not None and variant != r.rule.variant:
                raise PolicyError(cp.file, "conflicting-rules",
                                  f"variants {variant!r} and {r.rule.variant!r} both apply")
            variant = r.rule.variant
        flags.extend(f for f in r.rule.flag if f not in flags)
    return outputs, variant, flags


def resolve_fired(policy: m.Policy, fired: list[CompiledRule],
                  ) -> tuple[str, dict[str, list[str]], str, list[CompiledRule]]:
    """The fired rules → (indicated, blocked_by, outcome, rules whose effects count)."""
    immediate = [r for r in fired if r.rule.applies_if_outcome is None]
    indicated = _indicated(policy, immediate)
    blocked_by: dict[str, list[str]] = {o: [] for o in policy.outcomes}
    for r in immediate:
        for o in r.rule.block:
            blocked_by[o].append(r.rule.id)
    outcome = _resolve(policy, indicated, blocked_by)
    effective = [r for r in fired
                 if r.rule.applies_if_outcome is None or outcome in r.rule.applies_if_outcome]
    return indicated, blocked_by, outcome, effective


def _indicated(policy: m.Policy, fired: list[CompiledRule]) -> str:
    """Highest priority wins; among equals, the most severe outcome."""
    best: tuple[int, int] | None = None
    for r in fired:
        if r.rule.indicate is None:
            continue
        key = (r.rule.priority, policy.outcomes.index(r.rule.indicate))
        if best is None or key > best:
            best = key
    return policy.resolution.default if best is None else policy.outcomes[best[1]]


def _resolve(policy: m.Policy, indicated: str, blocked_by: dict[str, list[str]]) -> str:
    """An indicated outcome that is blocked gives way to the next less severe one open."""
    if not blocked_by[indicated] or policy.resolution.when_blocked == "none":
        return indicated
    ladder = policy.outcomes
    for o in reversed(ladder[: ladder.index(indicated)]):
        if not blocked_by[o]:
            return o
    return policy.resolution.default
