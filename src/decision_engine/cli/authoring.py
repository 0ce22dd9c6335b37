"""``render``, ``test``, ``approve``, ``verify-row``: commands for the people who maintain
policies. Thin: the work is in ``decision_engine.authoring``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from decision_engine.cli.common import fail
from decision_engine.errors import DecisionEngineError

if TYPE_CHECKING:
    from decision_engine.policy.registry import Registry


def register(app: typer.Typer) -> None:
    app.command()(render)
    app.command("test")(run_tests)
    app.command()(approve)
    app.command("verify-row")(verify_row)


def _registry(root: Path | None = None) -> Registry:
    from decision_engine.policy.registry import Registry

    try:
        return Registry.load(root)
    except DecisionEngineError as exc:
        fail(str(exc))


def render(
    family: Annotated[str, typer.Argument(help="Policy family, e.g. gravity-matrix.")],
    version: Annotated[str, typer.Argument(help="Version, e.g. npcc-2025.")],
    fmt: Annotated[str, typer.Option("--format", help="md (Markdown) or html (one "
                                     "self-contained page).")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file "
                                                "instead of standard output.")] = None,
) -> None:
    """Print a policy version as a document for a reader: dates, approval, tables, every
    rule in words with its source (anchors #rule-<id>)."""
    from decision_engine.authoring.render import render as render_doc

    if fmt not in ("md", "html"):
        fail(f"--format: {fmt!r}: expected md or html")
    registry = _registry()
    try:
        pv = registry.get(family, version)
    except DecisionEngineError as exc:
        fail(str(exc))
    text = render_doc(pv, "html" if fmt == "html" else "md",
                      signoffs=registry.signoffs.for_version(family, version))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def run_tests(
    family: Annotated[str | None, typer.Argument(help="Policy family (default: all).")] = None,
    from_examples: Annotated[bool, typer.Option(
        "--from-examples", help="(Re)write rules/<family>/tests/examples.yaml from what the "
        "examples under examples/<family>/ decide now, then run the tests.")] = False,
) -> None:
    """Run the policy tests under rules/<family>/tests/*.yaml. Exit 0 when all pass, 1
    when one fails, 2 when a test file or the registry is malformed."""
    from decision_engine.authoring.policytests import from_examples as snapshot
    from decision_engine.authoring.policytests import run_family, write_tests

    registry = _registry()
    try:
        families = [family] if family else registry.families()
        for fam in families:
            registry.family(fam)
            if from_examples:
                path = write_tests(registry.root, fam, "examples.yaml", snapshot(registry, fam))
                typer.echo(f"wrote {path.relative_to(registry.root)}")
        results = run_family(registry, family)
    except DecisionEngineError as exc:
        fail(str(exc))
    for r in results:
        typer.echo(r.report())
    failed = sum(not r.ok for r in results)
    typer.echo(f"{len(results) - failed} passed, {failed} failed")
    if not results:
        fail("no policy tests found under rules/*/tests/", 1)
    if failed:
        raise typer.Exit(1)


def approve(
    family: Annotated[str, typer.Argument(help="Policy family.")],
    version: Annotated[str, typer.Argument(help="The draft version to approve.")],
    by: Annotated[str, typer.Option("--by", help="Who approves (recorded as approved_by).")],
    on: Annotated[str | None, typer.Option("--on", help="Approval date YYYY-MM-DD "
                                           "(default today).")] = None,
    effective_from: Annotated[str | None, typer.Option(
        "--from", help="In force from (default: the draft's effective_from).")] = None,
    effective_to: Annotated[str | None, typer.Option(
        "--to", help="In force until, exclusive (default: open).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run the checks and show the "
                                          "diff; write nothing.")] = False,
) -> None:
    """Check a draft (schema and checker, its policy tests), show its diff against the
    version it replaces, and only then write status, dates, sha256 and the entry pin into
    policies.yaml. Exit 1 when a check fails (nothing written), 2 on bad input."""
    import datetime as dt

    from decision_engine.authoring.approve import ApprovalError, file_diff, gate, write_approval
    from decision_engine.cli.common import parse_date

    if not by.strip():
        fail("--by: must name who approves")
    day = parse_date("--on", on) or dt.date.today()
    start, end = parse_date("--from", effective_from), parse_date("--to", effective_to)
    registry = _registry()
    result = gate(registry.root, family, version)
    for step in result.steps:
        typer.echo(f"{'ok  ' if step.ok else 'FAIL'}  {step.name}")
        for line in step.lines:
            typer.echo(f"      {line}")
    if not result.ok:
        typer.echo(f"not approved: {family} {version} fails the checks above; nothing written")
        raise typer.Exit(1)
    typer.echo(file_diff(registry, family, version))
    if dry_run:
        typer.echo("dry run: nothing written")
        return
    try:
        entry = write_approval(registry.root, family, version, by, day, start, end)
    except (ApprovalError, DecisionEngineError) as exc:
        fail(str(exc))
    typer.echo(f"approved {family} {version} by {entry.approved_by} on {entry.approved_on}: "
               f"sha256 {entry.sha256}, entry_sha256 {entry.entry_sha256}")


def verify_row(
    family: Annotated[str, typer.Argument(help="Policy family.")],
    version: Annotated[str, typer.Argument(help="Policy version.")],
    target: Annotated[str, typer.Argument(help="The unverified value: `table/row` (e.g. "
                                          "offences/theft_from_shop) or `param:name`.")],
    by: Annotated[str, typer.Option("--by", help="Who checked it (recorded).")],
    document: Annotated[str, typer.Option("--document", help="The primary source checked "
                                          "(title or reference).")],
    page: Annotated[str, typer.Option("--page", help="Where in it (page, section).")],
    effective_from: Annotated[str | None, typer.Option(
        "--from", help="Decisions dated on or after this day use it (default and earliest: "
        "two days from today, so no recorded decision changes on replay).")] = None,
    note: Annotated[str, typer.Option("--note", help="Anything else worth keeping.")] = "",
) -> None:
    """Record the service's own check of an unverified table row or parameter against the
    primary source: decisions from --from on show the sign-off instead of a warning. The
    policy file is not touched; signoffs.yaml is appended to (and pinned)."""
    from decision_engine.authoring.signoff import write_signoff
    from decision_engine.cli.common import parse_date

    for name, value in (("--by", by), ("--document", document), ("--page", page)):
        if not value.strip():
            fail(f"{name}: must not be empty")
    registry = _registry()
    try:
        entry = write_signoff(registry.root, family, version, target, by=by,
                              document=document, page=page,
                              effective_from=parse_date("--from", effective_from), note=note)
    except DecisionEngineError as exc:
        fail(str(exc))
    except ValueError as exc:  # pydantic: a malformed target or field
        fail(f"{target}: {str(exc).splitlines()[-1].strip()}" if "target" in str(exc)
             else str(exc).splitlines()[0])
    typer.echo(f"signed off {family} {version} {entry.target}: {entry.words()}; in effect "
               f"for decisions from {entry.effective_from.isoformat()} (signoffs.yaml, "
               f"entry_sha256 {entry.entry_sha256})")
