"""SQLite: one file, one replica. WAL lets reads run while one transaction writes; writes are
serialized in the process (an asyncio lock) and across processes by SQLite's write lock, taken
up front (BEGIN IMMEDIATE) and waited for up to BUSY_TIMEOUT_SECONDS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.backend import Engines
from ledger.errors import LedgerStartError
from ledger.urls import Target, sqlite_file

BUSY_TIMEOUT_SECONDS = 5.0

# Names held by `exclusive`, per database file: SQLite serves one replica, so a lock in the
# process is a lock across the service.
_held: set[tuple[Path, str]] = set()


class SqliteBackend(Engines):
    insert = staticmethod(sqlite.insert)

    def __init__(self, target: Target) -> None:
        self._file = sqlite_file(target)
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LedgerStartError(
                f"cannot create the ledger's directory {self._file.parent}: {error.strerror}"
            ) from None
        super().__init__(target.url, {"timeout": BUSY_TIMEOUT_SECONDS})
        for engine in (self.engine, self.reader):
            event.listen(engine.sync_engine, "connect", _on_connect)
        event.listen(self.engine.sync_engine, "begin", _on_begin)
        self._write_lock = asyncio.Lock()

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

    async def lock_for_migration(self, connection: AsyncConnection) -> None:
        """The migrating transaction began with BEGIN IMMEDIATE: it holds the write lock."""


def _on_connect(dbapi_connection: Any, _record: object) -> None:
    # SQLAlchemy, not the sqlite3 module, says when a transaction begins (_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _on_begin(connection: Connection) -> None:
    # Every transaction writes, so it takes the write lock first: two deferred transactions that
    # read and then write would fail at once with SQLITE_BUSY instead of waiting.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
