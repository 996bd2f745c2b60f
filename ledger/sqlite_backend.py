"""SQLite: one file, one replica. WAL lets reads run while one transaction writes; writes are
serialized in the process (an asyncio lock) and across processes by SQLite's write lock, taken
up front (BEGIN IMMEDIATE) and waited for up to BUSY_TIMEOUT_SECONDS. Reads run on the event loop,
on the sqlite3 module, and in a thread of the backend's own only when SQLite says busy (see
`read`)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Executable,
    Row,
    Select,
    create_engine,
    event,
    exc,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import feed
from ledger.backend import POOL, Engines
from ledger.errors import LedgerStartError
from ledger.point_reads import CompiledRead, PointRead, Rows
from ledger.urls import Target, sqlite_file
from ledger.wakeups import Wakeups

BUSY_TIMEOUT_SECONDS = 5.0
T = TypeVar("T")

# Names held by `exclusive`, per database file: SQLite serves one replica, so a lock in the
# process is a lock across the service.
_held: set[tuple[Path, str]] = set()
# The subscribers of every ledger open on each database file, woken after each commit that
# appended a payment event (every writer of the file is in this process).
_wakeups: dict[Path, set[Wakeups]] = {}


class SqliteBackend(Engines):
    insert = staticmethod(sqlite.insert)
    # Every write transaction holds SQLite's write lock (BEGIN IMMEDIATE): feed rows are
    # appended, and committed, one transaction at a time already.
    feed_append = feed.appending()

    def __init__(self, target: Target) -> None:
        self._file = sqlite_file(target)
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LedgerStartError(
                f"cannot create the ledger's directory {self._file.parent}: {error.strerror}"
            ) from None
        super().__init__(target.url, {"timeout": BUSY_TIMEOUT_SECONDS})
        event.listen(self.engine.sync_engine, "connect", _on_connect)
        event.listen(self.engine.sync_engine, "begin", _on_begin)
        self._write_lock = asyncio.Lock()
        self._wakeups = Wakeups()
        _wakeups.setdefault(self._file, set()).add(self._wakeups)
        # The loop's one connection, held open (a checkout from the pool per read was 40 % of
        # a read's CPU), never waits for a lock (timeout 0): SQLite answers busy at once, and
        # the read goes to a thread that may wait.
        self._loop_reader = _sync_reader(target, timeout_seconds=0, pool_size=1)
        self._loop_connection: Connection | None = None
        self._thread_reader = _sync_reader(target, BUSY_TIMEOUT_SECONDS, POOL["pool_size"])
        # A thread per pooled connection: a read never waits for a connection.
        self._read_threads = ThreadPoolExecutor(POOL["pool_size"], "ledger-read")

    async def read(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        """The statement run whole on the event loop: an indexed read of a few rows costs
        ~0.05 ms of CPU there, against 0.2-0.6 ms for a hand-off to a thread and back, most of
        a GetPaymentStatus's ledger read (docs/ledger.md). In WAL mode a read never waits for
        the writer; should SQLite still answer busy (another connection recovering the WAL
        after a crash, another process holding the file exclusively), the read is run again
        in one of the backend's threads, which waits up to BUSY_TIMEOUT_SECONDS, the loop
        serving other calls meanwhile."""
        return await self._on_loop_else_in_thread(
            lambda: self._on_loop(lambda connection: connection.execute(statement, params).all()),
            partial(_read_in_thread, self._thread_reader, statement, params),
        )

    def point_read(self, statement: Select[Any]) -> PointRead:
        return _PointRead(self, statement, self._loop_reader.dialect)

    async def _on_loop_else_in_thread(
        self, on_loop: Callable[[], T], in_thread: Callable[[], T]
    ) -> T:
        try:
            return on_loop()
        except (exc.OperationalError, sqlite3.OperationalError) as error:
            if not _busy(error):
                raise
        return await asyncio.get_running_loop().run_in_executor(self._read_threads, in_thread)

    def _on_loop(self, run: Callable[[Connection], T]) -> T:
        """`run` on the loop's connection; the next read opens a new one, should it fail."""
        if self._loop_connection is None:
            self._loop_connection = self._loop_reader.connect()
        try:
            return run(self._loop_connection)
        except (exc.DBAPIError, sqlite3.Error):
            self._loop_connection.close()
            self._loop_connection = None
            raise

    def _read_on_loop(self, compiled: CompiledRead, params: Mapping[str, Any]) -> Rows:
        """`compiled` on sqlite3 itself, through the loop's connection: no SQLAlchemy
        execution (most of a read's CPU), the rows made as it would make them."""

        def run(connection: Connection) -> Rows:
            dbapi = connection.connection.dbapi_connection
            assert dbapi is not None  # a connection in use has its DB-API connection
            cursor = dbapi.cursor()
            try:
                cursor.execute(compiled.sql, compiled.parameters(params))
                return compiled.mappings(cursor.fetchall(), cursor.description or ())
            finally:
                cursor.close()

        return self._on_loop(run)

    def writing(self) -> asyncio.Lock:
        # Writers in this process queue here rather than in SQLite's busy handler, which polls.
        return self._write_lock

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        key = (self._file, name)
        if key in _held:
            yield False
            return
        _held.add(key)
        try:
            yield True
        finally:
            _held.discard(key)

    def feed_committed(self) -> None:
        for wakeups in _wakeups.get(self._file, ()):
            wakeups.wake()

    async def hold(self, connection: AsyncConnection, name: str) -> None:
        """The transaction holds SQLite's write lock: it holds every name."""

    def wakeups(self) -> AbstractAsyncContextManager[AsyncIterator[None]]:
        return self._wakeups.subscribed()

    async def dispose(self) -> None:
        _wakeups.get(self._file, set()).discard(self._wakeups)
        self._wakeups.close()
        await super().dispose()
        # Reads still running (their callers gone) finish first; then their connections close.
        await asyncio.to_thread(self._read_threads.shutdown)
        self._thread_reader.dispose()
        if self._loop_connection is not None:
            self._loop_connection.close()
        self._loop_reader.dispose()

    async def prepare(self) -> None:
        """WAL mode, set once for the file (it persists). Processes opening a new file at once
        may all try to switch it; SQLite refuses all but one at once, without waiting for the
        busy timeout, so the others try again."""
        give_up = time.monotonic() + BUSY_TIMEOUT_SECONDS
        async with self.reader.connect() as connection:
            while True:
                try:
                    await connection.exec_driver_sql("PRAGMA journal_mode = WAL")
                    return
                except exc.OperationalError:
                    if time.monotonic() > give_up:
                        raise
                    await asyncio.sleep(0.01)

    async def lock_for_migration(self, connection: AsyncConnection) -> None:
        """The migrating transaction began with BEGIN IMMEDIATE: it holds the write lock."""


