"""The live end of the ledger's payment feed: one reader per process follows it and hands each
new event to every watcher whose filter it matches, so a thousand watchers cost one ledger read
per change, not a thousand.

The ledger stays the source of truth. A watcher subscribes first, then reads the ledger after its
own cursor until it has caught up, then takes what the feed hands it, skipping what it has sent
already (cursors compare in ledger order). Every event the feed hands out after the subscription
began reaches it; every event handed out before was read by the feed before, so the watcher's
own read after subscribing sees it. A watcher that falls too far behind (its caller reads slowly)
is let go with `FellBehind` and catches up from the ledger again: its memory stays bounded. A
feed that stops (the ledger closed) ends its watchers with LedgerUnavailable: watch again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager

from domain.errors import CursorExpired, DomainError, LedgerUnavailable
from domain.ledger import MAX_EVENT_PAGE_SIZE, PaymentEvent, PaymentEventQuery
from domain.ports import PaymentLedger

log = logging.getLogger("domain.live_feed")

WATCHER_BACKLOG = 1000
"""Events a watcher may have waiting before it is let go to catch up from the ledger."""
RETRY_SECONDS = 1.0
"""After a failed read of the ledger, the next try (a wake-up may not come to prompt it)."""


class FellBehind(Exception):
    """The watcher's backlog overflowed: read the ledger after the last event sent."""


FEED_CLOSED_MESSAGE = "the payment feed stopped (the service is stopping): watch again"


class Watcher:
    """One subscription: an async iterator of batches of matching events, in ledger order."""

    def __init__(self, matches: Callable[[PaymentEvent], bool]) -> None:
        self._matches = matches
        self._waiting: deque[PaymentEvent] = deque()
        self._ready = asyncio.Event()
        self._fell_behind = False
        self._closed = False

    def hand(self, events: Sequence[PaymentEvent]) -> None:
        matching = [event for event in events if self._matches(event)]
        if not matching or self._fell_behind:
            return
        if len(self._waiting) + len(matching) > WATCHER_BACKLOG:
            self._fell_behind = True
            self._waiting.clear()
        else:
            self._waiting.extend(matching)
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    def catch_up(self) -> None:
        """After FellBehind: hand events again from now on; read the ledger after this."""
        self._fell_behind = False

    def __aiter__(self) -> Watcher:
        return self

    async def __anext__(self) -> list[PaymentEvent]:
        await self._ready.wait()
        if self._closed and not self._waiting:
            raise LedgerUnavailable(FEED_CLOSED_MESSAGE, retry_after_seconds=RETRY_SECONDS)
        self._ready.clear()
        if self._fell_behind:
            raise FellBehind()
        batch = list(self._waiting)
        self._waiting.clear()
        return batch


class LiveFeed:
    """Follows the ledger's feed from its newest event while `following()` runs."""

    def __init__(self, ledger: PaymentLedger) -> None:
        self._ledger = ledger
        self._watchers: set[Watcher] = set()
        self._cursor = ""
        self._started = asyncio.Event()
        self._stopped = False

    @asynccontextmanager
    async def following(self) -> AsyncIterator[LiveFeed]:
        """Follows the feed in the background while the block runs (entered once it has found
        the feed's end); on leaving, every watcher is closed."""
        async with self._ledger.wakeups() as wakeups:
            self._cursor = await self._ledger.newest_cursor()
            self._started.set()
            task = asyncio.create_task(self._follow(wakeups), name="live-feed")
            try:
                yield self
            finally:
                task.cancel()
                # Awaited before the ledger closes: a read it was cancelled in the middle of
                # must give its connection back first, not be left to garbage collection.
                await asyncio.wait((task,))
                self._stop()

    @contextmanager
    def watching(self, matches: Callable[[PaymentEvent], bool]) -> Iterator[Watcher]:
        """A watcher of every event that `matches`, handed out from now until the block ends."""
        if not self._started.is_set():
            raise RuntimeError("LiveFeed.watching before following() has started")
        watcher = Watcher(matches)
        if self._stopped:
            watcher.close()
        self._watchers.add(watcher)
        try:
            yield watcher
        finally:
            self._watchers.discard(watcher)

    async def _follow(self, wakeups: AsyncIterator[None]) -> None:
        try:
            await self._read_to_end()  # what was recorded while the feed started
            async for _ in wakeups:
                await self._read_to_end()
        except Exception:  # a bug: watchers must not wait for a feed that is gone
            log.exception("live feed: stopped unexpectedly")
        self._stop()  # the ledger closed, or the bug above

    async def _read_to_end(self) -> None:
        while True:
            try:
                page = await self._ledger.events(
                    PaymentEventQuery(after_cursor=self._cursor, limit=MAX_EVENT_PAGE_SIZE)
                )
            except CursorExpired:  # nothing recorded for longer than the retention
                self._cursor = await self._ledger.newest_cursor()
                continue
            except DomainError as error:  # the ledger is unreachable: try again shortly
                log.warning("live feed: reading the ledger failed, retrying: %s", error)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self._hand(page.events)
            self._cursor = page.next_cursor
            if not page.more:
                return

    def _hand(self, events: Sequence[PaymentEvent]) -> None:
        if events:
            for watcher in tuple(self._watchers):
                watcher.hand(events)

    def _stop(self) -> None:
        self._stopped = True
        for watcher in self._watchers:
            watcher.close()
