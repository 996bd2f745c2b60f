"""What differs between the ledger's databases, behind one small interface: each backend's
engine, its INSERT (with ON CONFLICT), how writes are serialized, its named locks, and how
migrations are kept to one process at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from sqlalchemy import URL, Executable, Insert, Row, Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from ledger.point_reads import PointRead

# Each engine's connections: kept open, and no more (a connection over the pool's size would be
# opened for one call and closed after it); a call waits up to 5 s for a free one.
POOL = {"pool_size": 10, "max_overflow": 0, "pool_timeout": 5}


class Engines:
    """A backend's two engines on one database URL."""

    def __init__(self, url: URL, connect_args: dict[str, Any]) -> None:
        self.engine = create_async_engine(url, connect_args=connect_args, **POOL)
        """Connections for transactions: the writes and the migrations."""
        self.reader = create_async_engine(
            url,
            connect_args=connect_args,
            isolation_level="AUTOCOMMIT",
            skip_autocommit_rollback=True,
            **POOL,
        )
        """Connections in autocommit mode, for reads: each is one statement, which needs no
        transaction (no BEGIN and ROLLBACK around it)."""

    async def read(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        async with self.reader.connect() as connection:
            return (await connection.execute(statement, params)).all()

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.reader.dispose()


class Backend(Protocol):
    engine: AsyncEngine
    reader: AsyncEngine

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """The dialect's INSERT, which has ON CONFLICT."""
        ...

    async def read(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        """The rows of one statement that only reads, run outside any transaction."""
        ...

    def point_read(self, statement: Select[Any]) -> PointRead:
        """`statement` (a read made on most calls) run as cheaply as the backend allows."""
        ...

    async def dispose(self) -> None: ...

    def writing(self) -> AbstractAsyncContextManager[object]:
        """Held around each write transaction."""
        ...

    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]:
        """See domain.ports.PaymentLedger.exclusive; raises LedgerUnavailable on entry when the
        database fails."""
        ...

    feed_append: Insert
    """Appends a payment event (ledger.feed.appending) such that no other transaction appends
    until this one ends (so the feed's order is the order of commits), and once it commits
    every ledger on the database is woken."""

    def feed_committed(self) -> None:
        """Called after a transaction that appended to the feed committed."""
        ...

    async def hold(self, connection: AsyncConnection, name: str) -> None:
        """Called in a write transaction: no other one holds `name` until it ends."""
        ...

    def wakeups(self) -> AbstractAsyncContextManager[AsyncIterator[None]]:
        """See domain.ports.PaymentLedger.wakeups."""
        ...

    async def prepare(self) -> None:
        """Called once before migrating, outside any transaction."""
        ...

    async def lock_for_migration(self, connection: AsyncConnection) -> None:
        """Called first in the migrating transaction: no other process migrates until it ends."""
        ...
