from __future__ import annotations

from dataclasses import replace
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
from tests.fake_catalog import FakeCatalog
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

DEFAULTS = CheckoutDefaults(success_url="https://ok.example/", cancel_url="https://no.example/")


async def customer_and_product(
    gateway: FakeGateway, call: CallContext, catalog: FakeCatalog | None = None
) -> tuple[str, Product]:
    """A customer, and a product created through CreateProduct (so `catalog` knows it; a
    catalog of its own when none is given)."""
    customer = await CreateCustomer(gateway)(CreateCustomerCommand(email="a@example.com"), call)
    product = await CreateProduct(gateway, catalog or FakeCatalog())(
        CreateProductCommand("Widget", "", 250, "eur", "sku-1"), call
    )
    return customer.id, product


def checkout(
    gateway: FakeGateway, ledger: FakeLedger | None = None, catalog: FakeCatalog | None = None
) -> CreateCheckout:
    return CreateCheckout(
        gateway,
        DEFAULTS,
        FakeLedger() if ledger is None else ledger,
        FakeCatalog() if catalog is None else catalog,
    )


async def test_defaults_quantity_and_urls(gateway: FakeGateway, call: CallContext) -> None:
    customer_id, product = await customer_and_product(gateway, call)

    session = await checkout(gateway)(
        CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
    )

    sent = gateway.checkouts[session.id]
    assert (sent.quantity, sent.price_id) == (1, product.price_id)
    assert (sent.success_url, sent.cancel_url) == (DEFAULTS.success_url, DEFAULTS.cancel_url)
    assert session.total == Money(250, "eur")


