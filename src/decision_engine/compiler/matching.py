"""The fast evaluator's rule matching as one generated function per policy version.

Every rule's condition becomes a boolean expression (the outcome compiler's source, with
the semantics of ``conditions.python_predicate``) over the facts read once into locals,
so matching a case costs one call instead of a closure tree per rule. durable-rules
stays the execution core; this is the fast path replay and what-ifs take, and the
differential tests hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from decision_engine.compiler.conditions import facts_read
from decision_engine.compiler.outcome import SourceGenerator
from decision_engine.policy import model as m

Match = Callable[[Mapping[str, Any]], list[int]]


def match_program(policy: m.Policy) -> tuple[Match, str]:
    """The function giving the indices of *policy*'s rules whose condition holds on a
    case's facts (inputs, consulted and derived), ascending; and its source."""
    gen = SourceGenerator(policy)
    names = sorted({name for rule in policy.rules for name in facts_read(rule.when)})
    lines = ["def match(f):", "    get = f.get"]
    lines += [f"    v_{name} = get({name!r})" for name in names]
    lines.append("    out = []")
    for i, rule in enumerate(policy.rules):
        lines.append(f"    if {gen.cond(rule.when, set(names))}: out.append({i})")
    lines.append("    return out")
    source = "\n".join(lines) + "\n"
    namespace: dict[str, Any] = dict(gen.consts)
    exec(compile(source, f"<match {policy.family}@{policy.version}>", "exec"), namespace)
    match: Match = namespace["match"]
    return match, source
