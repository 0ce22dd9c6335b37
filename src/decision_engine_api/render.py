"""Policy versions as the API shows them: registry summaries and rendered tables.

Tables are given twice: as rows a program can read (key, columns, whether the row was
verified against its source, and the source) and as Markdown a person can read, so a
panel can see the exact matrix a decision was made under.
"""

from __future__ import annotations

from typing import Any

from decision_engine.authoring.render import render
from decision_engine.policy.model import Table
from decision_engine.policy.registry import PolicyVersion, Registry
from decision_engine.policy.registry import superseded_by as superseded_by_of
from decision_engine_api.models import PolicyVersionDetail, PolicyVersionSummary, RenderedTable


def summary(pv: PolicyVersion, registry: Registry | None = None) -> PolicyVersionSummary:
    e = pv.entry
    superseded_by = ([] if registry is None else
                     superseded_by_of(registry.family(pv.family), e))
    return PolicyVersionSummary(
        family=pv.family, version=pv.version, title=pv.policy.title, status=e.status,
        effective_from=e.effective_from, effective_to=e.effective_to,
        approved_by=e.approved_by, approved_on=e.approved_on, sha256=pv.sha256,
        note=e.note, href=f"/v1/policies/{pv.family}/{pv.version}",
        supersedes=e.supersedes, superseded_by=superseded_by, corrects=list(e.corrects))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) \
            else ", ".join(str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_table(name: str, table: Table) -> RenderedTable:
    columns = list(table.columns)
    rows: list[dict[str, Any]] = []
    for key, values in table.rows.items():
        source = values.get("source")
        rows.append({"key": key, **{c: values.get(c) for c in columns},
                     "verified": bool(values.get("verified", False)),
                     "source": source})
    header = ["key", *columns, "verified", "source"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row[h]) for h in header) + " |")
    return RenderedTable(name=name, description=table.description, columns=columns,
                         rows=rows, markdown="\n".join(lines))


def detail(pv: PolicyVersion, registry: Registry | None = None) -> PolicyVersionDetail:
    policy = pv.policy
    return PolicyVersionDetail(
        summary=summary(pv, registry), description=policy.description,
        outcomes=list(policy.outcomes),
        inputs={k: v.model_dump(mode="json", exclude_defaults=True)
                for k, v in policy.inputs.items()},
        parameters={k: v.model_dump(mode="json", exclude_defaults=True)
                    for k, v in policy.parameters.items()},
        tables=[render_table(n, t) for n, t in policy.tables.items()],
        rules=len(policy.rules), yaml=pv.text, document=render(pv, "md"))
