"""Service configuration, read once from the environment.

Every knob has a default that works on a fresh machine (embedded SQLite in the working
directory, the bundled policies), so ``decision-engine serve`` needs no configuration;
``docs/api.md`` lists each variable. Settings are read in each worker process, which is
how uvicorn's ``--workers`` processes get the same configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from decision_engine.audit.config import DATABASE_URL_ENV, DEFAULT_DATABASE_URL
from decision_engine.errors import DecisionEngineError
from decision_engine.policy.registry import POLICY_ROOT_ENV

MAX_BODY_ENV = "DECISION_ENGINE_MAX_BODY_BYTES"
CREDENTIAL_CACHE_ENV = "DECISION_ENGINE_CREDENTIAL_CACHE_SECONDS"
REPLAY_ITEMS_ENV = "DECISION_ENGINE_REPLAY_MAX_ITEMS"
GROUP_COMMIT_ENV = "DECISION_ENGINE_GROUP_COMMIT"
BODY_TIMEOUT_ENV = "DECISION_ENGINE_BODY_TIMEOUT_SECONDS"
SESSION_IDLE_ENV = "DECISION_ENGINE_SESSION_IDLE_MINUTES"

DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_CREDENTIAL_CACHE_SECONDS = 5.0
DEFAULT_REPLAY_MAX_ITEMS = 1000
DEFAULT_BODY_TIMEOUT_SECONDS = 10.0
DEFAULT_SESSION_IDLE_MINUTES = 30


class SettingsError(DecisionEngineError):
    """An environment variable holds a value the service cannot use."""


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}: {value} is outside {low}..{high}")
    return value


def _float(name: str, default: float, low: float, high: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}: {value} is outside {low}..{high}")
    return value


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}: {raw!r}: expected 1/0, true/false, yes/no or on/off")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    policy_root: Path | None = None
    """``None``: the registry's own default (working directory, then the checkout)."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    credential_cache_seconds: float = DEFAULT_CREDENTIAL_CACHE_SECONDS
    """How long a verified credential is trusted without asking the database again; a
    revocation takes effect within this time in every worker."""
    replay_max_items: int = DEFAULT_REPLAY_MAX_ITEMS
    """Most differing decisions a bulk replay job keeps in its result."""
    group_commit: bool = True
    """Batch concurrent decision appends into one transaction (one fsync)."""
    body_timeout_seconds: float = DEFAULT_BODY_TIMEOUT_SECONDS
    """Longest time a request body may take to arrive (408 and the connection closed)."""
    session_idle_seconds: float = DEFAULT_SESSION_IDLE_MINUTES * 60.0
    """A signed-in page session ends after this long without a request."""

    @classmethod
    def from_env(cls) -> Settings:
        root = os.environ.get(POLICY_ROOT_ENV)
        return cls(
            database_url=os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL,
            policy_root=Path(root) if root else None,
            max_body_bytes=_int(MAX_BODY_ENV, DEFAULT_MAX_BODY_BYTES, 1024, 16 * 1024 * 1024),
            credential_cache_seconds=_float(CREDENTIAL_CACHE_ENV,
                                            DEFAULT_CREDENTIAL_CACHE_SECONDS, 0.0, 300.0),
            replay_max_items=_int(REPLAY_ITEMS_ENV, DEFAULT_REPLAY_MAX_ITEMS, 0, 100_000),
            group_commit=_flag(GROUP_COMMIT_ENV, True),
            body_timeout_seconds=_float(BODY_TIMEOUT_ENV, DEFAULT_BODY_TIMEOUT_SECONDS,
                                        0.1, 3600.0),
            session_idle_seconds=60.0 * _int(SESSION_IDLE_ENV, DEFAULT_SESSION_IDLE_MINUTES,
                                             1, 24 * 60),
        )
