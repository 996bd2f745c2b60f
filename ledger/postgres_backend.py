"""PostgreSQL: several replicas share one ledger. Row locks and unique indexes keep concurrent
records right (see ledger.ledger); advisory locks name the exclusive jobs and the migration, and
put the payment-event feed in commit order; LISTEN/NOTIFY wakes every replica's subscribers."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, Final

from sqlalchemy import Select, exc, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import feed
from ledger.backend import Engines
from ledger.errors import unavailable_on_failure
from ledger.point_reads import PointRead, ThroughPsycopg
from ledger.postgres_listener import CHANNEL, Listener
from ledger.psycopg_connections import PsycopgConnections
from ledger.urls import Target
from ledger.wakeups import Wakeups

CONNECT_TIMEOUT_SECONDS: Final = 5
POINT_READ_CONNECTIONS: Final = 5
"""psycopg connections for point reads (ledger.point_reads): a read holds one ~0.5 ms, so five
serve ~10,000 reads/s."""


def advisory_key(name: str) -> int:
    """A name as a 64-bit advisory lock key, in a space of its own (the person string)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8, person=b"payments-ledger").digest()
    return int.from_bytes(digest, "big", signed=True)


MIGRATION_KEY: Final = advisory_key("ledger migration")
FEED_KEY: Final = advisory_key("payment event feed")
# The feed's lock, taken before a feed row gets its sequence number and held until the commit:
# sequence order is commit order (docs/ledger.md). NOTIFY is sent by the commit, and only by a
# commit. MATERIALIZED: made once, before the row that joins it.
_FEED_TURN = (
    select(
        func.pg_advisory_xact_lock(FEED_KEY).label("locked"),
        func.pg_notify(CHANNEL, "").label("notified"),
    )
    .cte("feed_turn")
    .prefix_with("MATERIALIZED")
)


class PostgresBackend(Engines):
    insert = staticmethod(postgresql.insert)
    feed_append = feed.appending(_FEED_TURN)

    def __init__(self, target: Target) -> None:
        # No pre-ping (a round trip per call): a connection the server dropped fails one call
        # with LedgerUnavailable, and SQLAlchemy then replaces every pooled connection.
        super().__init__(target.url, {"connect_timeout": CONNECT_TIMEOUT_SECONDS})
        self._password = target.password
        self._wakeups = Wakeups()
        conninfo = target.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._listener = Listener(conninfo, self._wakeups, target.password)
        self._point_connections = PsycopgConnections(
            conninfo, POINT_READ_CONNECTIONS, CONNECT_TIMEOUT_SECONDS
        )

    def point_read(self, statement: Select[Any]) -> PointRead:
        return ThroughPsycopg(self._point_connections, statement, self.reader.dialect)

    def writing(self) -> nullcontext[None]:
        return nullcontext()

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """pg_try_advisory_lock on a connection kept for the block: the lock is the session's,
        so it also ends if the connection does."""
        key = advisory_key(name)
        with unavailable_on_failure(self._password):
            connection = await self.reader.connect()
        try:
            with unavailable_on_failure(self._password):
                held = bool(await connection.scalar(select(func.pg_try_advisory_lock(key))))
            try:
                yield held
            finally:
                if held:
                    await _unlock(connection, key)
        finally:
            await connection.close()

    def feed_committed(self) -> None:
        """The commit has notified every listener, this process's among them."""

    async def hold(self, connection: AsyncConnection, name: str) -> None:
        await connection.execute(select(func.pg_advisory_xact_lock(advisory_key(name))))

    def wakeups(self) -> AbstractAsyncContextManager[AsyncIterator[None]]:
        return self._wakeups.subscribed(self._listener.listening)

    async def dispose(self) -> None:
        await self._listener.stop()
        self._wakeups.close()
        await self._point_connections.close()
        await super().dispose()

    async def prepare(self) -> None:
        """Nothing to set up before migrating."""

    async def lock_for_migration(self, connection: AsyncConnection) -> None:
        # Released when the migrating transaction ends, committed or not.
        await connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_KEY)))


async def _unlock(connection: AsyncConnection, key: int) -> None:
    try:
        await connection.scalar(select(func.pg_advisory_unlock(key)))
    except exc.DBAPIError:
        # Ending the session is the other way to release the lock (if the failure has not
        # ended it already): the connection is closed, never returned to the pool.
        await connection.invalidate()
