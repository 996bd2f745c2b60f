"""Webhook deliveries from the emulator (real endpoints, real signatures) into observations."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from domain.customer import Customer
from domain.errors import WebhookRefused
from domain.ledger import Observation
from domain.money import Money
from domain.payment_status import PaymentStatus
from domain.product import Product, ProductChanged
from stripe_adapter.events import EVENT_TYPES, PAYMENT_EVENT_TYPES, StripePaymentEvents
from stripe_adapter.gateway import StripePaymentGateway
from stripe_emulator.testing import EmulatorHandle, Receipt
from tests.adapter.conftest import (
    ORDER,
    api_requests,
    open_checkout,
    pay,
    settings_for,
    write,
)
from tests.adapter.webhooks import Deliveries, body_of, signature_of, signed, webhook_endpoint
from tests.emulator.helpers import repriced, stripe_client

SESSION_READ = "GET /v1/checkout/sessions/{session}"


async def observed(events: StripePaymentEvents, receipt: Receipt) -> Observation:
    observation = await events.from_webhook(receipt.body, signature_of(receipt))
    assert isinstance(observation, Observation)
    return observation


async def test_a_paid_checkout_is_succeeded_with_everything_about_the_payment(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    events: StripePaymentEvents,
    deliveries: Deliveries,
    customer: Customer,
    product: Product,
) -> None:
    session = await open_checkout(gateway, customer, product)
    intent = pay(emulator, session.id)

    receipt = await deliveries.one("checkout.session.completed")
    observation = await observed(events, receipt)

    event = body_of(receipt)
    assert observation.event_id == event["id"]
    assert observation.observed_at == datetime.fromtimestamp(event["created"], UTC)
    payment = observation.payment
    assert payment.checkout_session_id == session.id
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.status_changed_at == observation.observed_at
    assert payment.payment_intent_id == intent
    assert payment.customer_id == customer.id
    assert payment.total == Money(3000, "usd")
    assert payment.client_reference_id == ORDER
    assert payment.metadata == {"order": "o-1"}
    assert (payment.provider_status, payment.provider_payment_status) == ("complete", "paid")
    assert SESSION_READ not in api_requests(emulator)  # the event said it all


async def test_a_delayed_payment_is_processing_then_succeeded(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    events: StripePaymentEvents,
    deliveries: Deliveries,
    customer: Customer,
    product: Product,
) -> None:
    session = await open_checkout(gateway, customer, product)
    intent = pay(emulator, session.id, outcome="processing")
    completed = await observed(events, await deliveries.one("checkout.session.completed"))
    emulator.settle(intent, outcome="succeeded")
    settled = await observed(
        events, await deliveries.one("checkout.session.async_payment_succeeded")
    )

    assert completed.payment.status is PaymentStatus.PROCESSING
    assert completed.payment.provider_payment_status == "unpaid"
    assert settled.payment.status is PaymentStatus.SUCCEEDED
    assert settled.payment.checkout_session_id == session.id
    assert settled.payment.client_reference_id == ORDER
    assert settled.event_id != completed.event_id


async def test_a_delayed_payment_the_bank_refuses_is_failed(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    events: StripePaymentEvents,
    deliveries: Deliveries,
    customer: Customer,
    product: Product,
) -> None:
    session = await open_checkout(gateway, customer, product)
    emulator.settle(pay(emulator, session.id, outcome="processing"), outcome="failed")

    failed = await observed(events, await deliveries.one("checkout.session.async_payment_failed"))

    assert failed.payment.status is PaymentStatus.FAILED
    assert failed.payment.checkout_session_id == session.id
    assert (failed.payment.provider_status, failed.payment.provider_payment_status) == (
        "complete",
        "unpaid",
    )


async def test_an_expired_checkout_is_expired(
    gateway: StripePaymentGateway,
    events: StripePaymentEvents,
    deliveries: Deliveries,
    customer: Customer,
    product: Product,
) -> None:
    session = await open_checkout(gateway, customer, product)
    await gateway.expire_checkout(session.id, write(operation="ExpireCheckout"))

    expired = await observed(events, await deliveries.one("checkout.session.expired"))

    assert expired.payment.status is PaymentStatus.EXPIRED
    assert expired.payment.checkout_session_id == session.id
    assert expired.payment.client_reference_id == ORDER


async def test_events_of_other_types_are_of_no_use(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    events: StripePaymentEvents,
    deliveries: Deliveries,
    customer: Customer,
    product: Product,
) -> None:
    session = await open_checkout(gateway, customer, product)
    pay(emulator, session.id)
    await deliveries.one("checkout.session.completed")
    others = [
        await deliveries.one(event_type)
        for event_type in (
            "customer.created",
            "product.created",
            "price.created",
            "payment_intent.created",
            "payment_intent.succeeded",
        )
    ]

    for receipt in others:
        assert await events.from_webhook(receipt.body, signature_of(receipt)) is None
    assert set(PAYMENT_EVENT_TYPES).isdisjoint(body_of(r)["type"] for r in others)


async def test_product_and_price_changes_name_the_product(
    emulator: EmulatorHandle,
    events: StripePaymentEvents,
    deliveries: Deliveries,
    product: Product,
) -> None:
    assert product.price_id is not None
    repriced(stripe_client(emulator), product.id, 1700, archiving=product.price_id)

    for event_type in ("product.updated", "price.updated"):
        receipt = await deliveries.one(event_type)
        told = await events.from_webhook(receipt.body, signature_of(receipt))
        event = body_of(receipt)
        created = datetime.fromtimestamp(event["created"], UTC)
        assert told == ProductChanged(product.id, event["id"], created), event_type
    assert {"product.updated", "price.updated"} <= set(EVENT_TYPES)


@pytest.mark.parametrize(
    ("event_type", "changed"),
    [
        ("product.deleted", {"object": "product", "deleted": True}),
        ("price.updated", {"object": "price", "product": None}),
        ("price.deleted", "price_1"),
    ],
)
async def test_a_product_event_naming_no_product_is_of_no_use(
    events: StripePaymentEvents, deliveries: Deliveries, event_type: str, changed: object
) -> None:
    event = {"id": "evt_1", "object": "event", "type": event_type, "created": 1}
    body, signature = signed({**event, "data": {"object": changed}}, deliveries.secret)

    assert await events.from_webhook(body, signature) is None


async def test_an_expanded_product_of_a_price_is_named_by_its_id(
    events: StripePaymentEvents, deliveries: Deliveries
) -> None:
    price = {"object": "price", "id": "price_1", "product": {"id": "prod_9", "object": "product"}}
    event = {"id": "evt_1", "object": "event", "type": "price.deleted", "created": 1}
    body, signature = signed({**event, "data": {"object": price}}, deliveries.secret)

    told = await events.from_webhook(body, signature)

    assert told == ProductChanged("prod_9", "evt_1", datetime.fromtimestamp(1, UTC))


async def test_during_a_rotation_either_secret_verifies(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    deliveries: Deliveries,
    customer: Customer,
    product: Product,
) -> None:
    """Two endpoints sign the same event with their own secrets: both verify."""
    async with webhook_endpoint(emulator) as second:
        both = StripePaymentEvents(
            settings_for(emulator),
            ["whsec_retired", deliveries.secret, second.secret],
            connection=gateway.connection,
        )
        session = await open_checkout(gateway, customer, product)
        pay(emulator, session.id)
        first_receipt = await deliveries.one("checkout.session.completed")
        second_receipt = await second.one("checkout.session.completed")

        by_first = await observed(both, first_receipt)
        by_second = await observed(both, second_receipt)

    assert signature_of(first_receipt) != signature_of(second_receipt)
    assert by_first == by_second
    assert by_first.payment.status is PaymentStatus.SUCCEEDED


async def test_a_delivery_signed_with_another_secret_is_refused(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    events: StripePaymentEvents,
    deliveries: Deliveries,
    customer: Customer,
    product: Product,
) -> None:
    emulator.add_delivery_fault(fault="wrong_secret", type="checkout.session.completed")
    session = await open_checkout(gateway, customer, product)
    pay(emulator, session.id)
    receipt = await deliveries.one("checkout.session.completed")

    with pytest.raises(WebhookRefused) as caught:
        await events.from_webhook(receipt.body, signature_of(receipt))

    assert "matches none of the webhook secrets" in caught.value.message
    assert_quotes_nothing(caught.value, receipt, deliveries.secret)


async def test_a_delivery_signed_long_ago_is_refused_as_stale(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    events: StripePaymentEvents,
    deliveries: Deliveries,
    customer: Customer,
    product: Product,
) -> None:
    emulator.add_delivery_fault(
        fault="old_timestamp", age_seconds=600, type="checkout.session.completed"
    )
    session = await open_checkout(gateway, customer, product)
    pay(emulator, session.id)
    receipt = await deliveries.one("checkout.session.completed")

    with pytest.raises(WebhookRefused) as caught:
        await events.from_webhook(receipt.body, signature_of(receipt))

    assert "more than 300 s old" in caught.value.message
    assert_quotes_nothing(caught.value, receipt, deliveries.secret)


@pytest.mark.parametrize(("age", "refused"), [(301, True), (299, False)])
async def test_the_tolerance_is_300_seconds(
    events: StripePaymentEvents, deliveries: Deliveries, age: int, refused: bool
) -> None:
    """Signed by the SDK's helper at an old timestamp, with the endpoint's own secret."""
    body, header = signed(customer_event(), deliveries.secret, int(time.time()) - age)

    if refused:
        with pytest.raises(WebhookRefused, match="old"):
            await events.from_webhook(body, header)
    else:
        assert await events.from_webhook(body, header) is None


@pytest.mark.parametrize("header", ["", "garbage", "t=abc,v1=00", "t=1700000000", "v1=00"])
async def test_a_missing_or_malformed_signature_is_refused(
    events: StripePaymentEvents, header: str
) -> None:
    body = customer_event().encode()

    with pytest.raises(WebhookRefused) as caught:
        await events.from_webhook(body, header)

    expected = "no Stripe-Signature header" if not header else "malformed or matches none"
    assert expected in caught.value.message


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("{not json", "not JSON"),
        ("[" * 100_000, "not JSON"),
        ("", "not JSON"),
        ('{"hello": "world"}', "not a Stripe event"),
        ("[]", "not a Stripe event"),
        ('"event"', "not a Stripe event"),
        ('{"object": "event", "id": "evt_1", "type": "checkout.session.expired"}', "not a Stripe"),
        (
            '{"object": "event", "id": "evt_1", "type": "x", "created": 1e30, "data": {}}',
            "not a Stripe event",
        ),
        (
            '{"object": "event", "id": "evt_1", "type": "x", "created": 99999999999999, '
            '"data": {}}',
            "not a Stripe event",
        ),
    ],
)
async def test_a_genuinely_signed_body_that_is_no_event_is_refused(
    events: StripePaymentEvents, deliveries: Deliveries, body: str, why: str
) -> None:
    payload, header = signed(body, deliveries.secret)

    with pytest.raises(WebhookRefused, match=why):
        await events.from_webhook(payload, header)


async def test_a_body_that_is_not_utf8_is_refused(events: StripePaymentEvents) -> None:
    with pytest.raises(WebhookRefused, match="not UTF-8"):
        await events.from_webhook(b"\xff\xfe{}", f"t={int(time.time())},v1=00")


async def test_without_a_secret_every_delivery_is_refused(
    emulator: EmulatorHandle, gateway: StripePaymentGateway, deliveries: Deliveries
) -> None:
    unconfigured = StripePaymentEvents(settings_for(emulator), [], connection=gateway.connection)
    body, header = signed(customer_event(), deliveries.secret)

    with pytest.raises(WebhookRefused, match="no webhook signing secret is configured"):
        await unconfigured.from_webhook(body, header)


def test_the_tolerance_must_be_positive(emulator: EmulatorHandle) -> None:
    with pytest.raises(ValueError, match="tolerance"):
        StripePaymentEvents(settings_for(emulator), ["whsec_x"], tolerance_seconds=0)


def customer_event() -> str:
    return (
        '{"object": "event", "id": "evt_test_1", "type": "customer.created", '
        '"created": 1700000000, "data": {"object": {"id": "cus_1", "object": "customer"}}}'
    )


def assert_quotes_nothing(error: WebhookRefused, receipt: Receipt, secret: str) -> None:
    """Neither the message nor anything chained to it quotes the body or a secret."""
    event_id = body_of(receipt)["id"]
    texts = [str(error), repr(error.__cause__), repr(error.__context__)]
    for text in texts:
        assert event_id not in text
        assert secret not in text
        assert receipt.body.decode()[:40] not in text
    assert error.__cause__ is None
