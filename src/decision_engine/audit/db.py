"""The two database backends behind one small interface.

The store's logic is written once against :class:`Database`; the backends differ only
in connecting, in asserting that a commit is durable, in how the chain head is locked,
and in how large result sets are streamed. SQL is written with ``?`` placeholders and
translated for psycopg.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
from psycopg import IsolationLevel

from decision_engine.audit.config import Backend, DatabaseURL
from decision_engine.audit.errors import AuditError, ConfigError, DurabilityError

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's busy handler alone queues writers
    fcntl = None  # type: ignore[assignment]

DRIVER_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError, psycopg.DatabaseError)
"""What the drivers raise for a damaged or foreign database (not for a bad connection
URL, which is a :class:`ConfigError` at connect)."""

Row = tuple[Any, ...]
Params = Sequence[Any]

_MIGRATION_LOCK_KEY = 0x6465_6175_6469_74  # "deaudit": one advisory lock per database


class Snapshot(ABC):
    """Queries against one consistent, read-only view of the database."""

    @abstractmethod
    def query(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    def stream(self, sql: str, params: Params = (), *,
               batch: int = 2000) -> Generator[Row, None, None]: ...


class Database(ABC):
    """A single connection plus the backend-specific behaviour the store relies on.

    Calls are serialised by ``lock`` (an ``RLock``) so one store may be shared by the
    threads of a web worker; throughput comes from processes, not threads.
    """

    backend: Backend

    def __init__(self, url: DatabaseURL) -> None:
        self.url = url
        self.lock = threading.RLock()

    # -- plain statements on the main connection ---------------------------------------
    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> None: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """The same statement for many parameter rows, in order, in one round trip."""

    @abstractmethod
    def query(self, sql: str, params: Params = ()) -> list[Row]: ...

    def query_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    # -- transactions -------------------------------------------------------------------
    @abstractmethod
    @contextmanager
    def write(self) -> Iterator[tuple[int, str]]:
        """A write transaction holding the chain-head lock; yields ``(head_seq, head_hash)``.

        Commits on normal exit, so when the ``with`` block returns the data is durable;
        rolls back on an exception.
        """
        yield (0, "")  # pragma: no cover

    @abstractmethod
    @contextmanager
    def migrating(self) -> Iterator[None]:
        """A transaction holding a lock that serialises schema migration."""
        yield  # pragma: no cover

    @abstractmethod
    def run_script(self, sql: str) -> None:
        """Run a multi-statement migration script inside the current transaction."""

    @abstractmethod
    @contextmanager
    def snapshot(self, *, raw_text: bool = False) -> Iterator[Snapshot]:
        """A read-only transaction on a separate connection: every query made through it
        sees the same committed state, however many appends happen meanwhile.

        ``raw_text`` returns SQLite TEXT as bytes, so verification can report a record
        whose bytes are not valid UTF-8 instead of crashing on it.
        """
        yield  # type: ignore[misc]  # pragma: no cover

    def stream(self, sql: str, params: Params = (), *, batch: int = 2000,
               raw_text: bool = False) -> Generator[Row, None, None]:
        """Rows of one large query, from its own snapshot (see :meth:`snapshot`)."""
        with self.snapshot(raw_text=raw_text) as snap:
            yield from snap.stream(sql, params, batch=batch)

    @abstractmethod
    def after_erasure(self, wait: float) -> str | None:
        """Remove old copies of erased values from the database files, trying for up to
        *wait* seconds without holding writers up; ``None`` when done, else why not."""

    @abstractmethod
    def backup(self, target: Path) -> int:
        """A consistent copy of the whole database at *target*, taken while others keep
        writing; returns the chain head seq the copy holds."""

    @abstractmethod
    def close(self) -> None: ...


def open_database(url: DatabaseURL) -> Database:
    if url.backend == "sqlite":
        return SQLiteDatabase(url)
    return PostgresDatabase(url)


WAL_CHECKPOINT_PAGES = 10_000
"""SQLite copies its write-ahead log into the database file once the log holds this many
pages (4 KB each): :meth:`SQLiteDatabase._connect` says why not SQLite's 1,000."""


