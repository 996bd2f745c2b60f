"""The in-memory gateway, events and ledger keep the ports' promises the edge tests rely on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.call import CallContext, WriteOptions, write_options
from domain.checkout import NewCheckout
from domain.customer import NewCustomer
from domain.errors import (
    CheckoutNotOpen,
    CursorExpired,
    InvalidInput,
    NotFound,
    ProviderUnavailable,
    WebhookRefused,
)
from domain.ledger import Observation, Payment, PaymentEventQuery
from domain.money import Money
from domain.payment_status import PaymentStatus
from domain.product import NewProduct
from tests.fake_events import FakeEvents, observation
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

T0 = datetime(2026, 3, 1, tzinfo=UTC)


async def open_checkout(gateway: FakeGateway, call: CallContext) -> str:
    customer = await gateway.create_customer(NewCustomer(email="a@example.com"), expiring(call))
    product = await gateway.create_product(
        NewProduct("Widget", "", Money(250, "eur"), "sku-1"), expiring(call)
    )
    assert product.price_id is not None
    new = NewCheckout(
        product.price_id, product.id, customer.id, 1, "https://ok.example", "https://no.example",
        client_reference_id="order-1",
    )  # fmt: skip
    return (await gateway.create_checkout(new, expiring(call))).id


def expiring(call: CallContext, request_id: str = "") -> WriteOptions:
    return write_options(CallContext(call.caller_id, call.deadline, request_id), "ExpireCheckout")


async def test_the_fake_gateway_expires_an_open_checkout_once(
    gateway: FakeGateway, call: CallContext
) -> None:
    session_id = await open_checkout(gateway, call)

    expired = await gateway.expire_checkout(session_id, expiring(call, "r-1"))
    replayed = await gateway.expire_checkout(session_id, expiring(call, "r-1"))
    with pytest.raises(CheckoutNotOpen):
        await gateway.expire_checkout(session_id, expiring(call, "r-2"))

    assert expired == replayed
    assert expired.status is PaymentStatus.EXPIRED
    assert expired.client_reference_id == "order-1"


async def test_the_fake_gateway_refuses_to_expire_a_paid_unknown_or_bad_id(
    gateway: FakeGateway, call: CallContext
) -> None:
    paid = await open_checkout(gateway, call)
    gateway.pay(paid)

    with pytest.raises(CheckoutNotOpen):
        await gateway.expire_checkout(paid, expiring(call))
    with pytest.raises(NotFound):
        await gateway.expire_checkout("cs_test_missing", expiring(call))
    with pytest.raises(InvalidInput):
        await gateway.expire_checkout("pi_1", expiring(call))


async def test_the_fake_events_deliver_what_was_queued() -> None:
    events = FakeEvents()
    paid = observation("cs_test_1", PaymentStatus.SUCCEEDED, client_reference_id="order-1")
    body = events.webhook(paid)
    ignored = events.webhook(None)

    assert await events.from_webhook(body, FakeEvents.SIGNATURE) == paid
    assert await events.from_webhook(ignored, FakeEvents.SIGNATURE) is None
    assert paid.event_id is not None
    assert paid.event_id.startswith("evt_fake_")
    with pytest.raises(WebhookRefused):
        await events.from_webhook(body, "t=0,v1=forged")
    with pytest.raises(WebhookRefused):
        await events.from_webhook(b"{}", FakeEvents.SIGNATURE)


async def test_the_fake_events_list_from_an_instant_or_fail() -> None:
    early = observation("cs_test_1", PaymentStatus.PROCESSING)
    late = observation(
        "cs_test_1", PaymentStatus.SUCCEEDED, at=early.observed_at.replace(year=2027)
    )
    events = FakeEvents(listed=[early, late])

    assert [o async for o in events.since(early.observed_at)] == [early, late]
    assert [o async for o in events.since(late.observed_at)] == [late]
    events.unavailable = ProviderUnavailable("down", retry_after_seconds=1)
    with pytest.raises(ProviderUnavailable):
        [o async for o in events.since(early.observed_at)]


async def test_the_fake_ledgers_feed_tells_changes_pages_by_cursor_and_expires_pruned_ones() -> (
    None
):
    ledger = FakeLedger()
    async with ledger.wakeups() as subscription:
        for name in ("cs_1", "cs_2"):
            await ledger.record(Observation(Payment(name, PaymentStatus.OPEN, T0), T0))
            await ledger.record(Observation(Payment(name, PaymentStatus.SUCCEEDED, T0), T0, name))
            await ledger.record(Observation(Payment(name, PaymentStatus.SUCCEEDED, T0), T0, name))
        await asyncio.wait_for(anext(subscription), 1)

    first = await ledger.events(PaymentEventQuery(limit=1))
    rest = await ledger.events(PaymentEventQuery(after_cursor=first.next_cursor))
    assert (first.more, rest.more) == (True, False)
    assert [e.payment.checkout_session_id for e in [*first.events, *rest.events]] == [
        "cs_1",
        "cs_2",
    ]
    with pytest.raises(InvalidInput):
        await ledger.events(PaymentEventQuery(after_cursor="not-ours"))
    assert await ledger.prune(datetime.now(UTC) + timedelta(days=1)) == 2
    with pytest.raises(CursorExpired):
        await ledger.events(PaymentEventQuery(after_cursor=first.next_cursor))
    assert (await ledger.events(PaymentEventQuery(after_cursor=rest.next_cursor))).events == []
