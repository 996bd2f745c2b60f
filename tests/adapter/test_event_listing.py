"""since(): Stripe's events of the used types, listed page by page, each observation once."""

from __future__ import annotations

import logging
import socket
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.customer import Customer
from domain.errors import ProviderUnavailable, RateLimited, RetryableError
from domain.ledger import Observation
from domain.payment_status import PaymentStatus
from domain.product import Product, ProductChanged
from stripe_adapter.events import EVENT_TYPES, PAYMENT_EVENT_TYPES, StripePaymentEvents
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings
from stripe_emulator.testing import EmulatorHandle
from tests.adapter.conftest import api_requests, open_checkout, pay, settings_for, write
from tests.emulator.helpers import stripe_client

EVENTS_LIST = "GET /v1/events"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture
def lister(emulator: EmulatorHandle, gateway: StripePaymentGateway) -> StripePaymentEvents:
    """No webhook secret: listing needs none."""
    return StripePaymentEvents(settings_for(emulator), [], connection=gateway.connection)


async def listed(events: StripePaymentEvents, since: datetime = EPOCH) -> list[Observation]:
    """The payments' observations listed (the product changes aside)."""
    return [told async for told in events.since(since) if isinstance(told, Observation)]


def stripes_own_list(emulator: EmulatorHandle) -> set[str]:
    """The ids of every event of the used types, as the SDK lists them."""
    page = stripe_client(emulator).v1.events.list(
        params={"types": list(PAYMENT_EVENT_TYPES), "limit": 100}
    )
    return {event.id for event in page.auto_paging_iter()}


async def test_every_event_of_every_flow_appears_once(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    lister: StripePaymentEvents,
    customer: Customer,
    product: Product,
) -> None:
    paid, slow_ok, slow_bad, expired, declined = [
        (await open_checkout(gateway, customer, product, f"order-{n}")).id for n in range(5)
    ]
    pay(emulator, paid)
    emulator.settle(pay(emulator, slow_ok, outcome="processing"), outcome="succeeded")
    emulator.settle(pay(emulator, slow_bad, outcome="processing"), outcome="failed")
    await gateway.expire_checkout(expired, write(operation="ExpireCheckout"))
    emulator.pay(declined, outcome="fail")
    emulator.expire(declined)

    observations = await listed(lister)

    assert api_requests(emulator)[EVENTS_LIST] == 1
    assert Counter((o.payment.checkout_session_id, o.payment.status) for o in observations) == {
        (paid, PaymentStatus.SUCCEEDED): 1,
        (slow_ok, PaymentStatus.PROCESSING): 1,
        (slow_ok, PaymentStatus.SUCCEEDED): 1,
        (slow_bad, PaymentStatus.PROCESSING): 1,
        (slow_bad, PaymentStatus.FAILED): 1,
        (expired, PaymentStatus.EXPIRED): 1,
        (declined, PaymentStatus.EXPIRED): 1,
    }
    event_ids = [o.event_id for o in observations]
    assert len(set(event_ids)) == len(event_ids)
    assert set(event_ids) == stripes_own_list(emulator)
    assert all(o.payment.client_reference_id for o in observations)


async def test_more_than_a_page_is_read_page_by_page(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    lister: StripePaymentEvents,
    customer: Customer,
    product: Product,
) -> None:
    sessions = [(await open_checkout(gateway, customer, product)).id for _ in range(130)]
    for session_id in sessions:
        emulator.expire(session_id)

    observations = await listed(lister)

    assert sorted(o.payment.checkout_session_id for o in observations) == sorted(sessions)
    assert len({o.event_id for o in observations}) == 130
    assert api_requests(emulator)[EVENTS_LIST] == 2  # 100, then 30