class SQLiteDatabase(Database):
    """SQLite in WAL mode with ``synchronous=FULL``: a commit is fsynced before it returns."""

    backend: Backend = "sqlite"

    def __init__(self, url: DatabaseURL) -> None:
        super().__init__(url)
        self.path = Path(url.target)
        if not self.path.parent.is_dir():
            raise ConfigError(f"SQLite database directory does not exist: {self.path.parent}")
        self.conn = self._connect()
        self._assert_durable(self.conn)
        self._lock_fd: int | None = None

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions, we issue BEGIN/COMMIT ourselves.
        conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        # Zero freed space, so erased identifiers do not linger in free pages.
        conn.execute("PRAGMA secure_delete = ON")
        # Copy the WAL into the database every ~40 MB instead of every ~4 MB: a page that
        # several commits change (an index page at a random decision date) is copied
        # once, not once each. Filling 100,000 decisions wrote 14.9 KB a decision instead
        # of 19.5 and ran 8,659-8,941/s against 8,143-8,307 (issue 14). Durability is the
        # WAL's fsync at COMMIT either way; erasure still truncates the WAL itself.
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        return conn

    @staticmethod
    def _assert_durable(conn: sqlite3.Connection) -> None:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        sync = conn.execute("PRAGMA synchronous").fetchone()[0]
        if str(mode).lower() != "wal" or int(sync) < 2:
            raise DurabilityError(
                f"SQLite must run with journal_mode=WAL and synchronous=FULL; got "
                f"journal_mode={mode}, synchronous={sync}")

    def execute(self, sql: str, params: Params = ()) -> None:
        with self.lock:
            self.conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        with self.lock:  # sqlite3 takes lists and tuples alike: no copy of each row
            self.conn.executemany(sql, rows)

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self.lock:
            return list(self.conn.execute(sql, tuple(params)).fetchall())

    @contextmanager
    def write(self) -> Iterator[tuple[int, str]]:
        with self.lock, self._writer_turn(), self._journal_in_memory():
            # IMMEDIATE takes the database write lock now, so the head we read is the
            # head we extend, across processes too.
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                seq, digest = self.conn.execute(
                    "SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
                yield int(seq), str(digest)
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _journal_in_memory(self) -> Iterator[None]:
        """Keep the statement journal in memory for one write turn.

        The chain's triggers make every INSERT keep a statement journal of the pages it
        changes; past 64 KiB in one transaction (~15 decisions) SQLite spills it to a
        temporary file, ~7 page writes a decision after that: the chained inserts of a
        batch of 1,000 took 27 µs a decision, 15 with the journal in memory (issue 14).
        Reads keep the default, so a large sort still spills to disk instead of growing
        the process.
        """
        self.conn.execute("PRAGMA temp_store = MEMORY")
        try:
            yield
        finally:
            with suppress(sqlite3.Error):  # never hide what ended the turn
                self.conn.execute("PRAGMA temp_store = DEFAULT")

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """Queue writers from several processes on an flock before BEGIN IMMEDIATE.

        SQLite's own busy handler polls with sleeps that grow to 100 ms, so two uvicorn
        workers contending for the write lock saw p99 latencies of ~0.4 s; a blocking
        flock hands the turn over as soon as the holder commits. Correctness does not
        depend on it (BEGIN IMMEDIATE still serialises), only latency.
        """
        if fcntl is None:
            yield
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(f"{self.path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def migrating(self) -> Iterator[None]:
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def run_script(self, sql: str) -> None:
        # executescript() would COMMIT first; split on complete statements instead
        # (sqlite3.complete_statement understands trigger bodies).
        buffer = ""
        for line in sql.splitlines(keepends=True):
            buffer += line
            if sqlite3.complete_statement(buffer):
                self.conn.execute(buffer)
                buffer = ""
        if buffer.strip() and not all(
            ln.strip().startswith("--") or not ln.strip() for ln in buffer.splitlines()
        ):
            raise AuditError(f"incomplete SQL statement at end of migration: {buffer[:80]!r}")

    @contextmanager
    def snapshot(self, *, raw_text: bool = False) -> Iterator[Snapshot]:
        conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            if raw_text:
                conn.text_factory = bytes
            # In WAL mode the first read of a transaction fixes its snapshot.
            conn.execute("BEGIN")
            snap = _SQLiteSnapshot(conn)
            snap.query("SELECT 1 FROM chain_head LIMIT 1")
            yield snap
            conn.execute("COMMIT")
        finally:
            conn.close()

    def after_erasure(self, wait: float) -> str | None:
        """Copy the whole WAL into the database file and truncate it to zero bytes.

        Old page images holding identifiers live in the WAL until then. A TRUNCATE
        checkpoint that waits (busy handler) blocks every new writer while it waits, so
        the old code, waiting on a reader's snapshot for 60 s, stalled all recording for
        60 s and then ignored that it had failed. Here the checkpoint runs on its own
        connection with ``busy_timeout = 0``: each attempt either completes or gives up
        at once, and attempts repeat with short sleeps until *wait* runs out. Success
        is the checkpoint saying ``busy = 0`` *and* the ``-wal`` file being empty.
        """
        wal = Path(f"{self.path}-wal")
        conn = sqlite3.connect(self.path, timeout=0.0, isolation_level=None)
        deadline = time.monotonic() + max(wait, 0.0)
        pause, why = 0.005, "no attempt made"
        try:
            conn.execute("PRAGMA busy_timeout = 0")
            while True:
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never blocks anyone
                    busy, log, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                except sqlite3.OperationalError as exc:  # locked: another checkpointer
                    busy, log, done = 1, -1, -1
                    why = str(exc)
                size = wal.stat().st_size if wal.exists() else 0
                if busy == 0 and size == 0:
                    return None
                why = (f"the write-ahead log {wal.name} still holds {size:,} bytes "
                       f"({done} of {log} frames copied): a reader holds an older snapshot"
                       if busy else f"the write-ahead log {wal.name} was not truncated")
                if time.monotonic() + pause > deadline:
                    return why
                time.sleep(pause)
                pause = min(pause * 2, 0.25)
        finally:
            conn.close()

    def backup(self, target: Path) -> int:
        # One backup step copies every page inside a single read transaction: in WAL
        # mode that is one snapshot, and writers in other processes are not blocked.
        # (Stepping in chunks would restart whenever another connection commits.)
        source = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            copy = sqlite3.connect(target, isolation_level=None)
            try:
                source.backup(copy, pages=-1)
                copy.execute("PRAGMA journal_mode = WAL")
                head = copy.execute("SELECT seq FROM chain_head WHERE id = 1").fetchone()
            finally:
                copy.close()
        except sqlite3.Error as exc:
            raise AuditError(f"backup to {target} failed: {exc}") from None
        finally:
            source.close()
        fd = os.open(target, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return int(head[0])

    def close(self) -> None:
        with self.lock:
            self.conn.close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


class _SQLiteSnapshot(Snapshot):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self.conn.execute(sql, tuple(params)).fetchall())

    def stream(self, sql: str, params: Params = (), *,
               batch: int = 2000) -> Generator[Row, None, None]:
        cursor = self.conn.execute(sql, tuple(params))
        try:
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()


class _PostgresSnapshot(Snapshot):
    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.conn = conn
        self.cursors = 0

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self.conn.execute(_pg(sql), tuple(params)).fetchall())

    def stream(self, sql: str, params: Params = (), *,
               batch: int = 2000) -> Generator[Row, None, None]:
        # A named (server-side) cursor: rows arrive in batches, not all at once.
        self.cursors += 1
        with self.conn.cursor(name=f"audit_stream_{self.cursors}") as cursor:
            cursor.itersize = batch
            cursor.execute(_pg(sql), tuple(params))
            yield from cursor


class PostgresDatabase(Database):
    """PostgreSQL with ``synchronous_commit=on``; appends queue on the chain-head row lock."""

    backend: Backend = "postgresql"

    def __init__(self, url: DatabaseURL) -> None:
        super().__init__(url)
        self.conn = self._connect()

    def _connect(self) -> psycopg.Connection[Row]:
        try:
            conn = psycopg.connect(self.url.target, autocommit=True)
        except psycopg.OperationalError as exc:
            raise ConfigError(f"cannot connect to {self.url.redacted}: "
                              f"{str(exc).strip().splitlines()[0]}") from None
        # Whatever the server default, this session's commits wait for the WAL flush.
        conn.execute("SET synchronous_commit TO on")
        settings = {name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
                    for name in ("synchronous_commit", "fsync")}
        if settings != {"synchronous_commit": "on", "fsync": "on"}:
            conn.close()
            raise DurabilityError(f"PostgreSQL must run with fsync=on and "
                                  f"synchronous_commit=on; got {settings}")
        return conn

    def execute(self, sql: str, params: Params = ()) -> None:
        with self.lock:
            self.conn.execute(_pg(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        with self.lock, self.conn.cursor() as cursor:
            cursor.executemany(_pg(sql), [tuple(r) for r in rows])

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self.lock:
            return list(self.conn.execute(_pg(sql), tuple(params)).fetchall())

    @contextmanager
    def write(self) -> Iterator[tuple[int, str]]:
        with self.lock, self.conn.transaction():
            # The row lock queues every appender (any process, any machine) behind the
            # current one; the insert trigger re-checks the head as a second line.
            row = self.conn.execute(
                "SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE").fetchone()
            assert row is not None
            yield int(row[0]), str(row[1])

    @contextmanager
    def migrating(self) -> Iterator[None]:
        with self.lock, self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK_KEY,))
            yield

    def run_script(self, sql: str) -> None:
        self.conn.execute(sql.encode("utf-8"))  # no parameters: several statements allowed

    @contextmanager
    def snapshot(self, *, raw_text: bool = False) -> Iterator[Snapshot]:
        conn = psycopg.connect(self.url.target)
        try:
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            with conn.transaction():
                yield _PostgresSnapshot(conn)
        finally:
            conn.close()

    def after_erasure(self, wait: float) -> str | None:
        # Dead row versions keep old values until vacuumed; VACUUM cannot run in a
        # transaction, and the connection is in autocommit mode here. It does not block
        # writers; row versions an open snapshot can still see survive it (see docs).
        with self.lock:
            self.conn.execute("VACUUM subjects")
        return None

    def backup(self, target: Path) -> int:
        raise AuditError("'audit backup' copies SQLite stores; for PostgreSQL use "
                         "pg_dump --format=custom (a consistent snapshot while decisions "
                         "are recorded; see docs/audit.md, 'Backup and restore')")

    def close(self) -> None:
        with self.lock:
            self.conn.close()
