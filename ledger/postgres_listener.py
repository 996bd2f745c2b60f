"""The one connection per ledger that LISTENs for PostgreSQL's notifications of new payment
events, from every replica, and wakes this process's subscribers.

It is opened when the first subscriber comes and kept until the ledger closes. Should it drop,
it reconnects (backing off up to MAX_BACKOFF_SECONDS) and then wakes every subscriber, since a
notification sent while it was away is lost: they read again after their cursors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

import psycopg

from domain.errors import LedgerUnavailable
from ledger.errors import RETRY_AFTER_SECONDS, first_line
from ledger.wakeups import Wakeups

CHANNEL: Final = "payment_events"
CONNECT_TIMEOUT_SECONDS: Final = 5
FIRST_BACKOFF_SECONDS: Final = 0.05
MAX_BACKOFF_SECONDS: Final = 2.0

log = logging.getLogger("ledger.listener")


class Listener:
    def __init__(self, conninfo: str, hub: Wakeups, password: str) -> None:
        self._conninfo = conninfo
        self._hub = hub
        self._password = password
        self._listening = asyncio.Event()
        self._listened_before = False
        self._task: asyncio.Task[None] | None = None

    async def listening(self) -> None:
        """Returns once LISTEN is in place (starting the connection if need be); raises
        LedgerUnavailable when it is not within the connect timeout."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ledger-listener")
        try:
            await asyncio.wait_for(self._listening.wait(), CONNECT_TIMEOUT_SECONDS)
        except TimeoutError:
            raise LedgerUnavailable(
                "the payment ledger cannot listen for new events: its database is unreachable",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            ) from None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            try:
                await self._listen()
            except (psycopg.Error, OSError) as error:
                said = first_line(error, self._password)
                log.warning("listening for payment events failed: %s", said)
            if self._listening.is_set():  # it had worked: try again soon
                backoff = FIRST_BACKOFF_SECONDS
            self._listening.clear()
            await asyncio.sleep(backoff)  # then every subscriber is woken by the next LISTEN
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def _listen(self) -> None:
        async with await psycopg.AsyncConnection.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            # It only reads: TCP keepalives find a server that vanished without a word.
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
        ) as connection:
            await connection.execute(f"LISTEN {CHANNEL}")
            self._listening.set()
            if self._listened_before:
                self._hub.wake()  # whatever was committed while no one listened
            self._listened_before = True
            async with contextlib.aclosing(connection.notifies()) as notifications:
                async for _ in notifications:
                    self._hub.wake()