async def test_only_events_created_at_or_after_the_instant_are_listed(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    lister: StripePaymentEvents,
    customer: Customer,
    product: Product,
) -> None:
    for _ in range(3):
        emulator.expire((await open_checkout(gateway, customer, product)).id)
    everything = await listed(lister)
    newest = max(o.observed_at for o in everything)

    from_newest = await listed(lister, newest + timedelta(microseconds=999_999))
    from_the_future = await listed(lister, datetime.now(UTC) + timedelta(hours=1))

    assert {o.event_id for o in from_newest} == {
        o.event_id for o in everything if o.observed_at >= newest
    }
    assert from_newest  # the second of `newest` is included, to the second
    assert from_the_future == []


async def test_product_and_price_changes_are_listed_as_product_changes(
    emulator: EmulatorHandle, lister: StripePaymentEvents, product: Product
) -> None:
    client = stripe_client(emulator)
    client.v1.products.update(product.id, params={"name": "Renamed"})
    assert product.price_id is not None
    client.v1.prices.update(product.price_id, params={"metadata": {"note": "x"}})
    listed_types: Any = {"types": list(EVENT_TYPES), "limit": 100}  # plain strings, not literals
    ids = [event.id for event in client.v1.events.list(params=listed_types).data]

    told = [item async for item in lister.since(EPOCH)]

    assert [(t.product_id, t.event_id) for t in told if isinstance(t, ProductChanged)] == [
        (product.id, event_id)
        for event_id in ids  # newest first, as Stripe lists them
    ]


async def test_listing_an_unreachable_stripe_is_retryable() -> None:
    with socket.socket() as closed:  # a port nobody listens on: connect() is refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings = StripeSettings(
        api_key="sk_test_unreachable", api_base=f"http://127.0.0.1:{port}",
        timeout_seconds=2, max_network_retries=0, max_connections=1,
    )  # fmt: skip
    events = StripePaymentEvents(settings, [])
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            await listed(events)
    finally:
        await events.aclose()

    assert isinstance(caught.value, RetryableError)


@pytest.fixture
async def one_try(emulator: EmulatorHandle) -> AsyncIterator[StripePaymentEvents]:
    """No SDK retries, no patience for a rate limit."""
    settings = settings_for(emulator, max_network_retries=0, max_rate_limit_retries=0)
    events = StripePaymentEvents(settings, [])
    yield events
    await events.aclose()


async def test_a_failing_second_page_fails_the_listing(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    one_try: StripePaymentEvents,
    customer: Customer,
    product: Product,
) -> None:
    for _ in range(101):
        emulator.expire((await open_checkout(gateway, customer, product)).id)
    pages = one_try.since(EPOCH)
    first = await anext(pages)  # the first page is read
    emulator.add_fault(path="/v1/events", method="GET", status=503)

    with pytest.raises(ProviderUnavailable):
        async for _ in pages:
            pass

    assert isinstance(first, Observation)
    assert first.payment.status is PaymentStatus.EXPIRED


async def test_a_rate_limited_listing_is_rate_limited(
    emulator: EmulatorHandle, one_try: StripePaymentEvents
) -> None:
    emulator.add_fault(path="/v1/events", method="GET", status=429)

    with pytest.raises(RateLimited):
        await listed(one_try)


async def test_what_cannot_be_placed_is_logged_and_passed_over(
    lister: StripePaymentEvents, caplog: pytest.LogCaptureFixture
) -> None:
    """Stripe lists full snapshots; should one list otherwise, the listing goes on."""
    no_session = {
        "object": "event",
        "id": "evt_odd",
        "type": "checkout.session.expired",
        "created": 1700000000,
        "data": {"object": {"object": "checkout.session"}},
    }
    caplog.set_level(logging.WARNING, logger="stripe_adapter")

    assert await lister._listed({"object": "list"}) is None
    assert await lister._listed(no_session) is None

    assert [r.getMessage() for r in caplog.records] == [
        "Stripe listed something that is not an event; passed over",
        "event evt_odd passed over: a checkout.session event that names no checkout session",
    ]
