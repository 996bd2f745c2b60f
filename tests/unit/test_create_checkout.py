from __future__ import annotations

import pytest

from domain.call import CallContext
from domain.errors import NotFound, ProductNotPurchasable
from domain.money import Money
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

DEFAULTS = CheckoutDefaults(success_url="https://ok.example/", cancel_url="https://no.example/")


async def customer_and_product(gateway: FakeGateway, call: CallContext) -> tuple[str, Product]:
    customer = await CreateCustomer(gateway)(CreateCustomerCommand(email="a@example.com"), call)
    product = await CreateProduct(gateway)(
        CreateProductCommand("Widget", "", 250, "eur", "sku-1"), call
    )
    return customer.id, product


async def test_defaults_quantity_and_urls(gateway: FakeGateway, call: CallContext) -> None:
    customer_id, product = await customer_and_product(gateway, call)

    session = await CreateCheckout(gateway, DEFAULTS)(
        CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
    )

    sent = gateway.checkouts[session.id]
    assert (sent.quantity, sent.price_id) == (1, product.price_id)
    assert (sent.success_url, sent.cancel_url) == (DEFAULTS.success_url, DEFAULTS.cancel_url)
    assert session.total == Money(250, "eur")


async def test_caller_urls_and_quantity_win(gateway: FakeGateway, call: CallContext) -> None:
    customer_id, product = await customer_and_product(gateway, call)

    session = await CreateCheckout(gateway, DEFAULTS)(
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
        await CreateCheckout(gateway, DEFAULTS)(
            CreateCheckoutCommand(product_id="prod_x", customer_id="cus_x"), call
        )
    assert raised.value.kind == "product"
    assert "create_checkout" not in gateway.calls


async def test_unknown_customer_is_not_found(gateway: FakeGateway, call: CallContext) -> None:
    _, product = await customer_and_product(gateway, call)

    with pytest.raises(NotFound) as raised:
        await CreateCheckout(gateway, DEFAULTS)(
            CreateCheckoutCommand(product_id=product.id, customer_id="cus_missing"), call
        )
    assert raised.value.kind == "customer"


async def test_archived_product_cannot_be_sold(gateway: FakeGateway, call: CallContext) -> None:
    customer_id, product = await customer_and_product(gateway, call)
    gateway.archive(product.id)

    with pytest.raises(ProductNotPurchasable):
        await CreateCheckout(gateway, DEFAULTS)(
            CreateCheckoutCommand(product_id=product.id, customer_id=customer_id), call
        )
    assert "create_checkout" not in gateway.calls
