"""ExpireCheckout expires an open checkout through the gateway and records the answer in the
ledger, keyed by the checkout's id."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.call import CallContext, Deadline
from domain.errors import CheckoutNotOpen, DeadlineExceeded, LedgerUnavailable, NotFound
from domain.ledger import Observation, Recorded
from domain.payment_status import PaymentStatus
from domain.use_cases import (
    CheckoutDefaults,
    CreateCheckout,
    CreateCheckoutCommand,
    CreateCustomer,
    CreateCustomerCommand,
    CreateProduct,
    CreateProductCommand,
    ExpireCheckout,
)
from tests.fake_catalog import FakeCatalog
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

DEFAULTS = CheckoutDefaults(success_url="https://ok.example/", cancel_url="https://no.example/")


class FailingLedger(FakeLedger):
    async def record(self, observation: Observation) -> Recorded:
        raise LedgerUnavailable("the database is down", retry_after_seconds=1)


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


async def open_checkout(gateway: FakeGateway, ledger: FakeLedger, call: CallContext) -> str:
    customer = await CreateCustomer(gateway)(CreateCustomerCommand(email="a@example.com"), call)
    catalog = FakeCatalog()
    product = await CreateProduct(gateway, catalog)(
        CreateProductCommand("Widget", "", 250, "eur", "sku-1"), call
    )
    session = await CreateCheckout(gateway, DEFAULTS, ledger, catalog)(
        CreateCheckoutCommand(
            product_id=product.id, customer_id=customer.id, client_reference_id="order-1"
        ),
        call,
    )
    return session.id


async def test_an_open_checkout_expires_and_the_ledger_says_so(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    session_id = await open_checkout(gateway, ledger, call)
    before = datetime.now(UTC)

    payment = await ExpireCheckout(gateway, ledger)(session_id, call)

    assert payment.status is PaymentStatus.EXPIRED
    assert payment.checkout_session_id == session_id
    assert payment.client_reference_id == "order-1"  # known to the ledger since creation
    assert before <= payment.status_changed_at <= datetime.now(UTC)
    assert ledger.payments[session_id] == payment
    assert gateway.writes[-1].operation == "ExpireCheckout"


async def test_a_paid_checkout_is_not_open(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    session_id = await open_checkout(gateway, ledger, call)
    gateway.pay(session_id)

    with pytest.raises(CheckoutNotOpen) as raised:
        await ExpireCheckout(gateway, ledger)(session_id, call)
    assert raised.value.metadata == {"checkout_session_id": session_id}
    assert ledger.payments[session_id].status is PaymentStatus.OPEN


async def test_an_unknown_checkout_is_not_found(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    with pytest.raises(NotFound) as raised:
        await ExpireCheckout(gateway, ledger)("cs_test_missing", call)
    assert raised.value.kind == "checkout_session"
    assert ledger.payments == {}


async def test_a_retry_with_the_request_id_answers_as_the_first_call(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    session_id = await open_checkout(gateway, ledger, call)
    with_id = replace(call, request_id="cancel-1")

    first = await ExpireCheckout(gateway, ledger)(session_id, with_id)
    again = await ExpireCheckout(gateway, ledger)(session_id, with_id)

    assert again.status is first.status is PaymentStatus.EXPIRED
    assert gateway.writes[-1].idempotency_key == gateway.writes[-2].idempotency_key
    with pytest.raises(CheckoutNotOpen):  # without a request_id, a second call is refused
        await ExpireCheckout(gateway, ledger)(session_id, call)


async def test_a_passed_deadline_expires_nothing(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    session_id = await open_checkout(gateway, ledger, call)

    with pytest.raises(DeadlineExceeded):
        await ExpireCheckout(gateway, ledger)(session_id, replace(call, deadline=Deadline(0)))
    assert "expire_checkout" not in gateway.calls


async def test_a_ledger_failure_fails_the_call_after_the_checkout_expired(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    session_id = await open_checkout(gateway, ledger, call)

    with pytest.raises(LedgerUnavailable):
        await ExpireCheckout(gateway, FailingLedger())(session_id, call)
    assert gateway.snapshots[session_id].status is PaymentStatus.EXPIRED
