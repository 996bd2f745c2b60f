"""Checkout sessions and payment snapshots, before and after the customer pays."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.customer import Customer
from domain.errors import NotFound, ProductNotPurchasable
from domain.money import Money
from domain.payment_status import PaymentRefKind, PaymentStatus
from domain.product import Product
from stripe_adapter.gateway import StripePaymentGateway
from stripe_emulator.testing import EmulatorHandle
from tests.adapter.conftest import checkout_for, in_seconds, write
from tests.emulator.helpers import repriced, stripe_client


async def test_create_checkout_opens_a_session(
    gateway: StripePaymentGateway, customer: Customer, product: Product
) -> None:
    session = await gateway.create_checkout(
        checkout_for(product, customer.id), write(deadline_in=5)
    )

    assert session.id.startswith("cs_")
    assert session.url
    assert session.expires_at > datetime.now(UTC)
    assert session.total == Money(3000, "usd")


async def test_checkout_for_unknown_customer_is_customer_not_found(
    gateway: StripePaymentGateway, product: Product
) -> None:
    with pytest.raises(NotFound) as caught:
        await gateway.create_checkout(checkout_for(product, "cus_missing"), write())

    assert (caught.value.kind, caught.value.object_id) == ("customer", "cus_missing")


async def test_checkout_for_unknown_price_is_product_not_purchasable(
    gateway: StripePaymentGateway, customer: Customer, product: Product
) -> None:
    """A price is not something the API names: its absence means the product has no usable
    price (a documented reason), never an undocumented PRICE_NOT_FOUND."""
    unknown_price = replace(checkout_for(product, customer.id), price_id="price_missing")

    with pytest.raises(ProductNotPurchasable) as caught:
        await gateway.create_checkout(unknown_price, write())

    assert caught.value.metadata["product_id"] == product.id
    assert caught.value.provider.error_code == "resource_missing"


async def test_a_checkout_of_an_archived_price_is_product_not_purchasable(
    gateway: StripePaymentGateway, emulator: EmulatorHandle, customer: Customer, product: Product
) -> None:
    """What the service knew is stale: Stripe's refusal comes back as the product's, with the
    param Stripe blamed, for the use case to read the product afresh."""
    assert product.price_id is not None
    repriced(stripe_client(emulator), product.id, 1700, archiving=product.price_id)

    with pytest.raises(ProductNotPurchasable) as caught:
        await gateway.create_checkout(checkout_for(product, customer.id), write())

    assert caught.value.metadata["product_id"] == product.id
    assert "The price specified is inactive" in caught.value.message
    assert caught.value.provider.param == "line_items[0][price]"


async def test_a_checkout_of_an_archived_product_is_product_not_purchasable(
    gateway: StripePaymentGateway, emulator: EmulatorHandle, customer: Customer, product: Product
) -> None:
    stripe_client(emulator).v1.products.update(product.id, params={"active": False})

    with pytest.raises(ProductNotPurchasable) as caught:
        await gateway.create_checkout(checkout_for(product, customer.id), write())

    assert "because its product is not active" in caught.value.message
    assert caught.value.provider.param == "line_items[0][price]"


async def test_open_session_snapshot(
    gateway: StripePaymentGateway, customer: Customer, product: Product
) -> None:
    session = await gateway.create_checkout(checkout_for(product, customer.id), write())

    snapshot = await gateway.get_payment(session.id, in_seconds(5))

    assert snapshot.kind is PaymentRefKind.CHECKOUT_SESSION
    assert (snapshot.provider_status, snapshot.provider_payment_status) == ("open", "unpaid")
    assert snapshot.checkout_session_id == session.id
    assert snapshot.customer_id == customer.id
    assert snapshot.total == Money(3000, "usd")
    assert snapshot.status is PaymentStatus.OPEN


async def test_paid_session_and_its_intent_have_succeeded(
    gateway: StripePaymentGateway, emulator: EmulatorHandle, customer: Customer, product: Product
) -> None:
    session = await gateway.create_checkout(checkout_for(product, customer.id), write())
    emulator.pay(session.id)

    by_session = await gateway.get_payment(session.id, in_seconds())
    assert by_session.payment_intent_id is not None
    by_intent = await gateway.get_payment(by_session.payment_intent_id, in_seconds())

    assert (by_session.provider_status, by_session.provider_payment_status) == (
        "complete",
        "paid",
    )
    assert by_session.status is PaymentStatus.SUCCEEDED
    assert by_intent.kind is PaymentRefKind.PAYMENT_INTENT
    assert (by_intent.provider_status, by_intent.provider_payment_status) == ("succeeded", "")
    assert by_intent.customer_id == customer.id
    assert by_intent.total == Money(3000, "usd")
    assert by_intent.status is PaymentStatus.SUCCEEDED


async def test_unknown_session_is_checkout_session_not_found(
    gateway: StripePaymentGateway,
) -> None:
    with pytest.raises(NotFound) as caught:
        await gateway.get_payment("cs_test_missing", in_seconds())

    assert (caught.value.kind, caught.value.object_id) == ("checkout_session", "cs_test_missing")


async def test_unknown_intent_is_payment_intent_not_found(gateway: StripePaymentGateway) -> None:
    with pytest.raises(NotFound) as caught:
        await gateway.get_payment("pi_missing", in_seconds())

    assert (caught.value.kind, caught.value.object_id) == ("payment_intent", "pi_missing")
