"""``decision-engine credentials``: issue, list and revoke API keys for the HTTP service.

Keys are stored hashed in the audit database (``DECISION_ENGINE_DATABASE_URL``); the
secret is printed once by ``create`` and cannot be shown again. Exit 2 on bad input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from decision_engine.cli.common import (
    DatabaseOpt,
    command_group,
    os_user,
    own_command,
    store_or_fail,
)

if TYPE_CHECKING:
    from decision_engine_api.credentials import Credential, Credentials

credentials_app = command_group(
    "credentials", "API keys for the HTTP service: create (prints the key once), list, revoke.")


def _operator() -> str:
    return f"cli:{os_user()}"


@contextmanager
def _credentials(url: str | None) -> Iterator[Credentials]:
    from decision_engine_api.credentials import Credentials

    with store_or_fail(url) as store:
        yield Credentials(store.db)


def _as_json(cred: Credential) -> dict[str, object]:
    return {"key_id": cred.key_id, "name": cred.name, "role": cred.role,
            "service_area": cred.service_area, "created_at": cred.created_at,
            "created_by": cred.created_by, "revoked_at": cred.revoked_at,
            "revoked_by": cred.revoked_by}


@credentials_app.command()
def create(
    role: Annotated[str, typer.Option(help="panel, court_officer, case_manager, custody, "
                                      "auditor or policy_admin.")],
    name: Annotated[str, typer.Option(help="Who or what holds the key (person, team or "
                                      "system); recorded as the actor of every call.")],
    service_area: Annotated[str, typer.Option(
        help="The service area whose decisions the key records and sees.")] = "default",
    database_url: DatabaseOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Issue a key and print it once (only its hash is stored)."""
    with _credentials(database_url) as creds:
        cred, key = creds.create(role, name, service_area, created_by=_operator())
    if as_json:
        typer.echo(json.dumps({**_as_json(cred), "key": key}, indent=2))
        return
    typer.echo(f"key id:       {cred.key_id}\nrole:         {cred.role}\n"
               f"name:         {cred.name}\nservice area: {cred.service_area}\n\n"
               f"API key (shown once, store it now):\n{key}\n\n"
               f"Use it as:  Authorization: Bearer {key[:16]}...", err=False)


@credentials_app.command("list")
def list_(
    database_url: DatabaseOpt = None,
    active: Annotated[bool, typer.Option("--active", help="Only keys not revoked.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List keys (never their secrets)."""
    with _credentials(database_url) as creds:
        found = creds.list(include_revoked=not active)
    if as_json:
        typer.echo(json.dumps([_as_json(c) for c in found], indent=2))
        return
    if not found:
        typer.echo(f"no credentials; create one with: {own_command()} credentials create "
                   "--role ROLE --name NAME [--service-area AREA]")
        return
    for c in found:
        state = f"revoked {c.revoked_at}" if c.revoked_at else "active"
        typer.echo(f"{c.key_id}  {c.role:<13} {c.service_area:<16} {state:<36} {c.name}")


@credentials_app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id shown by create and list.")],
    database_url: DatabaseOpt = None,
) -> None:
    """Revoke a key; running services refuse it within their credential cache time
    (DECISION_ENGINE_CREDENTIAL_CACHE_SECONDS, default 5 s)."""
    with _credentials(database_url) as creds:
        cred = creds.revoke(key_id, revoked_by=_operator())
    typer.echo(f"revoked {cred.key_id} ({cred.role}, {cred.name}) at {cred.revoked_at}")
