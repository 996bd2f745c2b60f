"""Wake-ups: "new events may have been recorded", fanned out to every subscriber in the process.

Each subscriber has a flag: a wake-up sets every flag, and a subscriber waiting on its flag
clears it and goes on, so any number of wake-ups while it was busy reach it as one. A wake-up
carries nothing: the ledger is the source of truth, read after one's cursor.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager


class Subscription:
    """An async iterator that yields once per wake-up (coalesced), and ends when its ledger
    closes."""

    def __init__(self, hub: Wakeups) -> None:
        self._hub = hub
        self.flag = asyncio.Event()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> None:
        await self.flag.wait()
        if self._hub.closed:
            raise StopAsyncIteration
        self.flag.clear()


async def _at_once() -> None:
    """Ready now: nothing to wait for before a subscription hears every wake-up."""


class Wakeups:
    """The subscribers of one ledger."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self.closed = False

    def wake(self) -> None:
        for subscription in self._subscriptions:
            subscription.flag.set()

    def close(self) -> None:
        """Ends every subscription (the ledger is closing)."""
        self.closed = True
        self.wake()

    @asynccontextmanager
    async def subscribed(
        self, ready: Callable[[], Awaitable[None]] = _at_once
    ) -> AsyncIterator[Subscription]:
        """A subscription until the block ends, entered once `ready` returns: once every change
        committed from then on is sure to wake it."""
        subscription = Subscription(self)
        if self.closed:
            subscription.flag.set()
        self._subscriptions.add(subscription)
        try:
            await ready()
            yield subscription
        finally:
            self._subscriptions.discard(subscription)
