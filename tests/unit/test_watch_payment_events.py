"""WatchPaymentEvents over the live feed: the backlog after the cursor, then live events, each
once and in ledger order, whatever is recorded while the watch starts or while its caller
lags; filters apply to both parts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence

import pytest

from domain import live_feed
from domain.call import CallContext
from domain.errors import CursorExpired, InvalidInput, LedgerUnavailable
from domain.ledger import PaymentEvent
from domain.live_feed import LiveFeed
from domain.payment_status import PaymentStatus
from domain.use_cases import ListPaymentEventsCommand, WatchPaymentEvents
from tests.fake_events import observation
from tests.fake_ledger import FakeLedger

PAID, EXPIRED = PaymentStatus.SUCCEEDED, PaymentStatus.EXPIRED


async def record(ledger: FakeLedger, session: str, status: PaymentStatus = PAID) -> None:
    await ledger.record(observation(session, status, client_reference_id=f"order-{session}"))


async def take(watch: AsyncGenerator[Sequence[PaymentEvent]], count: int) -> list[str]:
    """The sessions of the next `count` events the watch yields."""
    sessions: list[str] = []
    while len(sessions) < count:
        batch = await asyncio.wait_for(anext(watch), timeout=5)
        sessions += [event.payment.checkout_session_id for event in batch]
    assert len(sessions) == count, "a batch went past the events expected"
    return sessions


async def test_the_backlog_then_live_events_each_once(
    ledger: FakeLedger, call: CallContext
) -> None:
    await record(ledger, "cs_1")
    await record(ledger, "cs_2")
    async with LiveFeed(ledger).following() as feed:
        watch = WatchPaymentEvents(ledger, feed)(ListPaymentEventsCommand(), call)
        assert await take(watch, 2) == ["cs_1", "cs_2"]
        await record(ledger, "cs_3")
        await record(ledger, "cs_4")
        assert await take(watch, 2) == ["cs_3", "cs_4"]
        await watch.aclose()


async def test_resuming_after_a_cursor_skips_what_was_handled(
    ledger: FakeLedger, call: CallContext
) -> None:
    for session in ("cs_1", "cs_2", "cs_3"):
        await record(ledger, session)
    async with LiveFeed(ledger).following() as feed:
        after = ledger.feed[1].cursor
        watch = WatchPaymentEvents(ledger, feed)(ListPaymentEventsCommand(after_cursor=after), call)
        assert await take(watch, 1) == ["cs_3"]
        await watch.aclose()


async def test_filters_apply_to_the_backlog_and_to_live_events(
    ledger: FakeLedger, call: CallContext
) -> None:
    await record(ledger, "cs_1", EXPIRED)
    await record(ledger, "cs_2", PAID)
    async with LiveFeed(ledger).following() as feed:
        command = ListPaymentEventsCommand(statuses=frozenset({PAID}))
        watch = WatchPaymentEvents(ledger, feed)(command, call)
        assert await take(watch, 1) == ["cs_2"]
        await record(ledger, "cs_3", EXPIRED)
        await record(ledger, "cs_4", PAID)
        assert await take(watch, 1) == ["cs_4"]
        await watch.aclose()


async def test_an_event_recorded_while_the_watch_reads_its_backlog_comes_once(
    ledger: FakeLedger, call: CallContext
) -> None:
    """Recorded after the watcher subscribed and before its backlog read: the feed hands it
    over and the backlog has it too; it is yielded once."""
    await record(ledger, "cs_1")
    async with LiveFeed(ledger).following() as feed:
        events = ledger.events

        async def events_with_a_record_first(query):  # type: ignore[no-untyped-def]
            ledger.events = events  # type: ignore[method-assign]
            await record(ledger, "cs_2")
            await asyncio.sleep(0)  # the feed's turn: it hands cs_2 to the watcher as well
            return await events(query)

        ledger.events = events_with_a_record_first  # type: ignore[method-assign]
        watch = WatchPaymentEvents(ledger, feed)(ListPaymentEventsCommand(), call)
        assert await take(watch, 2) == ["cs_1", "cs_2"]
        await record(ledger, "cs_3")
        assert await take(watch, 1) == ["cs_3"]
        await watch.aclose()


async def test_a_watcher_that_falls_behind_catches_up_from_the_ledger_without_a_gap(
    ledger: FakeLedger, call: CallContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_feed, "WATCHER_BACKLOG", 3)
    async with LiveFeed(ledger).following() as feed:
        watch = WatchPaymentEvents(ledger, feed)(ListPaymentEventsCommand(), call)
        await record(ledger, "cs_0")
        assert await take(watch, 1) == ["cs_0"]
        for n in range(1, 11):  # the caller reads nothing meanwhile: 10 > the backlog of 3
            await record(ledger, f"cs_{n}")
            await asyncio.sleep(0)  # the feed hands each one over as it comes
        assert await take(watch, 10) == [f"cs_{n}" for n in range(1, 11)]
        await record(ledger, "cs_11")
        assert await take(watch, 1) == ["cs_11"]
        await watch.aclose()


async def test_a_cursor_not_of_the_ledger_or_past_retention_fails(
    ledger: FakeLedger, call: CallContext
) -> None:
    await record(ledger, "cs_1")
    ledger.pruned_through = 1
    async with LiveFeed(ledger).following() as feed:
        watch = WatchPaymentEvents(ledger, feed)
        with pytest.raises(InvalidInput):
            await anext(watch(ListPaymentEventsCommand(after_cursor="nope"), call))
        with pytest.raises(CursorExpired):
            await anext(watch(ListPaymentEventsCommand(after_cursor="000000000000"), call))


async def test_watchers_end_with_ledger_unavailable_when_the_feed_stops(
    ledger: FakeLedger, call: CallContext
) -> None:
    async with LiveFeed(ledger).following() as feed:
        watch = WatchPaymentEvents(ledger, feed)(ListPaymentEventsCommand(), call)
        waiting = asyncio.ensure_future(anext(watch))
        await asyncio.sleep(0)
    with pytest.raises(LedgerUnavailable):
        await asyncio.wait_for(waiting, timeout=5)


async def test_the_feed_retries_a_failed_read(
    ledger: FakeLedger, call: CallContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_feed, "RETRY_SECONDS", 0)
    async with LiveFeed(ledger).following() as feed:
        watch = WatchPaymentEvents(ledger, feed)(ListPaymentEventsCommand(), call)
        events, failures = ledger.events, iter([LedgerUnavailable("down", retry_after_seconds=0)])

        async def failing_once(query):  # type: ignore[no-untyped-def]
            failure = next(failures, None)
            if failure is not None:
                raise failure
            return await events(query)

        await record(ledger, "cs_0")
        assert await take(watch, 1) == ["cs_0"]  # caught up: from now on the feed alone reads
        ledger.events = failing_once  # type: ignore[method-assign]
        await record(ledger, "cs_1")
        assert await take(watch, 1) == ["cs_1"]
        await watch.aclose()
