"""Evaluate one case under one policy version into a self-explaining Decision.

Steps: validate facts against declared domains → derive facts (lookups, scores) → match
rules (durable-rules, or the fast predicates) → resolve the outcome (indications,
blocks, the severity ladder) → assemble reasons, provenance and warnings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from decision_engine.compiler.expressions import Context
from decision_engine.compiler.program import CompiledPolicy, CompiledRule
from decision_engine.engine.decision import (
    Decision,
    OutcomeStatus,
    PolicyRef,
    Provenance,
    Reason,
    SourceRef,
)
from decision_engine.engine.inputs import validate_facts
from decision_engine.engine.matchers import Matcher
from decision_engine.errors import PolicyError
from decision_engine.policy import model as m


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) if value else "none"
    return str(value)


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "(not given)"


def _source(policy: m.Policy, source: m.Source | Mapping[str, Any]) -> SourceRef:
    doc = source.document if isinstance(source, m.Source) else str(source["document"])
    section = source.section if isinstance(source, m.Source) else str(source["section"])
    return SourceRef(document=doc, title=policy.documents[doc].title, section=section)


Consult = Callable[[str, Mapping[str, Any], dt.date], Decision]


def _path(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


def evaluate_compiled(cp: CompiledPolicy, facts: Mapping[str, Any], on: dt.date,
                      matcher: Matcher, consult: Consult | None = None) -> Decision:
    policy = cp.policy
    inputs = validate_facts(policy, facts)
    ctx = Context(facts=dict(inputs), decision_date=on)
    for name, inp in policy.inputs.items():  # chosen rows of table-backed inputs are sourced data
        if inp.from_table is not None and name in inputs:
            chosen = inputs[name] if inp.type == "set" else [inputs[name]]
            ctx.lookups.extend((inp.from_table, key) for key in chosen)
    consulted: list[Provenance] = []
    for name, spec in policy.consults.items():
        if consult is None:
            raise PolicyError(cp.file, "no-consult", f"consult {name!r} needs an engine")
        other = consult(spec.family, {k: inputs[k] for k in spec.pass_facts if k in inputs}, on)
        data = other.as_json()
        for fact, path in spec.expose.items():
            ctx.facts[fact] = _path(data, path)
        consulted.append(Provenance(
            kind="policy", name=f"{other.policy.family}@{other.policy.version}",
            verified=True, source=SourceRef(document=other.policy.sha256, title=other.policy.title,
                                            section=f"outcome {other.outcome}")))
    for name, derive in cp.derived:
        ctx.facts[name] = derive(ctx)
    fired = [cp.rules[i] for i in matcher.match(ctx.facts)]

    immediate = [r for r in fired if r.rule.applies_if_outcome is None]
    indicated = _indicated(policy, immediate)
    blocked_by: dict[str, list[str]] = {o: [] for o in policy.outcomes}
    for r in immediate:
        for o in r.rule.block:
            blocked_by[o].append(r.rule.id)
    outcome = _resolve(policy, indicated, blocked_by)
    effective = [r for r in fired
                 if r.rule.applies_if_outcome is None or outcome in r.rule.applies_if_outcome]

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

    ctx.facts["outcome"] = outcome
    for name, compute in cp.outputs:
        outputs[name] = compute(ctx)
        ctx.facts[name] = outputs[name]
    del ctx.facts["outcome"]

    values = _Values({k: _text(v) for k, v in ctx.facts.items()})
    values.update({k: _text(p.value) for k, p in policy.parameters.items()})
    values.update({k: _text(v) for k, v in outputs.items()})
    values["outcome"] = outcome
    values["decision_date"] = on.isoformat()
    reasons = [_reason(policy, r, ctx.facts, values) for r in effective]
    provenance, warnings = _provenance(cp, ctx, effective)
    provenance = consulted + provenance
    warnings.extend(f"rests on rule {r.rule.id!r}, whose content is unverified "
                    f"({r.rule.source.document}, {r.rule.source.section}); confirm it before "
                    "relying on this decision" for r in effective if not r.rule.verified)
    warnings.extend(r.rule.warn.format_map(values) for r in effective if r.rule.warn)

    derived = {name: ctx.facts[name] for name, _ in cp.derived}
    summary = _summary(policy.outcomes, indicated, outcome, blocked_by, variant)
    return Decision(
        decision_date=on,
        policy=PolicyRef(family=policy.family, version=policy.version, sha256=cp.sha256,
                         title=policy.title),
        input=inputs,
        derived=derived,
        indicated=indicated,
        outcome=outcome,
        summary=summary,
        variant=variant,
        outcomes={o: OutcomeStatus(available=not b, blocked_by=b) for o, b in blocked_by.items()},
        outputs=outputs,
        flags=flags,
        reasons=reasons,
        provenance=provenance,
        warnings=warnings,
    )


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


def _reason(policy: m.Policy, r: CompiledRule, facts: Mapping[str, Any],
            values: Mapping[str, str]) -> Reason:
    rule = r.rule
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
    read = {name: facts.get(name) for name in r.reads}
    read.update({f"param:{p}": policy.parameters[p].value for p in r.params})
    return Reason(rule=rule.id, text=rule.reason.format_map(values), effect=effect, facts=read,
                  source=_source(policy, rule.source))


def _provenance(cp: CompiledPolicy, ctx: Context,
                fired: list[CompiledRule]) -> tuple[list[Provenance], list[str]]:
    policy = cp.policy
    out: list[Provenance] = []
    warnings: list[str] = []
    for table, key in ctx.lookups:
        row = policy.tables[table].rows[key]
        src = _source(policy, row["source"])
        out.append(Provenance(kind="row", name=f"{table}/{key}", verified=bool(row["verified"]),
                              source=src))
        if not row["verified"]:
            warnings.append(f"rests on an unverified row: table {table!r}, row {key!r} "
                            f"({src.title}, {src.section}); confirm it against the primary "
                            "source before relying on this decision")
    params = list(ctx.params)
    for r in fired:
        params.extend(p for p in r.params if p not in params)
    for name in params:
        param = policy.parameters[name]
        src = _source(policy, param.source)
        out.append(Provenance(kind="parameter", name=name, verified=param.verified, source=src))
        if not param.verified:
            warnings.append(f"rests on an unverified parameter: {name} = {_text(param.value)} "
                            f"({src.title}, {src.section}); it is a local policy setting to "
                            "confirm")
    return out, warnings
