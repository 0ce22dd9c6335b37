"""People who sign in to the pages: users (argon2id passwords) and their sessions.

API keys (:mod:`decision_engine_api.credentials`) stay for systems. A person gets a user
name and password from ``decision-engine users create``; signing in opens a session
whose 256-bit random token is the cookie (only its SHA-256 is stored, so a copy of the
database cannot be replayed as a cookie). Sessions end on sign-out, after the idle
timeout, or when the user is revoked. Repeated failed sign-ins lock the user for a
while. Rows live in the audit database outside the hash chain (migration
``0007_people``); a user is revoked, never deleted.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from decision_engine.audit.db import Database
from decision_engine.audit.validation import utc_now
from decision_engine_api.credentials import (
    AREA_PATTERN,
    NAME_PATTERN,
    ROLES,
    CredentialError,
    Role,
)

MIN_PASSWORD = 12
MAX_FAILURES = 5
"""Failed sign-ins in a row before the user is locked for :data:`LOCK_SECONDS`."""
LOCK_SECONDS = 15 * 60

_HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
_DUMMY = _HASHER.hash("not a password of anyone")
_USER_COLUMNS = "username, role, service_area, created_at, created_by, revoked_at, revoked_by"


class UserError(CredentialError):
    """A user request is invalid (bad name, role, area or password; unknown user)."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
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
        """How a person is named in audit records (keys are ``name#key id``)."""
        return f"{self.username}#user"


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf_token: str
    token_sha256: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: tuple[object, ...]) -> User:
    username, role, area, created_at, created_by, revoked_at, revoked_by = row
    if role not in ROLES:  # the table's CHECK makes this unreachable
        raise UserError(f"user {username} has unknown role {role!r}")
    return User(str(username), role, str(area), str(created_at), str(created_by),
                None if revoked_at is None else str(revoked_at),
                None if revoked_by is None else str(revoked_by))


class SignInRefused(Exception):
    """Why a sign-in failed, in words safe to show (never which part was wrong)."""


class People:
    """Users and sessions in one database (the credentials' own connection)."""

    def __init__(self, db: Database, *, idle_seconds: float = 30 * 60) -> None:
        self.db = db
        self.idle_seconds = idle_seconds

    # --- users (the CLI) ----------------------------------------------------------

    def create(self, username: str, password: str, role: str, service_area: str, *,
               created_by: str) -> User:
        if not NAME_PATTERN.match(username) or " " in username:
            raise UserError("username: use 1-80 letters, digits or . _ @ ' - (no spaces, "
                            "starting with a letter or digit)")
        if role not in ROLES:
            raise UserError(f"--role: {role!r} is not a role; choose one of {', '.join(ROLES)}")
        if not AREA_PATTERN.match(service_area):
            raise UserError("--service-area: use 1-63 lower-case letters, digits, _ or - "
                            "(starting with a letter or digit)")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"password: use at least {MIN_PASSWORD} characters")
        if self.get(username) is not None:
            raise UserError(f"username: {username!r} already exists (users are revoked, "
                            "never reused)")
        user = User(username, role, service_area, utc_now(), created_by)
        self.db.execute(
            "INSERT INTO app_users (username, password_hash, role, service_area, created_at, "
            "created_by) VALUES (?, ?, ?, ?, ?, ?)",
            (username, _HASHER.hash(password), role, service_area, user.created_at,
             created_by))
        return user

    def get(self, username: str) -> User | None:
        row = self.db.query_one(f"SELECT {_USER_COLUMNS} FROM app_users WHERE username = ?",
                                (username,))
        return None if row is None else _user(row)

    def list(self, *, include_revoked: bool = True) -> list[User]:
        where = "" if include_revoked else " WHERE revoked_at IS NULL"
        return [_user(r) for r in self.db.query(
            f"SELECT {_USER_COLUMNS} FROM app_users{where} ORDER BY created_at, username")]

    def revoke(self, username: str, *, revoked_by: str) -> User:
        """Revoke *username* and end its sessions (idempotent)."""
        user = self.get(username)
        if user is None:
            raise UserError(f"no user {username!r}")
        if user.active:
            self.db.execute("UPDATE app_users SET revoked_at = ?, revoked_by = ? "
                            "WHERE username = ? AND revoked_at IS NULL",
                            (utc_now(), revoked_by, username))
        self.db.execute("UPDATE app_sessions SET ended_at = ? WHERE username = ? "
                        "AND ended_at IS NULL", (time.time(), username))
        found = self.get(username)
        assert found is not None
        return found

    # --- signing in and out (the pages) --------------------------------------------

    def sign_in(self, username: str, password: str) -> tuple[str, Session]:
        """A new session token and its session, or :class:`SignInRefused`.

        An unknown user costs a hash too, so timing does not tell which names exist.
        """
        now = time.time()
        row = self.db.query_one(
            f"SELECT {_USER_COLUMNS}, password_hash, failed_count, locked_until "
            "FROM app_users WHERE username = ?", (username,))
        if row is None:
            _verify(_DUMMY, password)
            raise SignInRefused("the user name or password is not right")
        user = _user(row[:7])
        stored, failed, locked_until = str(row[7]), int(row[8]), row[9]
        if locked_until is not None and float(locked_until) > now:
            raise SignInRefused("too many failed sign-ins: this user is locked for "
                                f"{LOCK_SECONDS // 60} minutes; ask an administrator if "
                                "it was not you")
        if not _verify(stored, password) or not user.active:
            failed += 1
            lock = now + LOCK_SECONDS if failed >= MAX_FAILURES else None
            self.db.execute("UPDATE app_users SET failed_count = ?, locked_until = ? "
                            "WHERE username = ?",
                            (0 if lock else failed, lock, username))
            if lock:
                raise SignInRefused("too many failed sign-ins: this user is locked for "
                                    f"{LOCK_SECONDS // 60} minutes")
            raise SignInRefused("the user name or password is not right")
        self.db.execute("UPDATE app_users SET failed_count = 0, locked_until = NULL "
                        "WHERE username = ?", (username,))
        token = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), _digest(token))
        self.db.execute(
            "INSERT INTO app_sessions (token_sha256, username, csrf_token, created_at, "
            "last_seen) VALUES (?, ?, ?, ?, ?)",
            (session.token_sha256, username, session.csrf_token, now, now))
        return token, session

    def session(self, token: str) -> Session | None:
        """The live session *token* opens (touching its idle clock), or ``None``."""
        if not token or len(token) > 100:
            return None
        digest = _digest(token)
        row = self.db.query_one(
            f"SELECT s.csrf_token, s.last_seen, s.ended_at, "
            f"{', '.join('u.' + c.strip() for c in _USER_COLUMNS.split(','))} "
            "FROM app_sessions s JOIN app_users u ON u.username = s.username "
            "WHERE s.token_sha256 = ?", (digest,))
        if row is None:
            return None
        csrf, last_seen, ended_at = str(row[0]), float(row[1]), row[2]
        user = _user(row[3:])
        now = time.time()
        if ended_at is not None or not user.active:
            return None
        if now - last_seen > self.idle_seconds:
            self.end(token)
            return None
        if now - last_seen > 15:  # one write per quarter minute is plenty for an idle clock
            self.db.execute("UPDATE app_sessions SET last_seen = ? WHERE token_sha256 = ?",
                            (now, digest))
        return Session(user, csrf, digest)

    def end(self, token: str) -> None:
        self.db.execute("UPDATE app_sessions SET ended_at = ? WHERE token_sha256 = ? "
                        "AND ended_at IS NULL", (time.time(), _digest(token)))


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
