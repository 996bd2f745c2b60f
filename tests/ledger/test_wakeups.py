"""wakeups(): a subscriber on any ledger of the database is woken after a change is recorded —
on another Ledger (another replica's) on both backends — and again after the listening
connection comes back on PostgreSQL; subscriptions end when their ledger closes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from domain.errors import LedgerUnavailable
from domain.ledger import PaymentEventQuery
from domain.payment_status import PaymentStatus as S
from domain.ports import PaymentLedger
from ledger import Ledger, open_ledger, postgres_listener
from tests.ledger.observations import observed, payment
from tests.postgres import database_down, terminate_backends

WITHIN_SECONDS = 5.0  # bounded: a wake-up that does not come fails the test, it never hangs


async def woken(subscription: AsyncIterator[None]) -> None:
    await asyncio.wait_for(anext(subscription), WITHIN_SECONDS)


async def test_a_change_recorded_by_one_ledger_wakes_a_subscriber_of_another(
    ledger: PaymentLedger, second_ledger: Ledger
) -> None:
    async with second_ledger.wakeups() as subscription:
        await ledger.record(observed(payment(status=S.SUCCEEDED), "evt_1"))

        await woken(subscription)

    page = await second_ledger.events(PaymentEventQuery())
    assert [event.status for event in page.events] == [S.SUCCEEDED]


async def test_every_subscriber_is_woken_and_again_for_each_later_change(
    ledger: PaymentLedger, second_ledger: Ledger
) -> None:
    async with (
        ledger.wakeups() as here,
        second_ledger.wakeups() as there,
        second_ledger.wakeups() as also_there,
    ):
        for i, status in enumerate([S.PROCESSING, S.SUCCEEDED]):
            await ledger.record(observed(payment(status=status), f"evt_{i}"))
            await asyncio.gather(woken(here), woken(there), woken(also_there))


async def test_subscriptions_end_when_their_ledger_closes(ledger_url: str) -> None:
    subscribed = asyncio.Event()

    async def watch(ledger: Ledger) -> int:
        async with ledger.wakeups() as subscription:
            subscribed.set()
            return sum([1 async for _ in subscription])

    async with open_ledger(ledger_url) as closing:
        watching = asyncio.create_task(watch(closing))
        await asyncio.wait_for(subscribed.wait(), WITHIN_SECONDS)

    assert await asyncio.wait_for(watching, WITHIN_SECONDS) == 0


async def test_a_lost_listening_connection_comes_back_and_wakes_its_subscribers(
    postgres_database_url: str,
) -> None:
    url = postgres_database_url
    async with open_ledger(url) as here, open_ledger(url) as there, there.wakeups() as subscription:
        assert terminate_backends(url) > 0  # the listener's session among them

        await woken(subscription)  # "read again": notifications may have been lost meanwhile
        for _ in range(2):  # the first write may fail on a pooled connection the server ended
            try:
                await here.record(observed(payment(status=S.SUCCEEDED), "evt_1"))
                break
            except LedgerUnavailable:
                continue
        await woken(subscription)


async def test_subscribing_while_the_database_is_down_is_unavailable_then_works(
    postgres_database_url: str, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_ledger(postgres_database_url) as ledger:
        monkeypatch.setattr(postgres_listener, "CONNECT_TIMEOUT_SECONDS", 0.2)
        with database_down(postgres_database_url, postgres_url):
            with pytest.raises(LedgerUnavailable) as failed:
                async with ledger.wakeups():
                    pass
            assert failed.value.retry_after_seconds == 1
        monkeypatch.undo()

        async with ledger.wakeups() as subscription, open_ledger(postgres_database_url) as other:
            await other.record(observed(payment(status=S.SUCCEEDED), "evt_1"))
            await woken(subscription)
