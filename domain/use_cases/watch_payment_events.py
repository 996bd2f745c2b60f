"""WatchPaymentEvents: the ledger's payment events after a cursor, then each new one, unending."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import replace

from domain.call import CallContext
from domain.ledger import MAX_EVENT_PAGE_SIZE, PaymentEvent, PaymentEventQuery
from domain.live_feed import FellBehind, LiveFeed, Watcher
from domain.ports import PaymentLedger
from domain.use_cases.list_payment_events import ListPaymentEventsCommand, event_query


class WatchPaymentEvents:
    """Yields batches of the events matching the command, in ledger order, each once: first what
    the ledger holds after the cursor (a page at a time), then what the live feed hands on. It
    subscribes before reading, and skips what it has yielded already (by cursor), so nothing
    recorded in between is lost; after falling behind it reads the ledger again. A cursor that is
    not the ledger's is InvalidInput, one older than it keeps is CursorExpired."""

    def __init__(self, ledger: PaymentLedger, feed: LiveFeed) -> None:
        self._ledger = ledger
        self._feed = feed

    async def __call__(
        self, command: ListPaymentEventsCommand, call: CallContext
    ) -> AsyncGenerator[Sequence[PaymentEvent]]:
        call.deadline.check()
        query = event_query(replace(command, page_size=MAX_EVENT_PAGE_SIZE))
        with self._feed.watching(query.matches) as watcher:
            while True:
                async for page in self._pages_after(query):
                    query = replace(query, after_cursor=page[-1].cursor)
                    yield page
                async for batch in self._handed(watcher, query.after_cursor):
                    query = replace(query, after_cursor=batch[-1].cursor)
                    yield batch
                # Fell behind: caught up from the ledger again, then the feed once more.

    async def _pages_after(self, query: PaymentEventQuery) -> AsyncIterator[Sequence[PaymentEvent]]:
        while True:
            page = await self._ledger.events(query)
            if page.events:
                yield page.events
            if not page.more:
                return
            query = replace(query, after_cursor=page.next_cursor)

    async def _handed(self, watcher: Watcher, after: str) -> AsyncIterator[Sequence[PaymentEvent]]:
        """The feed's batches past `after`, until the watcher falls behind (re-armed here, so the
        ledger read that follows covers the gap)."""
        try:
            async for batch in watcher:
                fresh = [event for event in batch if event.cursor > after]
                if fresh:
                    after = fresh[-1].cursor
                    yield fresh
        except FellBehind:
            watcher.catch_up()
