"""``decision-engine lint [FILE…]``: findings with file:line:col and a stable code.

Exit codes for CI: 0 clean (notes and accepted findings allowed), 1 findings, 2 a usage
or load error (a file that does not exist, a registry that does not load)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from decision_engine.cli.common import fail


def register(app: typer.Typer) -> None:
    app.command()(lint)


def lint(
    files: Annotated[list[Path] | None, typer.Argument(
        help="Policy files (default: every file in the registry).")] = None,
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Find schema errors, unknown names, rules that never fire, gaps, overlaps,
    conflicting outputs and protected characteristics, each with an example case."""
    from decision_engine.authoring.lint import Linted, lint_file, lint_registry
    from decision_engine.errors import DecisionEngineError
    from decision_engine.policy.registry import Registry

    if format not in ("text", "json"):
        fail(f"--format: {format!r}: expected text or json")
    try:
        registry = Registry.load()
    except DecisionEngineError as exc:
        if not files:
            fail(str(exc))
        registry = None
    results: list[Linted] = []
    try:
        if files:
            results = [lint_file(f, str(f), registry) for f in files]
        else:
            results = lint_registry(registry)
    except DecisionEngineError as exc:
        fail(str(exc))
    findings = [f for r in results for f in r.findings]
    failing = sum(1 for f in findings if f.counts)
    if format == "json":
        typer.echo(json.dumps({"files": [r.file for r in results], "failing": failing,
                               "findings": [f.as_json() for f in findings]},
                              indent=2, ensure_ascii=False))
    else:
        for f in findings:
            typer.echo(f.text())
        typer.echo(f"{len(results)} file(s), {failing} finding(s)"
                   + (f", {len(findings) - failing} note(s) or accepted" if
                      len(findings) > failing else ""))
    raise typer.Exit(1 if failing else 0)
