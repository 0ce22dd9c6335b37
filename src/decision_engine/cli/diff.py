"""``decision-engine diff FAMILY V1 V2``: what changed and which cases it changes."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from decision_engine.cli.common import fail, store_or_fail


def register(app: typer.Typer) -> None:
    app.command()(diff)


def diff(
    family: Annotated[str, typer.Argument(help="Policy family.")],
    v1: Annotated[str, typer.Argument(help="The version before.")],
    v2: Annotated[str, typer.Argument(help="The version after.")],
    database: Annotated[str | None, typer.Option(
        "--database", help="Audit store URL: count recorded V1 decisions that V2 changes.")
                        ] = None,
    limit: Annotated[int, typer.Option(help="Patterns shown per outcome change.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Changed rows, parameters, rules and properties; every reduced case whose outcome
    changes, as readable patterns; with --database, recorded decisions that change."""
    from decision_engine.authoring.diff import diff as run
    from decision_engine.authoring.diff import recorded_changes
    from decision_engine.errors import DecisionEngineError
    from decision_engine.policy.registry import Registry

    try:
        registry = Registry.load()
        result = run(registry, family, v1, v2)
    except DecisionEngineError as exc:
        fail(str(exc))
    if database is not None:
        with store_or_fail(database) as store:
            result.recorded = recorded_changes(store, registry, family, v1, v2,
                                               str(registry.root))
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
        return
    for line in result.lines(limit):
        typer.echo(line)
