"""What every command group shares: one way to fail, to read a date, to name the store."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from decision_engine.strict_json import parse_iso_date

if TYPE_CHECKING:
    from decision_engine.audit.store import Store

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
        return parse_iso_date(value)
    except ValueError:
        fail(f"{field}: {value!r}: expected a date as YYYY-MM-DD")


def os_user() -> str:
    """Who ran the command, for audit fields when no actor is named."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@contextmanager
def store_or_fail(url: str | None = None) -> Iterator[Store]:
    """An open audit store; a store error exits 2 with its message, never a traceback.

    A driver error met while using the store (damaged pages, a schema broken behind the
    store's back) is one line naming the database too.
    """
    from decision_engine.audit.db import DRIVER_ERRORS
    from decision_engine.audit.errors import DatabaseDamaged
    from decision_engine.audit.store import open_store
    from decision_engine.errors import DecisionEngineError

    try:
        store = open_store(url)
    except DecisionEngineError as exc:
        fail(str(exc))
    try:
        yield store
    except DecisionEngineError as exc:
        fail(str(exc))
    except DRIVER_ERRORS as exc:
        fail(str(DatabaseDamaged(store.url, exc)))
    finally:
        store.close()
