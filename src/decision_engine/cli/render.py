"""A decision as a person reads it: outcome, how it was reached, and what it rests on."""

from __future__ import annotations

from typing import Any

from decision_engine.engine import Decision
from decision_engine.engine.decision import Counterfactual


def _words(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    return "not given" if value is None else str(value)


def hinge_text(c: Counterfactual) -> str:
    """One counterfactual as a line: the change, then the outcome it gives."""
    then = c.outcome.replace("_", " ")
    if c.change == "band":
        change = f"{c.input} in another band ({_words(c.current)} -> {_words(c.value)})"
    elif c.change in ("add", "remove"):
        members = c.value if isinstance(c.value, list) else [c.value]
        which = members[0] if len(members) == 1 else f"any one of {', '.join(members)}"
        change = (f"adding {which} to {c.input}" if c.change == "add"
                  else f"removing {which} from {c.input}")
    else:
        change = f"{c.input} {_words(c.current)} -> {_words(c.value)}"
    return f"{change}: {then}"


def explain_text(d: Decision) -> str:
    p = d.policy
    lines = [
        f"{p.title} ({p.family} {p.version}, sha256 {p.sha256[:12]}…), "
        f"decision date {d.decision_date.isoformat()}",
        "",
        d.summary,
        "",
        "Outcomes:",
    ]
    for name, status in d.outcomes.items():
        mark = "open   " if status.available else "blocked"
        why = f"  by {', '.join(status.blocked_by)}" if status.blocked_by else ""
        chosen = "  <- recommended" if name == d.outcome else ""
        lines.append(f"  {mark}  {name}{why}{chosen}")
    if d.derived:
        lines += ["", "Derived facts:"]
        lines += [f"  {k} = {v}" for k, v in d.derived.items()]
    if d.outputs:
        lines += ["", "Outputs:"]
        lines += [f"  {k} = {v}" for k, v in d.outputs.items()]
    if d.flags:
        lines += ["", "Flags: " + ", ".join(d.flags)]
    lines += ["", "Rules that fired:"]
    for r in d.reasons:
        facts = ", ".join(f"{k}={v}" for k, v in r.facts.items())
        lines.append(f"  [{r.rule}] {r.text}")
        lines.append(f"      read: {facts or '-'}; source: {r.source.title}, {r.source.section}")
    if d.counterfactuals:
        lines += ["", "The outcome hinges on:"]
        lines += [f"  {hinge_text(c)}" for c in d.counterfactuals]
    if d.warnings:
        lines += ["", "Warnings:"]
        lines += [f"  ! {w}" for w in d.warnings]
    return "\n".join(lines)
