"""A checkout's order id (client_reference_id) and expiry: on the session, and on the payment
behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.checkout import CLIENT_REFERENCE_ID_METADATA_KEY, SOLD_PRODUCT_METADATA_KEY
from domain.customer import Customer
from domain.errors import InvalidInput
from domain.product import Product
from stripe_adapter.gateway import StripePaymentGateway
from stripe_emulator.testing import EmulatorHandle
from tests.adapter.conftest import checkout_for, in_seconds, object_count, write

ORDER = "order-42"


def in_an_hour() -> datetime:
    return (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)


async def test_session_and_its_payment_carry_the_order_id(
    gateway: StripePaymentGateway, emulator: EmulatorHandle, customer: Customer, product: Product
) -> None:
    expires_at = in_an_hour()
    metadata = {"team": "shop", SOLD_PRODUCT_METADATA_KEY: product.id}
    new = checkout_for(
        product, customer.id, client_reference_id=ORDER, expires_at=expires_at, metadata=metadata
    )

    created = await gateway.create_checkout(new, write())
    emulator.pay(created.id)
    session = await gateway.get_payment(created.id, in_seconds())
    assert session.payment_intent_id is not None
    intent = await gateway.get_payment(session.payment_intent_id, in_seconds())

    assert created.expires_at == expires_at
    assert (session.client_reference_id, session.metadata) == (ORDER, metadata)
    assert (intent.client_reference_id, intent.metadata) == (ORDER, metadata)


async def test_without_an_order_id_none_is_made_up(
    gateway: StripePaymentGateway, emulator: EmulatorHandle, customer: Customer, product: Product
) -> None:
    """A caller's own metadata value under the order id's key does not pose as the order id."""
    metadata = {CLIENT_REFERENCE_ID_METADATA_KEY: "not-an-order"}
    created = await gateway.create_checkout(
        checkout_for(product, customer.id, metadata=metadata), write()
    )
    emulator.pay(created.id)

    session = await gateway.get_payment(created.id, in_seconds())
    assert session.payment_intent_id is not None
    intent = await gateway.get_payment(session.payment_intent_id, in_seconds())

    assert session.client_reference_id is None
    assert intent.client_reference_id is None
    assert intent.metadata == {}


@pytest.mark.parametrize("ahead", [timedelta(minutes=10), timedelta(hours=25)])
async def test_expiry_outside_what_stripe_allows_is_invalid_expire_time(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    customer: Customer,
    product: Product,
    ahead: timedelta,
) -> None:
    new = checkout_for(product, customer.id, expires_at=datetime.now(UTC) + ahead)

    with pytest.raises(InvalidInput) as caught:
        await gateway.create_checkout(new, write())

    (violation,) = caught.value.violations
    assert violation.field == "expire_time"
    assert "30 minutes to 24 hours" in violation.description
    assert caught.value.provider.request_id
    assert object_count(emulator, "checkout.session") == 0


async def test_an_order_id_stripe_refuses_is_invalid_client_reference_id(
    gateway: StripePaymentGateway, customer: Customer, product: Product
) -> None:
    new = checkout_for(product, customer.id, client_reference_id="x" * 201)

    with pytest.raises(InvalidInput) as caught:
        await gateway.create_checkout(new, write())

    (violation,) = caught.value.violations
    assert violation.field == "client_reference_id"
    assert "at most 200 characters" in violation.description


async def test_metadata_the_order_id_takes_over_stripes_limit_is_invalid_metadata(
    gateway: StripePaymentGateway, customer: Customer, product: Product
) -> None:
    """50 keys fit on the session; the PaymentIntent's copy with the order id has 51."""
    metadata = {f"k{i}": "v" for i in range(50)}
    new = checkout_for(product, customer.id, client_reference_id=ORDER, metadata=metadata)

    with pytest.raises(InvalidInput) as caught:
        await gateway.create_checkout(new, write())

    (violation,) = caught.value.violations
    assert violation.field == "metadata"
    assert "50 keys" in violation.description