def _sync_reader(target: Target, timeout_seconds: float, pool_size: int) -> Engine:
    """Connections on the sqlite3 module in autocommit mode: each read is one statement."""
    return create_engine(
        target.url.set(drivername="sqlite+pysqlite"),
        connect_args={"timeout": timeout_seconds},
        isolation_level="AUTOCOMMIT",
        skip_autocommit_rollback=True,
        **(POOL | {"pool_size": pool_size}),
    )


def _read_in_thread(
    reader: Engine, statement: Executable, params: Mapping[str, Any] | None
) -> Sequence[Row[Any]]:
    with reader.connect() as connection:
        return connection.execute(statement, params).all()


class _PointRead:
    """A point read on sqlite3 itself (ledger.point_reads): on the loop, or in a thread through
    SQLAlchemy when SQLite answers busy, as `read` does."""

    def __init__(self, backend: SqliteBackend, statement: Select[Any], dialect: Dialect) -> None:
        self._backend = backend
        self._statement = statement
        self._compiled = CompiledRead(statement, dialect)

    async def rows(self, params: Mapping[str, Any]) -> Rows:
        backend = self._backend
        return await backend._on_loop_else_in_thread(
            partial(backend._read_on_loop, self._compiled, params),
            partial(_mappings_in_thread, backend._thread_reader, self._statement, params),
        )


def _mappings_in_thread(reader: Engine, statement: Select[Any], params: Mapping[str, Any]) -> Rows:
    return [row._mapping for row in _read_in_thread(reader, statement, params)]


def _busy(error: Exception) -> bool:
    """SQLITE_BUSY (and its extended codes): the lock was taken, the statement did not run."""
    code = getattr(getattr(error, "orig", error), "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_BUSY


def _on_connect(dbapi_connection: Any, _record: object) -> None:
    # SQLAlchemy, not the sqlite3 module, says when a transaction begins (_on_begin).
    dbapi_connection.isolation_level = None


def _on_begin(connection: Connection) -> None:
    # Every transaction writes, so it takes the write lock first: two deferred transactions that
    # read and then write would fail at once with SQLITE_BUSY instead of waiting.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
