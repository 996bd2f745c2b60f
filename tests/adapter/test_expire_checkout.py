"""ExpireCheckout: an open checkout stops taking payment; one that is not open cannot."""

from __future__ import annotations

import pytest

from domain.call import WriteOptions
from domain.checkout import CheckoutSession
from domain.customer import Customer
from domain.errors import CheckoutNotOpen, InvalidInput, NotFound
from domain.payment_status import PaymentRefKind, PaymentStatus
from domain.product import Product
from stripe_adapter.gateway import StripePaymentGateway
from stripe_emulator.testing import EmulatorHandle
from tests.adapter.conftest import api_requests, checkout_for, in_seconds, write


@pytest.fixture
async def session(
    gateway: StripePaymentGateway, customer: Customer, product: Product
) -> CheckoutSession:
    new = checkout_for(product, customer.id, client_reference_id="order-7")
    return await gateway.create_checkout(new, write())


def expire(key: str | None = None) -> WriteOptions:
    return write(key, operation="ExpireCheckout")


def event_count(emulator: EmulatorHandle) -> int:
    count: int = emulator.stats()["objects"].get("event", 0)
    return count


async def test_an_open_checkout_expires(
    gateway: StripePaymentGateway, session: CheckoutSession
) -> None:
    snapshot = await gateway.expire_checkout(session.id, expire())

    assert snapshot.kind is PaymentRefKind.CHECKOUT_SESSION
    assert (snapshot.id, snapshot.checkout_session_id) == (session.id, session.id)
    assert snapshot.status is PaymentStatus.EXPIRED
    assert snapshot.provider_status == "expired"
    assert snapshot.client_reference_id == "order-7"
    assert snapshot.total == session.total
    assert (await gateway.get_payment(session.id, in_seconds())).status is PaymentStatus.EXPIRED


async def test_a_paid_checkout_is_not_open(
    gateway: StripePaymentGateway, emulator: EmulatorHandle, session: CheckoutSession
) -> None:
    emulator.pay(session.id)

    with pytest.raises(CheckoutNotOpen) as caught:
        await gateway.expire_checkout(session.id, expire())

    assert caught.value.metadata == {"checkout_session_id": session.id}
    assert "is complete" in caught.value.message
    assert caught.value.provider.request_id
    assert (await gateway.get_payment(session.id, in_seconds())).status is PaymentStatus.SUCCEEDED


async def test_an_expired_checkout_cannot_expire_again(
    gateway: StripePaymentGateway, session: CheckoutSession
) -> None:
    await gateway.expire_checkout(session.id, expire())

    with pytest.raises(CheckoutNotOpen) as caught:
        await gateway.expire_checkout(session.id, expire())

    assert "expired already" in caught.value.message


async def test_a_retry_with_the_same_key_gets_the_first_answer(
    gateway: StripePaymentGateway, emulator: EmulatorHandle, session: CheckoutSession
) -> None:
    events_before = event_count(emulator)

    first = await gateway.expire_checkout(session.id, expire("expire-1"))
    again = await gateway.expire_checkout(session.id, expire("expire-1"))

    assert again == first
    assert first.status is PaymentStatus.EXPIRED
    assert event_count(emulator) == events_before + 1  # one checkout.session.expired
    assert api_requests(emulator)["POST /v1/checkout/sessions/{session}/expire"] == 2


async def test_an_unknown_checkout_is_not_found(gateway: StripePaymentGateway) -> None:
    with pytest.raises(NotFound) as caught:
        await gateway.expire_checkout("cs_test_missing", expire())

    assert (caught.value.kind, caught.value.object_id) == ("checkout_session", "cs_test_missing")


@pytest.mark.parametrize("bad_id", ["pi_123", "", "cus_1", "../cs_x"])
async def test_an_id_that_is_no_checkout_is_invalid_without_asking_stripe(
    gateway: StripePaymentGateway, emulator: EmulatorHandle, bad_id: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await gateway.expire_checkout(bad_id, expire())

    assert [v.field for v in caught.value.violations] == ["checkout_session_id"]
    assert api_requests(emulator) == {}