async def test_caller_urls_and_quantity_win(gateway: FakeGateway, call: CallContext) -> None:
    customer_id, product = await customer_and_product(gateway, call)

    session = await checkout(gateway)(
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
        await checkout(gateway)(
            CreateCheckoutCommand(product_id="prod_x", customer_id="cus_x"), call
        )
    assert raised.value.kind == "product"
    assert "create_checkout" not in gateway.calls


async def test_unknown_customer_is_not_found(gateway: FakeGateway, call: CallContext) -> None:
    _, product = await customer_and_product(gateway, call)

    with pytest.raises(NotFound) as raised:
        await checkout(gateway)(
            CreateCheckoutCommand(product_id=product.id, customer_id="cus_missing"), call
        )
    assert raised.value.kind == "customer"


async def test_archived_product_cannot_be_sold(gateway: FakeGateway, call: CallContext) -> None:
    customer_id, product = await customer_and_product(gateway, call)
    gateway.archive(product.id)

    with pytest.raises(ProductNotPurchasable):
        await checkout(gateway)(
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

    session = await checkout(gateway, ledger)(
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

    session = await checkout(gateway, ledger)(
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

    session = await checkout(gateway, ledger)(
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
        await checkout(gateway, FailingLedger())(
            CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
        )
    assert gateway.calls.count("create_checkout") == 1
    assert len(gateway.checkouts) == 1  # its events will record it


# The catalog: one provider request for a product the service knows; Stripe's refusal corrects
# what it knew.


async def sell(
    gateway: FakeGateway, ledger: FakeLedger, catalog: FakeCatalog, call: CallContext
) -> tuple[Product, list[str]]:
    """Creates a customer and a product the catalog knows, then checks one out: the product as
    created, and the gateway calls the checkout made."""
    customer_id, product = await customer_and_product(gateway, call, catalog)
    before = len(gateway.calls)
    command = CreateCheckoutCommand(product_id=product.id, customer_id=customer_id)
    await checkout(gateway, ledger, catalog)(command, call)
    return product, gateway.calls[before:]


async def test_a_product_the_catalog_knows_is_sold_with_one_request(
    gateway: FakeGateway, ledger: FakeLedger, catalog: FakeCatalog, call: CallContext
) -> None:
    product, calls = await sell(gateway, ledger, catalog, call)

    assert calls == ["create_checkout"]
    [sent] = gateway.checkouts.values()
    assert sent.price_id == product.price_id
    assert len(ledger.payments) == 1


async def test_an_unknown_product_is_read_first_and_then_known(
    gateway: FakeGateway, ledger: FakeLedger, catalog: FakeCatalog, call: CallContext
) -> None:
    customer_id, product = await customer_and_product(gateway, call)  # another replica's
    command = CreateCheckoutCommand(product_id=product.id, customer_id=customer_id)
    before = len(gateway.calls)

    await checkout(gateway, ledger, catalog)(command, call)
    await checkout(gateway, ledger, catalog)(command, call)

    assert gateway.calls[before:] == ["get_product", "create_checkout", "create_checkout"]
    assert catalog.known(product.id) == product


async def test_the_catalog_is_not_trusted_to_refuse(
    gateway: FakeGateway, catalog: FakeCatalog, call: CallContext
) -> None:
    """Known as archived, but sold again since: read afresh, sold."""
    customer_id, product = await customer_and_product(gateway, call)
    catalog.remember(replace(product, active=False))
    before = len(gateway.calls)

    await checkout(gateway, catalog=catalog)(
        CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
    )

    assert gateway.calls[before:] == ["get_product", "create_checkout"]
    assert catalog.known(product.id) == product


async def test_archived_behind_its_back_is_refused_after_one_fresh_read(
    gateway: FakeGateway, ledger: FakeLedger, catalog: FakeCatalog, call: CallContext
) -> None:
    customer_id, product = await customer_and_product(gateway, call, catalog)
    gateway.archive(product.id)
    before = len(gateway.calls)

    with pytest.raises(ProductNotPurchasable) as raised:
        await checkout(gateway, ledger, catalog)(
            CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
        )

    assert raised.value.message == f"product {product.id} cannot be sold: it is archived"
    assert gateway.calls[before:] == ["create_checkout", "get_product"]  # refused, then read
    assert (gateway.checkouts, ledger.payments) == ({}, {})
    assert catalog.forgotten == [product.id]
    assert catalog.known(product.id) == replace(product, active=False)  # Stripe's answer now


async def test_repriced_behind_its_back_sells_at_the_new_price_under_one_key(
    gateway: FakeGateway, ledger: FakeLedger, catalog: FakeCatalog, call: CallContext
) -> None:
    customer_id, product = await customer_and_product(gateway, call, catalog)
    new_price = gateway.reprice(product.id, 300)  # the old price archived
    before = len(gateway.calls)
    request = CallContext(call.caller_id, call.deadline, request_id="r-1")

    session = await checkout(gateway, ledger, catalog)(
        CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), request
    )

    assert gateway.calls[before:] == ["create_checkout", "get_product", "create_checkout"]
    assert gateway.checkouts[session.id].price_id == new_price
    assert session.total == Money(300, "eur")
    assert list(gateway.checkouts) == [session.id]
    first, second = gateway.writes[-2:]
    assert first.idempotency_key == second.idempotency_key is not None
    assert ledger.payments[session.id].total == Money(300, "eur")
    retried = await checkout(gateway, ledger, catalog)(
        CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), request
    )
    assert retried == session  # the caller's retry: the same checkout, at the new price


async def test_a_refusal_the_fresh_read_does_not_explain_is_not_tried_again(
    gateway: FakeGateway, catalog: FakeCatalog, call: CallContext
) -> None:
    customer_id, product = await customer_and_product(gateway, call, catalog)
    assert product.price_id is not None
    gateway.archived_prices.add(product.price_id)  # refused, though still the default price
    gateway.products[product.id] = replace(product, name="Renamed")  # nothing that sells
    before = len(gateway.calls)

    with pytest.raises(ProductNotPurchasable) as raised:
        await checkout(gateway, catalog=catalog)(
            CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
        )

    assert raised.value.message.endswith("its price is archived")
    assert gateway.calls[before:] == ["create_checkout", "get_product"]


async def test_a_refusal_of_what_was_just_read_is_not_tried_again(
    gateway: FakeGateway, catalog: FakeCatalog, call: CallContext
) -> None:
    customer_id, product = await customer_and_product(gateway, call)  # not in `catalog`
    assert product.price_id is not None
    gateway.archived_prices.add(product.price_id)
    before = len(gateway.calls)

    with pytest.raises(ProductNotPurchasable):
        await checkout(gateway, catalog=catalog)(
            CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
        )

    assert gateway.calls[before:] == ["get_product", "create_checkout"]


async def test_a_price_changed_but_not_archived_is_sold_until_the_catalog_forgets(
    gateway: FakeGateway, catalog: FakeCatalog, call: CallContext
) -> None:
    """What the staleness bound allows: the old price, still on sale, until an event (or the
    time-to-live) makes the catalog forget the product."""
    customer_id, product = await customer_and_product(gateway, call, catalog)
    new_price = gateway.reprice(product.id, 300, archive_old=False)
    command = CreateCheckoutCommand(product_id=product.id, customer_id=customer_id)

    before = await checkout(gateway, catalog=catalog)(command, call)
    catalog.forget(product.id)  # a product.updated event
    after = await checkout(gateway, catalog=catalog)(command, call)

    assert gateway.checkouts[before.id].price_id == product.price_id
    assert gateway.checkouts[after.id].price_id == new_price
