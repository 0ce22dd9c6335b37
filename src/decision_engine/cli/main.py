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


DATE_HOW = ('pass --on {day}, or give the case file a decision_date: '
            '{{"case": …, "decision_date": "{day}"}}')


def case_path(family: str, value: Path) -> Path:
    """``--case``: a file, '-', or the name of a bundled example of *family*."""
    if str(value) == "-" or value.exists():
        return value
    from decision_engine.engine.examples import find_example
    from decision_engine.policy.registry import default_root

    found = find_example(default_root(), family, str(value))
    if found is None:
        fail(f"--case: {value}: no such file, and no {family} example of that name "
             f"(`decision-engine examples {family}` lists them)")
    return found.path


@app.command()
def decide(
    family: Annotated[str, typer.Argument(help="Policy family, e.g. gravity-matrix.")],
    case: Annotated[Path, typer.Option("--case", help="Case JSON file ('-' for stdin), or "
                                       "an example's name (see `decision-engine examples`). "
                                       "A bare case, or {\"case\": …, \"decision_date\": …}.")],
    on: Annotated[str | None, typer.Option("--on", help="Decision date YYYY-MM-DD (default: "
                                           "the case file's decision_date, else today).")
                  ] = None,
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
    from decision_engine.engine import parse_request
    from decision_engine.errors import InputError

    if engine not in ("durable", "fast"):
        fail(f"--engine: {engine!r}: expected durable or fast")
    path = case_path(family, case)
    try:
        request = parse_request(read_json("--case", path))
        day = parse_date("--on", on) or request.decision_date or dt.date.today()
        subject, decision = run(family, request.case, day,
                                policy_version or request.policy_version,
                                engine="fast" if engine == "fast" else "durable")
    except InputError as exc:
        fail(str(exc) + exc.date_note(DATE_HOW))
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
def examples(
    family: Annotated[str | None, typer.Argument(help="Only this policy family.")] = None,
) -> None:
    """List the example cases (name, the date each was written for, file). Decide one with
    `decision-engine decide FAMILY --case NAME`; POST its file to /v1/decisions/FAMILY."""
    from decision_engine.engine.examples import examples as find
    from decision_engine.policy.registry import default_root

    found = find(default_root(), family)
    if not found:
        fail(f"no examples{' of ' + family if family else ''} under {default_root()}/examples")
    width = max(len(e.key) for e in found)
    for e in found:
        try:
            written_for = e.request().decision_date
        except (DecisionEngineError, ValueError) as exc:
            fail(f"{e.path}: {exc}")
        day = written_for.isoformat() if written_for else "(any day)"
        typer.echo(f"{e.key:<{width}}  {day:<10}  {e.path}")


@app.command()
def policies(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List policy families and their versions."""
    from decision_engine.policy.registry import Registry, superseded_by

    try:
        registry = Registry.load()
    except DecisionEngineError as exc:
        fail(str(exc))
    rows = [
        {"family": pv.family, "version": pv.version, "status": pv.entry.status,
         "effective_from": pv.entry.effective_from.isoformat(),
         "effective_to": pv.entry.effective_to.isoformat() if pv.entry.effective_to else None,
         "title": pv.policy.title, "sha256": pv.sha256, "file": pv.entry.file,
         "supersedes": pv.entry.supersedes,
         "superseded_by": superseded_by(registry.family(family), pv.entry)}
        for family in registry.families() for pv in registry.versions(family)
    ]
    if as_json:
        emit(rows)
        return
    fam_w = max((len(str(r["family"])) for r in rows), default=0)
    ver_w = max((len(str(r["version"])) for r in rows), default=0)
    for r in rows:
        until = r["effective_to"] or "(open)"
        later = (f"  (superseded by {', '.join(r['superseded_by'])})"
                 if r["superseded_by"] else "")
        typer.echo(f"{r['family']:<{fam_w}}  {r['version']:<{ver_w}}  {r['status']:<8}  "
                   f"{r['effective_from']} → {until:<10}  {r['title']}{later}")


@app.command()
def inputs(
    family: Annotated[str, typer.Argument(help="Policy family, e.g. gravity-matrix.")],
    on: Annotated[str | None, typer.Option("--on", help="The version in force on this date "
                                           "(default today).")] = None,
    policy_version: Annotated[str | None, typer.Option(
        "--policy-version", help="This version instead of the one in force.")] = None,
) -> None:
    """List the facts a policy version reads, each with its type and every accepted value."""
    from decision_engine.compiler.inputs import domain
    from decision_engine.policy.registry import Registry

    try:
        pv = Registry.load().select(family, parse_date("--on", on) or dt.date.today(),
                                    policy_version)
    except DecisionEngineError as exc:
        fail(str(exc))
    policy = pv.policy
    typer.echo(f"{family} {pv.version}: facts (age comes from the case's age or "
               "date_of_birth)")

    def line(name: str, spec: Any, indent: str) -> None:
        kind = spec.type
        if kind in ("enum", "set"):
            kind += ": " + ", ".join(domain(policy, spec))
        elif kind == "int" and (spec.min is not None or spec.max is not None):
            kind += f" {spec.min}..{spec.max}"
        optional = " (optional)" if getattr(spec, "optional", False) else ""
        typer.echo(f"{indent}{name}{optional}  {kind}")

    for name, spec in policy.inputs.items():
        line(name, spec, "  ")
        for item, field in (spec.items or {}).items():
            line(item, field, "      ")


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
    from decision_engine.cli import report as report_cli
    serve.register(app)
    authoring.register(app)
    lint_cli.register(app)
    prove_cli.register(app)
    diff_cli.register(app)
    report_cli.register(app)
    app.add_typer(credentials.credentials_app, name="credentials")
    app.add_typer(users.users_app, name="users")
    try:
        from decision_engine.cli.audit import audit_app
    except ImportError:
        return
    app.add_typer(audit_app, name="audit", help="Audit store: verify, checkpoint, replay, "
                  "export, erase.")


_mount_optional()
