"""What differs between the ledger's databases, behind one small interface: each backend's
engine, its INSERT (with ON CONFLICT), how writes are serialized, its named locks, and how
migrations are kept to one process at a time."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

WRITE = "ledger_write"
"""Execution option of a connection whose transaction writes (SQLite takes its lock up front)."""


class Backend(Protocol):
    engine: AsyncEngine

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """The dialect's INSERT, which has ON CONFLICT."""
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
