"""API keys a local authority can run without an identity provider.

A key is ``de_<key id>_<secret>``: the key id (12 hex digits) finds the row, the secret
(32 random bytes, hex) proves possession. Only ``sha256(secret)`` is stored, and it is
compared in constant time; with 256 random bits a plain hash is as strong as a slow KDF
and keeps authentication cheap on every request. Keys are issued, listed and revoked
from the CLI (``decision-engine credentials``); the rows live in the audit database but
outside the hash chain (migration ``0002_api_access``), and are revoked, never deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal, get_args

from decision_engine.audit.db import Database
from decision_engine.audit.validation import utc_now
from decision_engine.errors import DecisionEngineError

Role = Literal["panel", "court_officer", "case_manager", "custody", "auditor", "policy_admin"]
ROLES: tuple[Role, ...] = get_args(Role)

PREFIX = "de_"
_KEY = re.compile(r"^de_([0-9a-f]{12})_([0-9a-f]{64})$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@'-]{0,79}$")
AREA_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_COLUMNS = ("key_id, name, role, service_area, created_at, created_by, revoked_at, "
            "revoked_by")


class CredentialError(DecisionEngineError):
    """A credential request is invalid (bad role, name or area; unknown key id)."""


@dataclass(frozen=True, slots=True)
class Credential:
    """A credential as listed: everything except its secret."""

    key_id: str
    name: str
    role: Role
    service_area: str
    created_at: str
    created_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def actor_id(self) -> str:
        """How this credential is named in audit records: name and key id."""
        return f"{self.name}#{self.key_id}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _row(row: tuple[object, ...]) -> Credential:
    key_id, name, role, area, created_at, created_by, revoked_at, revoked_by = row
    if role not in ROLES:  # the table's CHECK makes this unreachable
        raise CredentialError(f"credential {key_id} has unknown role {role!r}")
    return Credential(str(key_id), str(name), role, str(area),
                      str(created_at), str(created_by),
                      None if revoked_at is None else str(revoked_at),
                      None if revoked_by is None else str(revoked_by))


def validate(role: str, name: str, service_area: str) -> Role:
    if role not in ROLES:
        raise CredentialError(f"--role: {role!r} is not a role; choose one of "
                              f"{', '.join(ROLES)}")
    if not NAME_PATTERN.match(name):
        raise CredentialError("--name: use 1-80 letters, digits, spaces or . _ @ ' - "
                              "(starting with a letter or digit)")
    if not AREA_PATTERN.match(service_area):
        raise CredentialError("--service-area: use 1-63 lower-case letters, digits, _ or - "
                              "(starting with a letter or digit)")
    return role


class Credentials:
    """Issue, revoke, list and check API keys in one database.

    ``authenticate`` keeps verified keys for ``cache_seconds`` so a request costs no
    database round trip; revocation therefore takes effect within that time.
    """

    def __init__(self, db: Database, *, cache_seconds: float = 0.0) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, str, Credential]] = {}
        self._lock = threading.Lock()

    def create(self, role: str, name: str, service_area: str, *,
               created_by: str) -> tuple[Credential, str]:
        """A new credential and its key; the key is shown once and never stored."""
        checked = validate(role, name, service_area)
        key_id = secrets.token_hex(6)
        secret = secrets.token_hex(32)
        cred = Credential(key_id, name, checked, service_area, utc_now(), created_by)
        self.db.execute(
            "INSERT INTO api_credentials (key_id, secret_sha256, name, role, service_area, "
            "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key_id, _digest(secret), name, checked, service_area, cred.created_at,
             created_by))
        return cred, f"{PREFIX}{key_id}_{secret}"

    def revoke(self, key_id: str, *, revoked_by: str) -> Credential:
        """Revoke *key_id* (idempotent: revoking twice keeps the first revocation)."""
        cred = self.get(key_id)
        if cred is None:
            raise CredentialError(f"no credential with key id {key_id!r}")
        if cred.active:
            self.db.execute(
                "UPDATE api_credentials SET revoked_at = ?, revoked_by = ? "
                "WHERE key_id = ? AND revoked_at IS NULL", (utc_now(), revoked_by, key_id))
        with self._lock:
            self._cache.pop(key_id, None)
        found = self.get(key_id)
        assert found is not None
        return found

    def get(self, key_id: str) -> Credential | None:
        row = self.db.query_one(f"SELECT {_COLUMNS} FROM api_credentials WHERE key_id = ?",
                                (key_id,))
        return None if row is None else _row(row)

    def list(self, *, include_revoked: bool = True) -> list[Credential]:
        where = "" if include_revoked else " WHERE revoked_at IS NULL"
        rows = self.db.query(f"SELECT {_COLUMNS} FROM api_credentials{where} "
                             "ORDER BY created_at, key_id")
        return [_row(r) for r in rows]

    def count_active(self) -> int:
        row = self.db.query_one("SELECT count(*) FROM api_credentials WHERE revoked_at IS NULL")
        return int(row[0]) if row else 0

    def authenticate(self, key: str) -> Credential | None:
        """The active credential *key* proves, or ``None``."""
        match = _KEY.match(key)
        if match is None:
            return None
        key_id, secret = match.groups()
        digest = _digest(secret)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None and now - cached[0] < self.cache_seconds:
            _, stored, cred = cached
            return cred if hmac.compare_digest(digest, stored) else None
        row = self.db.query_one(
            f"SELECT {_COLUMNS}, secret_sha256 FROM api_credentials WHERE key_id = ?",
            (key_id,))
        if row is None:
            # Compare anyway so a wrong key id and a wrong secret take the same time.
            hmac.compare_digest(digest, "0" * 64)
            return None
        cred = _row(row[:-1])
        stored = str(row[-1])
        if not hmac.compare_digest(digest, stored) or not cred.active:
            return None
        if self.cache_seconds > 0:
            with self._lock:
                self._cache[key_id] = (now, stored, cred)
        return cred
