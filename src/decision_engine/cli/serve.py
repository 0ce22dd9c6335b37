"""``decision-engine serve``: run the HTTP service under uvicorn.

The store is opened (and migrated) and the policies loaded here first, so a bad
configuration is reported as one line with exit code 2 instead of a worker traceback.
Scale with ``--workers`` (processes): each call into durable-rules holds the interpreter
lock, so one process evaluates on one core at a time however many threads it has.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command()(serve)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (one "
                                         "per core is a good start).")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[bool, typer.Option(
        "--access-log/--no-access-log",
        help="One log line per request (method, path, status; never bodies).")] = True,
) -> None:
    """Run the HTTP API (OpenAPI at /docs) on the audit store and bundled policies.

    Configuration is by environment variable (see docs/api.md):
    DECISION_ENGINE_DATABASE_URL, DECISION_ENGINE_POLICY_ROOT,
    DECISION_ENGINE_MAX_BODY_BYTES, DECISION_ENGINE_CREDENTIAL_CACHE_SECONDS,
    DECISION_ENGINE_REPLAY_MAX_ITEMS, DECISION_ENGINE_GROUP_COMMIT,
    DECISION_ENGINE_BODY_TIMEOUT_SECONDS.
    """
    import uvicorn

    from decision_engine.audit import open_store
    from decision_engine.cli.common import own_command
    from decision_engine.errors import DecisionEngineError
    from decision_engine.policy.registry import Registry
    from decision_engine_api.credentials import Credentials
    from decision_engine_api.settings import Settings

    try:
        settings = Settings.from_env()
        registry = Registry.load(settings.policy_root)
        with open_store(settings.database_url) as store:
            active = Credentials(store.db).count_active()
            where = store.url
    except DecisionEngineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    families = ", ".join(registry.families())
    typer.echo(f"decision-engine: store {where}; policies {registry.root} ({families})",
               err=True)
    typer.echo(f"decision-engine: API on http://{host}:{port}  (docs: /docs)", err=True)
    if active == 0:
        typer.echo(
            "decision-engine: no API credentials exist yet, so every /v1 call will be "
            "refused (401).\n  Create one (the key is printed once):\n"
            f"    {own_command()} credentials create --role panel --name \"Your Name\" "
            "--service-area default", err=True)
    # Workers stop when this process dies, even by SIGKILL (decision_engine_api.master).
    os.environ["DECISION_ENGINE_SERVE_PID"] = str(os.getpid())
    uvicorn.run("decision_engine_api.app:create_app", factory=True, host=host, port=port,
                workers=workers,
                log_level=log_level, access_log=access_log, server_header=False,
                proxy_headers=False)
