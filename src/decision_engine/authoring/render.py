"""A policy version as a document for a reader: Markdown or self-contained HTML.

The document is built once as a list of blocks and written out by either emitter, so the
two formats always say the same thing. Anchors are stable and derived from names in the
policy file, so a decision page can link ``…#rule-<id>``, ``#row-<table>-<key>``,
``#param-<name>``, ``#table-<name>`` or ``#doc-<document>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from decision_engine.authoring import words
from decision_engine.policy import model as m
from decision_engine.policy.registry import PolicyVersion

Format = Literal["md", "html"]


_KIND = {"local_setting": "a local setting: the service confirms its choice",
         "reading": "a reading of a published text: confirm it against the source"}

def anchor(kind: str, *names: str) -> str:
    """A stable fragment id: ``rule-band-3-youth-caution``, ``row-offences-robbery``."""
    return "-".join([kind, *(re.sub(r"[^a-z0-9_.-]+", "-", n.lower()) for n in names)])


@dataclass
class Heading:
    level: int
    text: str
    id: str | None = None


@dataclass
class Para:
    text: str


@dataclass
class Grid:
    header: list[str]
    rows: list[list[str]]
    row_ids: list[str | None] = field(default_factory=list)


@dataclass
class Item:
    """A named entry (a rule, a property) with its own anchor and lines of detail."""

    id: str
    title: str
    lines: list[tuple[str, str]]


Block = Heading | Para | Grid | Item


def _source(src: m.Source | Mapping[str, Any] | None, policy: m.Policy) -> str:
    if src is None:
        return ""
    if isinstance(src, m.Source):
        doc, section = src.document, src.section
    else:
        doc, section = str(src.get("document", "")), str(src.get("section", ""))
    title = policy.documents[doc].title if doc in policy.documents else doc
    return f"{doc} ({title}), {section}"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    return words.value(v)


def blocks(pv: PolicyVersion, proofs: Mapping[str, str] | None = None,
           signoffs: Mapping[str, str] | None = None) -> list[Block]:
    """The document. ``proofs``: property name → its proof status in words (omitted when
    the caller did not run the proofs). ``signoffs``: ``table/row`` or ``param:name`` →
    a local sign-off in words, shown beside the row it verifies."""
    policy, entry = pv.policy, pv.entry
    signoffs = signoffs or {}
    out: list[Block] = [Heading(1, f"{policy.title}", anchor("policy", pv.family, pv.version))]
    if policy.description:
        out.append(Para(policy.description.strip()))
    until = entry.effective_to.isoformat() if entry.effective_to else "until replaced"
    approval = [
        ["family", pv.family], ["version", pv.version], ["status", entry.status],
        ["in force from", entry.effective_from.isoformat()],
        ["in force until (exclusive)", until],
        ["approved by", entry.approved_by or "(not approved)"],
        ["approved on", entry.approved_on.isoformat() if entry.approved_on else ""],
        ["file", entry.file], ["sha256", pv.sha256],
    ]
    if entry.supersedes:
        approval.append(["supersedes", entry.supersedes])
    for i, text in enumerate(entry.corrects, 1):
        approval.append([f"corrects ({i})", text])
    if entry.entry_sha256:
        approval.append(["entry sha256", entry.entry_sha256])
    if entry.note:
        approval.append(["note", entry.note])
    out += [Heading(2, "Dates and approval", "approval"), Grid(["", ""], approval)]

    out += [Heading(2, "Outcomes", "outcomes"),
            Para("From least to most severe: " + ", ".join(policy.outcomes) + ". When no "
                 f"rule indicates an outcome: {policy.resolution.default}. When the indicated "
                 "outcome is blocked: " + ("the next less severe open outcome."
                                           if policy.resolution.when_blocked == "next_less_severe"
                                           else "no outcome."))]

    out.append(Heading(2, "Inputs", "inputs"))
    out.append(Grid(["input", "domain", "default", "description"], [
        [name, words.input_domain(i) + (" (optional)" if i.optional else "")
         + (" — shown, never read by a rule" if i.informs_only else ""),
         _cell(i.default), i.description] for name, i in policy.inputs.items()],
        [anchor("input", n) for n in policy.inputs]))
    if policy.monitoring:
        out.append(Para("Recorded for disproportionality monitoring only, never read by a "
                        "rule: " + ", ".join(policy.monitoring) + "."))
    if policy.consults:
        out.append(Heading(2, "Other policies consulted", "consults"))
        out.append(Grid(["fact", "family", "reads", "passes"], [
            [name, c.family, ", ".join(f"{k} = {v}" for k, v in c.expose.items()),
             ", ".join(c.pass_facts)] for name, c in policy.consults.items()]))

    if policy.parameters:
        out.append(Heading(2, "Parameters", "parameters"))
        out.append(Grid(["parameter", "value", "verified", "to confirm", "source",
                         "description"], [
            [name, words.value(p.value), _verified(p.verified, signoffs.get(f"param:{name}")),
             "" if p.verified or f"param:{name}" in signoffs else _KIND[p.kind],
             _source(p.source, policy),
             p.description] for name, p in policy.parameters.items()],
            [anchor("param", n) for n in policy.parameters]))

    for tname, table in policy.tables.items():
        out.append(Heading(2, f"Table {tname}", anchor("table", tname)))
        if table.description:
            out.append(Para(table.description))
        cols = list(table.columns)
        out.append(Grid(["key", *cols, "verified", "source"], [
            [key, *(_cell(row.get(c)) for c in cols),
             _verified(bool(row.get("verified", False)), signoffs.get(f"{tname}/{key}")),
             _source(row.get("source"), policy)] for key, row in table.rows.items()],
            [anchor("row", tname, k) for k in table.rows]))

    if policy.derived:
        out.append(Heading(2, "Derived facts", "derived"))
        out.append(Grid(["fact", "is", "description"], [
            [name, words.expression(d.expr, policy), d.description]
            for name, d in policy.derived.items()], [anchor("derived", n) for n in policy.derived]))

    out.append(Heading(2, "Rules", "rules"))
    for rule in policy.rules:
        lines = [("in words", words.rule_sentence(rule, policy)), ("reason given", rule.reason),
                 ("source", _source(rule.source, policy))]
        if rule.description:
            lines.insert(0, ("description", rule.description))
        if not rule.verified:
            lines.append(("verified", "no: its content could not be checked against the "
                          "source; a decision it takes part in carries a warning"))
        out.append(Item(anchor("rule", rule.id), rule.id, lines))

    if policy.outputs:
        out.append(Heading(2, "Outputs", "outputs"))
        out.append(Grid(["output", "is", "description"], [
            [name, words.expression(d.expr, policy), d.description]
            for name, d in policy.outputs.items()], [anchor("output", n) for n in policy.outputs]))

    props: Any = getattr(policy, "properties", None)
    if props:
        out.append(Heading(2, "Properties", "properties"))
        items = props.items() if isinstance(props, Mapping) else (
            (getattr(p, "id", getattr(p, "name", str(i))), p) for i, p in enumerate(props))
        for name, prop in items:
            lines = [("states", str(getattr(prop, "description", "") or getattr(prop, "text", "")))]
            src = getattr(prop, "source", None)
            if src is not None:
                lines.append(("source", _source(src, policy)))
            status = (proofs or {}).get(name)
            lines.append(("proof", status or "not run for this document "
                          "(`decision-engine prove` checks it)"))
            out.append(Item(anchor("property", str(name)), str(name), lines))

    out.append(Heading(2, "Documents cited", "documents"))
    out.append(Grid(["id", "title", "address"], [
        [key, d.title, d.url or ""] for key, d in policy.documents.items()],
        [anchor("doc", k) for k in policy.documents]))
    return out


def _verified(verified: bool, signoff: str | None) -> str:
    if verified:
        return "yes"
    return f"signed off locally: {signoff}" if signoff else "no"


# -- emitters ---------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(doc: list[Block]) -> str:
    lines: list[str] = []
    for b in doc:
        if isinstance(b, Heading):
            if b.id:
                lines.append(f'<a id="{b.id}"></a>')
            lines += ["#" * b.level + " " + b.text, ""]
        elif isinstance(b, Para):
            lines += [b.text, ""]
        elif isinstance(b, Grid):
            lines.append("| " + " | ".join(b.header) + " |")
            lines.append("|" + "---|" * len(b.header))
            for i, row in enumerate(b.rows):
                rid = b.row_ids[i] if i < len(b.row_ids) else None
                cells = [_md_escape(c) for c in row]
                if rid:
                    cells[0] = f'<a id="{rid}"></a>{cells[0]}'
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
        else:
            lines += [f'<a id="{b.id}"></a>', f"### `{b.title}`", ""]
            lines += [f"- **{k}:** {v}" for k, v in b.lines]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.92rem}
th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}tr:target,section:target{background:#fff4c2}
section.item{border-left:4px solid #1d70b8;padding:.2rem .8rem;margin:0 0 1rem}
dt{font-weight:600}dd{margin:0 0 .4rem 1rem}code{font-size:.95em}
"""


