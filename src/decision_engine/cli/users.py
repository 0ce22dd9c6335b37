"""``decision-engine users``: people who sign in to the pages (API keys are for systems).

The password is read from the terminal (asked twice) or, for scripts, one line from
standard input with ``--password-stdin``; it is never an option (it would sit in the
shell history and the process list). Only its argon2id hash is stored. Exit 2 on bad
input.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from decision_engine.cli.common import DatabaseOpt, command_group, fail, os_user, store_or_fail

if TYPE_CHECKING:
    from decision_engine_api.people import People, User

users_app = command_group(
    "users", "People who sign in to the pages: create (asks for a password), list, revoke.")


@contextmanager
def _people(url: str | None) -> Iterator[People]:
    from decision_engine_api.people import People

    with store_or_fail(url) as store:
        yield People(store.db)


def _as_json(user: User) -> dict[str, object]:
    return {"username": user.username, "role": user.role, "service_area": user.service_area,
            "created_at": user.created_at, "created_by": user.created_by,
            "revoked_at": user.revoked_at, "revoked_by": user.revoked_by}


@users_app.command()
def create(
    username: Annotated[str, typer.Argument(help="The name the person signs in with.")],
    role: Annotated[str, typer.Option(help="panel, court_officer, case_manager, custody, "
                                      "auditor or policy_admin.")],
    service_area: Annotated[str, typer.Option(
        help="The service area whose decisions the person records and sees.")] = "default",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a user (at least 12 characters of password, hashed with argon2id)."""
    from decision_engine_api.people import UserError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _people(database_url) as people:
        try:
            user = people.create(username, password, role, service_area,
                                 created_by=f"cli:{os_user()}")
        except UserError as exc:
            fail(str(exc))
    typer.echo(f"created {user.username} ({user.role}, service area {user.service_area})")


@users_app.command("list")
def list_(
    database_url: DatabaseOpt = None,
    active: Annotated[bool, typer.Option("--active", help="Only users not revoked.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List users (never their password hashes)."""
    with _people(database_url) as people:
        found = people.list(include_revoked=not active)
    if as_json:
        typer.echo(json.dumps([_as_json(u) for u in found], indent=2))
        return
    if not found:
        typer.echo("no users; create one with: decision-engine users create NAME --role ROLE "
                   "[--service-area AREA]")
        return
    for u in found:
        state = f"revoked {u.revoked_at}" if u.revoked_at else "active"
        typer.echo(f"{u.username:<24} {u.role:<13} {u.service_area:<16} {state}")


@users_app.command()
def revoke(
    username: Annotated[str, typer.Argument(help="The user to revoke.")],
    database_url: DatabaseOpt = None,
) -> None:
    """Revoke a user and end their sessions at once."""
    from decision_engine_api.people import UserError

    with _people(database_url) as people:
        try:
            user = people.revoke(username, revoked_by=f"cli:{os_user()}")
        except UserError as exc:
            fail(str(exc))
    typer.echo(f"revoked {user.username} ({user.role}) at {user.revoked_at}")
