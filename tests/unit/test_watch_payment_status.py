"""WatchPaymentStatus: the status now (as GetPaymentStatus answers), then each change recorded
that moves the payment further along, ending after a final status; by either id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from domain import live_feed
from domain.call import CallContext
from domain.errors import NotFound
from domain.live_feed import LiveFeed
from domain.payment_status import PaymentRefKind, PaymentSnapshot, PaymentStatus
from domain.use_cases import GetPaymentStatus, WatchPaymentStatus
from tests.fake_events import observation
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

S = PaymentStatus
OPEN_SESSION = PaymentSnapshot(
    id="cs_test_1",
    kind=PaymentRefKind.CHECKOUT_SESSION,
    status=S.OPEN,
    provider_status="open",
    provider_payment_status="unpaid",
    checkout_session_id="cs_test_1",
    payment_intent_id=None,
    customer_id="cus_1",
    total=None,
)


def watch(
    gateway: FakeGateway, ledger: FakeLedger, feed: LiveFeed, call: CallContext, payment_id: str
) -> AsyncIterator[PaymentSnapshot]:
    get_status = GetPaymentStatus(gateway, ledger)
    return WatchPaymentStatus(get_status, feed, ledger)(payment_id, call)


async def statuses(updates: AsyncIterator[PaymentSnapshot]) -> list[PaymentStatus]:
    return [update.status async for update in updates]


async def record(ledger: FakeLedger, status: PaymentStatus, intent: str | None = "pi_1") -> None:
    await ledger.record(observation("cs_test_1", status, payment_intent_id=intent))


async def test_open_then_each_change_until_final(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    gateway.snapshots[OPEN_SESSION.id] = OPEN_SESSION
    async with LiveFeed(ledger).following() as feed:
        updates = watch(gateway, ledger, feed, call, "cs_test_1")
        first = await anext(updates)
        await record(ledger, S.PROCESSING)
        await record(ledger, S.OPEN, intent=None)  # a late report of an earlier state
        await record(ledger, S.FAILED)
        rest = await asyncio.wait_for(statuses(updates), timeout=5)
    assert (first.id, first.status) == ("cs_test_1", S.OPEN)
    assert rest == [S.PROCESSING, S.FAILED]


async def test_a_final_payment_in_the_ledger_gives_one_update_without_the_provider(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    await record(ledger, S.SUCCEEDED)
    async with LiveFeed(ledger).following() as feed:
        assert await statuses(watch(gateway, ledger, feed, call, "cs_test_1")) == [S.SUCCEEDED]
    assert gateway.calls == []


async def test_by_payment_intent_id_an_expired_checkout_is_canceled(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    intent = replace(OPEN_SESSION, id="pi_1", kind=PaymentRefKind.PAYMENT_INTENT)
    gateway.snapshots["pi_1"] = intent
    async with LiveFeed(ledger).following() as feed:
        updates = watch(gateway, ledger, feed, call, "pi_1")
        assert (await anext(updates)).status is S.OPEN
        await record(ledger, S.EXPIRED)
        rest = [(u.id, u.status) async for u in updates]
    assert rest == [("pi_1", S.CANCELED)]


async def test_a_change_recorded_before_the_first_answer_is_read_is_not_missed(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    """The watcher subscribes before asking: a change recorded while the provider answers OPEN
    still arrives after that first answer."""
    gateway.snapshots[OPEN_SESSION.id] = OPEN_SESSION
    get_payment = gateway.get_payment

    async def answering_while_paid(payment_id, deadline):  # type: ignore[no-untyped-def]
        snapshot = await get_payment(payment_id, deadline)
        await record(ledger, S.SUCCEEDED)
        await asyncio.sleep(0)  # the feed hands it over before the first answer is yielded
        return snapshot

    gateway.get_payment = answering_while_paid  # type: ignore[method-assign]
    async with LiveFeed(ledger).following() as feed:
        updates = watch(gateway, ledger, feed, call, "cs_test_1")
        assert await asyncio.wait_for(statuses(updates), timeout=5) == [S.OPEN, S.SUCCEEDED]


async def test_falling_behind_asks_the_ledger_where_the_payment_stands(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_feed, "WATCHER_BACKLOG", 0)  # any change overflows it
    gateway.snapshots[OPEN_SESSION.id] = OPEN_SESSION
    async with LiveFeed(ledger).following() as feed:
        updates = watch(gateway, ledger, feed, call, "cs_test_1")
        await anext(updates)
        await record(ledger, S.SUCCEEDED)
        assert await asyncio.wait_for(statuses(updates), timeout=5) == [S.SUCCEEDED]


async def test_an_unknown_payment_is_not_found(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    async with LiveFeed(ledger).following() as feed:
        with pytest.raises(NotFound):
            await anext(watch(gateway, ledger, feed, call, "cs_test_unknown"))
