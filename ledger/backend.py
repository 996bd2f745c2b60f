"""What differs between the ledger's databases, behind one small interface: each backend's
engine, its INSERT (with ON CONFLICT), how writes are serialized, its named locks, and how
migrations are kept to one process at a time."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

POOL = {"pool_size": 10, "max_overflow": 0}
"""Each engine's connections: kept open, and no more (a connection over the pool's size would be
opened for one call and closed after it); a call finds one free within the pool's timeout."""


class Backend(Protocol):
    engine: AsyncEngine
    """Connections for transactions: the writes and the migrations."""
    reader: AsyncEngine
    """Connections in autocommit mode, for reads: each is one statement, which needs no
    transaction (no BEGIN and ROLLBACK around it)."""

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """The dialect's INSERT, which has ON CONFLICT."""
        ...

    async def dispose(self) -> None:
        """Closes every connection."""
        ...

    def writing(self) -> AbstractAsyncContextManager[object]:
        """Held around each write transaction."""
        ...

    def exclusive(self, name: str) -> AbstractAsyncContextManager[bool]:
        """See domain.ports.PaymentLedger.exclusive; raises LedgerUnavailable on entry when the
        database fails."""
        ...

    async def lock_for_migration(self, connection: AsyncConnection) -> None:
        """Called first in the migrating transaction: no other process migrates until it ends."""
        ...