def to_html(doc: list[Block], title: str) -> str:
    """A complete page with inline style: no script, font or stylesheet from anywhere."""
    e = html.escape
    parts = ['<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
             f"<title>{e(title)}</title><style>{_CSS}</style></head><body>"]
    for b in doc:
        if isinstance(b, Heading):
            ident = f' id="{e(b.id)}"' if b.id else ""
            parts.append(f"<h{b.level}{ident}>{e(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            parts.append(f"<p>{e(b.text)}</p>")
        elif isinstance(b, Grid):
            rows = []
            if any(b.header):
                rows.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in b.header) + "</tr>")
            for i, row in enumerate(b.rows):
                rid = b.row_ids[i] if i < len(b.row_ids) else None
                ident = f' id="{e(rid)}"' if rid else ""
                rows.append(f"<tr{ident}>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
            parts.append("<table>" + "".join(rows) + "</table>")
        else:
            dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in b.lines)
            parts.append(f'<section class="item" id="{e(b.id)}"><h3><code>{e(b.title)}</code>'
                         f"</h3><dl>{dl}</dl></section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def render(pv: PolicyVersion, fmt: Format = "md", proofs: Mapping[str, str] | None = None,
           signoffs: Mapping[str, str] | None = None) -> str:
    """The policy version as a Markdown or self-contained HTML document."""
    doc = blocks(pv, proofs, signoffs)
    if fmt == "html":
        return to_html(doc, f"{pv.policy.title} ({pv.family} {pv.version})")
    return to_markdown(doc)
