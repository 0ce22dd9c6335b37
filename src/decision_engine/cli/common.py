"""What every command group shares: one way to fail, to read a date, to name the store."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, NoReturn

import typer

DatabaseOpt = Annotated[str | None, typer.Option(
    "--database-url", envvar="DECISION_ENGINE_DATABASE_URL", show_envvar=True,
    help="sqlite:///path or postgresql://... (default sqlite:///./decision-engine.db).")]


def command_group(name: str, help: str) -> typer.Typer:
    return typer.Typer(name=name, help=help, no_args_is_help=True,
                       pretty_exceptions_enable=False, add_completion=False)


def fail(message: str, code: int = 2) -> NoReturn:
    """Exit with the message on stderr; 2 means bad input or a bad policy."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def parse_date(field: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{field}: {value!r}: expected a date as YYYY-MM-DD")
