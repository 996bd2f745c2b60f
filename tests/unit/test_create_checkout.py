from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.call import CallContext
from domain.errors import LedgerUnavailable, NotFound, ProductNotPurchasable
from domain.ledger import Observation, Recorded
from domain.money import Money
from domain.payment_status import PaymentStatus
from domain.product import Product
from domain.use_cases import (
    CheckoutDefaults,
    CreateCheckout,
    CreateCheckoutCommand,
    CreateCustomer,
    CreateCustomerCommand,
    CreateProduct,
    CreateProductCommand,
)
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

DEFAULTS = CheckoutDefaults(success_url="https://ok.example/", cancel_url="https://no.example/")


async def customer_and_product(gateway: FakeGateway, call: CallContext) -> tuple[str, Product]:
    customer = await CreateCustomer(gateway)(CreateCustomerCommand(email="a@example.com"), call)
    product = await CreateProduct(gateway)(
        CreateProductCommand("Widget", "", 250, "eur", "sku-1"), call
    )
    return customer.id, product


async def test_defaults_quantity_and_urls(gateway: FakeGateway, call: CallContext) -> None:
    customer_id, product = await customer_and_product(gateway, call)

    session = await CreateCheckout(gateway, DEFAULTS, FakeLedger())(
        CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
    )

    sent = gateway.checkouts[session.id]
    assert (sent.quantity, sent.price_id) == (1, product.price_id)
    assert (sent.success_url, sent.cancel_url) == (DEFAULTS.success_url, DEFAULTS.cancel_url)
    assert session.total == Money(250, "eur")


async def test_caller_urls_and_quantity_win(gateway: FakeGateway, call: CallContext) -> None:
    customer_id, product = await customer_and_product(gateway, call)

    session = await CreateCheckout(gateway, DEFAULTS, FakeLedger())(
        CreateCheckoutCommand(
            product_id=product.id,
            customer_id=customer_id,
            quantity=3,
            success_url="https://mine.example/ok",
            cancel_url="https://mine.example/no",
        ),
        call,
    )

    sent = gateway.checkouts[session.id]
    assert (sent.quantity, sent.success_url, sent.cancel_url) == (
        3,
        "https://mine.example/ok",
        "https://mine.example/no",
    )
    assert session.total == Money(750, "eur")


async def test_unknown_product_is_not_found(gateway: FakeGateway, call: CallContext) -> None:
    with pytest.raises(NotFound) as raised:
        await CreateCheckout(gateway, DEFAULTS, FakeLedger())(
            CreateCheckoutCommand(product_id="prod_x", customer_id="cus_x"), call
        )
    assert raised.value.kind == "product"
    assert "create_checkout" not in gateway.calls


async def test_unknown_customer_is_not_found(gateway: FakeGateway, call: CallContext) -> None:
    _, product = await customer_and_product(gateway, call)

    with pytest.raises(NotFound) as raised:
        await CreateCheckout(gateway, DEFAULTS, FakeLedger())(
            CreateCheckoutCommand(product_id=product.id, customer_id="cus_missing"), call
        )
    assert raised.value.kind == "customer"


async def test_archived_product_cannot_be_sold(gateway: FakeGateway, call: CallContext) -> None:
    customer_id, product = await customer_and_product(gateway, call)
    gateway.archive(product.id)

    with pytest.raises(ProductNotPurchasable):
        await CreateCheckout(gateway, DEFAULTS, FakeLedger())(
            CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
        )
    assert "create_checkout" not in gateway.calls


class FailingLedger(FakeLedger):
    async def record(self, observation: Observation) -> Recorded:
        raise LedgerUnavailable("the database is down", retry_after_seconds=1)


async def test_order_id_and_expiry_reach_the_gateway(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    customer_id, product = await customer_and_product(gateway, call)
    expiry = datetime(2026, 1, 1, 12, tzinfo=UTC)

    session = await CreateCheckout(gateway, DEFAULTS, ledger)(
        CreateCheckoutCommand(
            product_id=product.id,
            customer_id=customer_id,
            client_reference_id="order-1",
            expire_time=expiry,
        ),
        call,
    )

    sent = gateway.checkouts[session.id]
    assert (sent.client_reference_id, sent.expires_at) == ("order-1", expiry)


async def test_without_order_id_and_expiry_the_gateway_gets_none(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    customer_id, product = await customer_and_product(gateway, call)

    session = await CreateCheckout(gateway, DEFAULTS, ledger)(
        CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
    )

    sent = gateway.checkouts[session.id]
    assert (sent.client_reference_id, sent.expires_at) == (None, None)
    assert ledger.payments[session.id].client_reference_id is None


async def test_the_new_payment_is_in_the_ledger_as_open(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    customer_id, product = await customer_and_product(gateway, call)
    before = datetime.now(UTC)

    session = await CreateCheckout(gateway, DEFAULTS, ledger)(
        CreateCheckoutCommand(
            product_id=product.id,
            customer_id=customer_id,
            quantity=2,
            metadata={"cart": "7"},
            client_reference_id="order-1",
        ),
        call,
    )

    payment = ledger.payments[session.id]
    assert payment.status is PaymentStatus.OPEN
    assert (payment.customer_id, payment.total) == (customer_id, Money(500, "eur"))
    assert payment.client_reference_id == "order-1"
    assert payment.metadata == {"cart": "7", "product_id": product.id}
    assert before <= payment.status_changed_at <= datetime.now(UTC)
    assert ledger.event_ids == set()  # an observation of the service's own, not an event


async def test_a_ledger_failure_fails_the_call_after_the_checkout_opened(
    gateway: FakeGateway, call: CallContext
) -> None:
    customer_id, product = await customer_and_product(gateway, call)

    with pytest.raises(LedgerUnavailable):
        await CreateCheckout(gateway, DEFAULTS, FailingLedger())(
            CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
        )
    assert gateway.calls.count("create_checkout") == 1
    assert len(gateway.checkouts) == 1  # its events will record it
