"""A decision as a person reads it: outcome, how it was reached, and what it rests on."""

from __future__ import annotations

from decision_engine.engine import Decision


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
    if d.warnings:
        lines += ["", "Warnings:"]
        lines += [f"  ! {w}" for w in d.warnings]
    return "\n".join(lines)
