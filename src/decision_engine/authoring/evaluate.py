"""Outcome-only evaluation of one case, for exhaustive checks (prove, lint, diff).

The same compiled closures the engine uses (derived facts, rule predicates, resolution);
no validation, reasons or provenance, since cases come from the domain enumerator,
which only builds facts inside the declared domains.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from decision_engine.compiler.expressions import Context
from decision_engine.compiler.program import CompiledPolicy, compile_policy
from decision_engine.engine.evaluation import resolve_fired
from decision_engine.policy import model as m


@dataclass(frozen=True)
class Result:
    """What a case comes to: the outcome and the rules behind it."""

    outcome: str
    indicated: str
    fired: tuple[int, ...]
    """Rules whose condition holds."""
    effective: tuple[int, ...]
    """Fired rules whose effects count (``applies_if_outcome`` satisfied)."""
    blocked: frozenset[str]
    facts: Mapping[str, Any]
    """Inputs, consulted and derived facts, plus ``outcome`` and ``indicated``."""


_CACHE: dict[int, CompiledPolicy] = {}


def compiled(policy: m.Policy) -> CompiledPolicy:
    """One compiled policy per policy object (policies are frozen)."""
    held = _CACHE.get(id(policy))
    if held is None or held.policy is not policy:
        held = _CACHE[id(policy)] = compile_policy(policy, "0" * 64, f"{policy.family}@"
                                                   f"{policy.version}")
    return held


def evaluate(cp: CompiledPolicy, facts: Mapping[str, Any], on: dt.date) -> Result:
    policy = cp.policy
    ctx = Context(facts=dict(facts), decision_date=on)
    for name, derive in cp.derived:
        ctx.facts[name] = derive(ctx)
    fired = [r for r in cp.rules if r.predicate(ctx.facts)]
    indicated, blocked_by, outcome, in_effect = resolve_fired(policy, fired)
    effective = tuple(r.index for r in in_effect)
    ctx.facts["outcome"] = outcome
    ctx.facts["indicated"] = indicated
    return Result(outcome=outcome, indicated=indicated, fired=tuple(r.index for r in fired),
                  effective=effective,
                  blocked=frozenset(o for o, b in blocked_by.items() if b), facts=ctx.facts)


def exposed(result: Result, path: str) -> Any:
    """A consulted decision's value at a dotted path (as `consults.expose` names it)."""
    head, _, rest = path.partition(".")
    if head == "outcome":
        return result.outcome
    if head == "indicated":
        return result.indicated
    if head == "derived":
        return result.facts[rest]
    if head == "outcomes":
        name, _, field = rest.partition(".")
        if field == "available":
            return name not in result.blocked
    raise ValueError(f"cannot expose {path!r} from an outcome-only evaluation")
