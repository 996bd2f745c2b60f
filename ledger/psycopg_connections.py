"""The few psycopg connections the PostgreSQL point reads run on (ledger.point_reads).

Not psycopg_pool: while the database refuses connections, its `connection()` waits out its whole
timeout for a connection its background worker keeps failing to make, where a read should fail
at once, LEDGER_UNAVAILABLE, as it does through SQLAlchemy's pool. Here a connection is opened
when a read finds none free (its failure is the read's), kept while it is sound, and at most
`size` are in use: a read beyond them waits its turn, first come, first served, under its
caller's deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus


class PsycopgConnections:
    def __init__(self, conninfo: str, size: int, connect_timeout_seconds: float) -> None:
        self._conninfo = conninfo
        self._connect_timeout = connect_timeout_seconds
        self._turns = asyncio.Semaphore(size)
        self._free: list[psycopg.AsyncConnection[Any]] = []

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with self._turns:
            connection = self._free.pop() if self._free else await self._connect()
            try:
                yield connection
            finally:
                await self._return(connection)

    async def close(self) -> None:
        """Closes the free connections (those in use close as their reads end)."""
        free, self._free = self._free, []
        for connection in free:
            await connection.close()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, connect_timeout=round(self._connect_timeout)
        )

    async def _return(self, connection: psycopg.AsyncConnection[Any]) -> None:
        """Kept when idle and sound; closed when broken, or not idle (psycopg ends a cancelled
        statement itself; should one still be under way, no later read meets it)."""
        if not connection.closed and connection.info.transaction_status == TransactionStatus.IDLE:
            self._free.append(connection)
        else:
            await connection.close()
