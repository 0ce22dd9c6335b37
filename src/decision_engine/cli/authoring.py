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
    text = render_doc(pv, "html" if fmt == "html" else "md")
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
