"""``decision-engine``: the command line. One module per command group; exit code 2 for
bad input or a bad policy, with a message naming the field or file:line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from decision_engine import strict_json
from decision_engine.cli.common import command_group, fail, parse_date, store_or_fail
from decision_engine.errors import DecisionEngineError

app = command_group("decision-engine", "Versioned, explainable youth-justice decision policies.")


def read_json(field: str, path: Path) -> Any:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{field}: {path}: {exc.strerror}")
    try:
        return strict_json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{field}: {path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}")
    except strict_json.JSONFieldError as exc:
        fail(f"{field}: {path}: {exc}")


def emit(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


@app.command()
def decide(
    family: Annotated[str, typer.Argument(help="Policy family, e.g. gravity-matrix.")],
    case: Annotated[Path, typer.Option("--case", help="Case JSON file ('-' for stdin).")],
    on: Annotated[str | None, typer.Option("--on", help="Decision date YYYY-MM-DD "
                                           "(default today).")] = None,
    policy_version: Annotated[str | None, typer.Option(
        "--policy-version", help="Evaluate under this version (drafts only when named).")] = None,
    engine: Annotated[str, typer.Option(help="durable (default) or fast.")] = "durable",
    record: Annotated[bool, typer.Option("--record", help="Append the decision to the audit "
                                         "store (DECISION_ENGINE_DATABASE_URL).")] = False,
    actor: Annotated[str, typer.Option(help="Actor id recorded with --record.")] = "cli",
    role: Annotated[str, typer.Option(help="Actor role recorded with --record.")] = "panel",
    service_area: Annotated[str, typer.Option(help="Service area recorded with --record.")
                            ] = "default",
    explain: Annotated[bool, typer.Option("--explain", help="Print a readable explanation "
                                          "instead of JSON.")] = False,
) -> None:
    """Evaluate a case and print the decision with its reasons as JSON."""
    from decision_engine.engine import decide as run

    if engine not in ("durable", "fast"):
        fail(f"--engine: {engine!r}: expected durable or fast")
    day = parse_date("--on", on) or dt.date.today()
    data = read_json("--case", case)
    try:
        subject, decision = run(family, data, day, policy_version,
                                engine="fast" if engine == "fast" else "durable")
    except DecisionEngineError as exc:
        fail(str(exc))
    out = decision.as_json()
    if record:
        with store_or_fail() as store:
            ref = store.append_decision(decision, subject, actor_role=role, actor_id=actor,
                                        service_area=service_area)
        out = {"id": ref.id, "seq": ref.seq, "hash": ref.hash, **out}
    if explain:
        from decision_engine.cli.render import explain_text

        typer.echo(explain_text(decision))
        return
    emit(out)


@app.command()
def policies(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List policy families and their versions."""
    from decision_engine.policy.registry import Registry

    try:
        registry = Registry.load()
    except DecisionEngineError as exc:
        fail(str(exc))
    rows = [
        {"family": pv.family, "version": pv.version, "status": pv.entry.status,
         "effective_from": pv.entry.effective_from.isoformat(),
         "effective_to": pv.entry.effective_to.isoformat() if pv.entry.effective_to else None,
         "title": pv.policy.title, "sha256": pv.sha256, "file": pv.entry.file}
        for family in registry.families() for pv in registry.versions(family)
    ]
    if as_json:
        emit(rows)
        return
    for r in rows:
        until = r["effective_to"] or "(open)"
        typer.echo(f"{r['family']:<26} {r['version']:<22} {r['status']:<9} "
                   f"{r['effective_from']} → {until:<10}  {r['title']}")


@app.command()
def schema() -> None:
    """Print a JSON Schema (draft-07) of the policy language, for YAML editors."""
    from decision_engine.policy.schema import policy_json_schema

    emit(policy_json_schema())


@app.command()
def check(
    files: Annotated[list[Path] | None, typer.Argument(help="Policy files (default: the "
                                                       "whole registry).")] = None,
) -> None:
    """Validate policy files (or the registry and every file it names)."""
    from decision_engine.policy.registry import Registry, load_policy_file

    try:
        if files:
            for f in files:
                policy, _ = load_policy_file(f)
                typer.echo(f"ok  {f}  ({policy.family} {policy.version}, {len(policy.rules)} "
                           "rules)")
        else:
            registry = Registry.load()
            for family in registry.families():
                for pv in registry.versions(family):
                    typer.echo(f"ok  {pv.entry.file}  ({family} {pv.version})")
    except DecisionEngineError as exc:
        fail(str(exc))


def _mount_optional() -> None:
    """Command groups that live in their own modules."""
    from decision_engine.cli import authoring, credentials, serve, users
    from decision_engine.cli import diff as diff_cli
    from decision_engine.cli import lint as lint_cli
    from decision_engine.cli import prove as prove_cli
    serve.register(app)
    authoring.register(app)
    lint_cli.register(app)
    prove_cli.register(app)
    diff_cli.register(app)
    app.add_typer(credentials.credentials_app, name="credentials")
    app.add_typer(users.users_app, name="users")
    try:
        from decision_engine.cli.audit import audit_app
    except ImportError:
        return
    app.add_typer(audit_app, name="audit", help="Audit store: verify, checkpoint, replay, "
                  "export, erase.")


_mount_optional()
