"""``decision-engine report NAME --from --to``: a board report from the audit store, and
``decision-engine demo-data``: a synthetic history to try the reports on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from decision_engine.cli.common import DatabaseOpt, fail, os_user, parse_date, store_or_fail


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command("demo-data")(demo_data)


def report(
    name: Annotated[str, typer.Argument(help="disproportionality, departures, refer-backs "
                                        "or pace-transfers.")],
    date_from: Annotated[str, typer.Option("--from", help="First decision date, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last decision date, YYYY-MM-DD.")],
    area: Annotated[str | None, typer.Option("--area", help="Service area (default: all).")
                    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, csv or json.")] = "html",
    family: Annotated[str | None, typer.Option(
        help="Policy family (disproportionality and departures; default gravity-matrix).")
                      ] = None,
    group_by: Annotated[str, typer.Option(
        "--group-by", help="Monitoring field to group by: ethnicity, sex, age_band, "
        "looked_after, disability…")] = "ethnicity",
    reference: Annotated[str | None, typer.Option(
        help="Reference group for the relative rate index (default: the largest).")] = None,
    threshold: Annotated[int, typer.Option(
        help="Suppress counts below this (0 suppresses nothing).")] = 5,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="File to write (html, json); for csv a folder that gets one "
        "file per table. Default: standard output.")] = None,
    justification: Annotated[str | None, typer.Option(
        help="Why the report is run (logged in the chain).")] = None,
    actor: Annotated[str | None, typer.Option(help="Actor id logged (default: OS user).")
                     ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Build a report over stored decisions; the access is logged in the chain first."""
    from decision_engine.audit.records import AccessContext
    from decision_engine.errors import DecisionEngineError
    from decision_engine.policy.registry import Registry
    from decision_engine.reports import Scope, generate
    from decision_engine.reports import render as out_fmt

    if fmt not in ("html", "csv", "json"):
        fail(f"--format: {fmt!r}: expected html, csv or json")
    start, end = parse_date("--from", date_from), parse_date("--to", date_to)
    assert start is not None and end is not None
    access = AccessContext(actor_role="auditor", actor_id=actor or os_user(),
                           service_area=area or "*",
                           justification=justification or f"board report {name} (command line)")
    with store_or_fail(database_url) as store:
        try:
            scope = Scope(start, end, area, family, group_by, reference, threshold)
            built = generate(store, Registry.load(), name, scope, access)
        except DecisionEngineError as exc:
            fail(str(exc))
    if fmt == "csv":
        files = out_fmt.to_csv(built)
        if out is None:
            for file, text in files.items():
                typer.echo(f"# {file}")
                typer.echo(text, nl=False)
            return
        try:
            out.mkdir(parents=True, exist_ok=True)
            for file, text in files.items():
                (out / file).write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"--out: {out}: {exc.strerror}")
        typer.echo(f"wrote {len(files)} CSV files to {out}", err=True)
        return
    text = out_fmt.to_json(built) if fmt == "json" else out_fmt.to_html(built)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"--out: {out}: {exc.strerror}")
    typer.echo(f"wrote {out}", err=True)


def demo_data(
    cases: Annotated[int, typer.Option("--cases", min=1, help="How many cases to decide "
                                       "and record.")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same cases.")] = 1,
    area: Annotated[str, typer.Option("--area", help="Service area recorded.")] = "demo",
    database_url: DatabaseOpt = None,
) -> None:
    """Fill the store with a synthetic history (all families, versions, several years)
    through the real recording path, to try the reports and pages on."""
    from decision_engine.reports.demo import fill

    with store_or_fail(database_url) as store:
        result = fill(store, cases, seed=seed, area=area,
                      progress=lambda n: typer.echo(f"\r{n:,} / {cases:,}", err=True,
                                                    nl=False))
    typer.echo(f"\nrecorded {result.decisions:,} decisions and {result.finals:,} final "
               f"decisions in {result.seconds:.1f} s "
               f"({result.decisions / max(result.seconds, 1e-9):,.0f} decisions/s)", err=True)
