"""SQLite: one file, one replica. WAL lets reads run while one transaction writes; writes are
serialized in the process (an asyncio lock) and across processes by SQLite's write lock, taken
up front (BEGIN IMMEDIATE) and waited for up to BUSY_TIMEOUT_SECONDS. Reads run whole in a thread
of the backend's own, on the sqlite3 module (see `read`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Executable, Row, create_engine, event, exc
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import feed
from ledger.backend import POOL, Engines
from ledger.errors import LedgerStartError
from ledger.urls import Target, sqlite_file
from ledger.wakeups import Wakeups

BUSY_TIMEOUT_SECONDS = 5.0

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
        self._thread_reader = create_engine(
            target.url.set(drivername="sqlite+pysqlite"),
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
            isolation_level="AUTOCOMMIT",
            skip_autocommit_rollback=True,
            **POOL,
        )
        # A thread per pooled connection: a read never waits for a connection.
        self._read_threads = ThreadPoolExecutor(POOL["pool_size"], "ledger-read")

    async def read(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        """The statement run whole in one of the backend's threads: one hand-off per read.
        (Through aiosqlite each cursor step, open, execute, fetch and close, is a hand-off to
        its thread and back; that made a read cost twice the CPU: docs/ledger.md.)"""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._read_threads, self._read, statement, params)

    def _read(self, statement: Executable, params: Mapping[str, Any] | None) -> Sequence[Row[Any]]:
        with self._thread_reader.connect() as connection:
            return connection.execute(statement, params).all()

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


def _on_connect(dbapi_connection: Any, _record: object) -> None:
    # SQLAlchemy, not the sqlite3 module, says when a transaction begins (_on_begin).
    dbapi_connection.isolation_level = None


def _on_begin(connection: Connection) -> None:
    # Every transaction writes, so it takes the write lock first: two deferred transactions that
    # read and then write would fail at once with SQLITE_BUSY instead of waiting.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
