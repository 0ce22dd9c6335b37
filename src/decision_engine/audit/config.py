"""Where the store lives and how long identifiers are kept.

``DECISION_ENGINE_DATABASE_URL`` selects the backend:

* ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db`` (default
  ``sqlite:///./decision-engine.db``) — embedded, one machine.
* ``postgresql://user@host:port/db`` (``postgres://`` also accepted) — several processes
  or machines sharing one chain. Any libpq parameter may be added, e.g.
  ``?options=-csearch_path%3Daudit`` to keep the tables in schema ``audit``.

Retention (how long a child's identifiers are kept after a decision is recorded) is set
per family, see :func:`load_retention`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from decision_engine.audit.errors import ConfigError

DATABASE_URL_ENV = "DECISION_ENGINE_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///./decision-engine.db"
RETENTION_ENV = "DECISION_ENGINE_RETENTION"
RETENTION_FILE_ENV = "DECISION_ENGINE_RETENTION_FILE"

Backend = Literal["sqlite", "postgresql"]


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    backend: Backend
    target: str
    """SQLite: the file path. PostgreSQL: the libpq connection URL."""

    @property
    def dsn(self) -> str:
        """The URL again, e.g. for worker processes (contains any password)."""
        return f"sqlite:///{self.target}" if self.backend == "sqlite" else self.target

    @property
    def redacted(self) -> str:
        """The URL with any password removed, safe for logs and messages."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.target}"
        parts = urlsplit(self.target)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            netloc = f"{userinfo.split(':', 1)[0]}@{host}"
        return urlunsplit(parts._replace(netloc=netloc))


def database_url(url: str | None = None) -> DatabaseURL:
    """Parse *url*, or the environment's, or the default."""
    raw = url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL
    if raw.startswith("sqlite:///"):
        path = raw[len("sqlite:///"):]
        if not path or path == ":memory:":
            raise ConfigError("sqlite URL needs a file path: an in-memory database is not "
                              "durable (use sqlite:///path/to/file.db)")
        return DatabaseURL("sqlite", path.split("?", 1)[0])
    if raw.startswith(("postgresql://", "postgres://")):
        return DatabaseURL("postgresql", raw)
    raise ConfigError(f"{DATABASE_URL_ENV}: expected sqlite:///path or postgresql://..., "
                      f"got {raw.split(':', 1)[0]}:...")


_DURATION = re.compile(r"^\s*(\d+)\s*([dy]?)\s*$")


@dataclass(frozen=True, slots=True)
class Retention:
    """How long identifiers are kept, per family, counted from when the decision was
    recorded. A family without an entry (and no ``default``) is never erased by age:
    erasing a child's identifiers is irreversible, so it must be configured on purpose."""

    periods: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None

    def period(self, family: str) -> str | None:
        return self.periods.get(family, self.default)

    def cutoff(self, family: str, now: dt.datetime) -> dt.datetime | None:
        """Records of *family* recorded before this instant are past retention."""
        period = self.period(family)
        return None if period is None else subtract(now, period)

    @property
    def configured(self) -> bool:
        return bool(self.periods) or self.default is not None


def subtract(now: dt.datetime, period: str) -> dt.datetime:
    """``now`` minus ``'30d'``, ``'6y'`` or ``'2190'`` (days). Years are calendar years."""
    match = _DURATION.match(period)
    if not match:
        raise ConfigError(f"retention period {period!r}: use days ('2190' or '2190d') or "
                          "years ('6y')")
    amount, unit = int(match.group(1)), match.group(2) or "d"
    if unit == "d":
        return now - dt.timedelta(days=amount)
    year = now.year - amount
    day = min(now.day, 28) if (now.month, now.day) == (2, 29) else now.day
    return now.replace(year=year, day=day)


def parse_retention(spec: str) -> Retention:
    """Parse ``'gravity-matrix=6y,contact-frequency=3y,*=6y'`` (``*`` = default)."""
    periods: dict[str, str] = {}
    default: str | None = None
    for item in filter(None, (part.strip() for part in spec.split(","))):
        family, sep, period = item.partition("=")
        if not sep or not family.strip():
            raise ConfigError(f"{RETENTION_ENV}: expected family=period, got {item!r}")
        subtract(dt.datetime(2000, 1, 1), period)  # validate now, not at erase time
        if family.strip() == "*":
            default = period.strip()
        else:
            periods[family.strip()] = period.strip()
    return Retention(periods, default)


def load_retention(path: Path | None = None) -> Retention:
    """Retention from a TOML file (argument or ``DECISION_ENGINE_RETENTION_FILE``) or from
    ``DECISION_ENGINE_RETENTION``. File format::

        [retention]
        default = "6y"
        gravity-matrix = "6y"
        contact-frequency = "1095d"
    """
    file = path or (Path(p) if (p := os.environ.get(RETENTION_FILE_ENV)) else None)
    if file is not None:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"retention file {file}: {exc}") from None
        table = data.get("retention")
        if not isinstance(table, dict):
            raise ConfigError(f"retention file {file}: needs a [retention] table")
        items = [f"{'*' if k == 'default' else k}={v}" for k, v in table.items()]
        return parse_retention(",".join(items))
    return parse_retention(os.environ.get(RETENTION_ENV, ""))
