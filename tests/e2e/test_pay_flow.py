"""The whole journey: customer → product → checkout → the customer pays (or not) → status."""

from __future__ import annotations

import pytest

from payments.v1 import payments_pb2
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import Stub
from tests.e2e.test_rpcs import create_customer, create_product

Metadata = tuple[tuple[str, str], ...]


async def open_checkout(stub: Stub, auth: Metadata) -> payments_pb2.CreateCheckoutResponse:
    customer = await create_customer(stub, auth)
    product = await create_product(stub, auth, amount=1999)
    request = payments_pb2.CreateCheckoutRequest(product_id=product.id, customer_id=customer.id)
    return await stub.CreateCheckout(request, metadata=auth, timeout=5)


async def status_of(
    stub: Stub, auth: Metadata, payment_id: str
) -> payments_pb2.GetPaymentStatusResponse:
    request = payments_pb2.GetPaymentStatusRequest(id=payment_id)
    return await stub.GetPaymentStatus(request, metadata=auth, timeout=5)


async def test_paid_checkout_succeeds_by_session_and_by_intent(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    checkout = await open_checkout(stub, auth)
    session_id = checkout.checkout_session_id
    assert (await status_of(stub, auth, session_id)).status == payments_pb2.PAYMENT_STATUS_OPEN

    emulator.pay(session_id)

    by_session = await status_of(stub, auth, session_id)
    assert by_session.status == payments_pb2.PAYMENT_STATUS_SUCCEEDED
    assert (by_session.stripe_status, by_session.stripe_payment_status) == ("complete", "paid")
    assert by_session.payment_intent_id.startswith("pi_")
    assert (by_session.amount_total, by_session.currency) == (1999, "usd")
    by_intent = await status_of(stub, auth, by_session.payment_intent_id)
    assert by_intent.status == payments_pb2.PAYMENT_STATUS_SUCCEEDED
    # A final status answered from the ledger, which keeps the checkout's words, not the intent's.
    assert by_intent.stripe_status == ""
    assert by_intent.id == by_session.payment_intent_id


async def test_failed_payment_stays_open(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    checkout = await open_checkout(stub, auth)
    emulator.pay(checkout.checkout_session_id, outcome="fail")
    by_session = await status_of(stub, auth, checkout.checkout_session_id)
    assert by_session.status == payments_pb2.PAYMENT_STATUS_OPEN
    by_intent = await status_of(stub, auth, by_session.payment_intent_id)
    assert by_intent.status == payments_pb2.PAYMENT_STATUS_OPEN
    assert by_intent.stripe_status == "requires_payment_method"


async def test_delayed_payment_is_processing(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    checkout = await open_checkout(stub, auth)
    emulator.pay(checkout.checkout_session_id, outcome="processing")
    by_session = await status_of(stub, auth, checkout.checkout_session_id)
    assert by_session.status == payments_pb2.PAYMENT_STATUS_PROCESSING


@pytest.mark.parametrize("pay_first", [False, True], ids=["untouched", "after-failed-attempt"])
async def test_expired_checkout(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle, pay_first: bool
) -> None:
    checkout = await open_checkout(stub, auth)
    if pay_first:
        emulator.pay(checkout.checkout_session_id, outcome="fail")
    emulator.expire(checkout.checkout_session_id)
    by_session = await status_of(stub, auth, checkout.checkout_session_id)
    assert by_session.status == payments_pb2.PAYMENT_STATUS_EXPIRED
    if pay_first:
        by_intent = await status_of(stub, auth, by_session.payment_intent_id)
        assert by_intent.status == payments_pb2.PAYMENT_STATUS_CANCELED
