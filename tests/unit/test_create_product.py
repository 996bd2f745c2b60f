from __future__ import annotations

import pytest

from domain.call import CallContext
from domain.errors import ExternalProductIdTaken, InvalidInput
from domain.money import Money
from domain.use_cases import CreateProduct, CreateProductCommand
from tests.fake_catalog import FakeCatalog
from tests.fake_gateway import FakeGateway


def command(**overrides: object) -> CreateProductCommand:
    fields: dict[str, object] = {
        "name": "Widget",
        "description": "A widget",
        "unit_amount": 1999,
        "currency": "USD",
        "external_product_id": "sku-1",
    }
    fields.update(overrides)
    return CreateProductCommand(**fields)  # type: ignore[arg-type]


async def test_creates_product_with_price_in_lower_case_currency(
    gateway: FakeGateway, catalog: FakeCatalog, call: CallContext
) -> None:
    product = await CreateProduct(gateway, catalog)(command(), call)

    assert product.price == Money(1999, "usd")
    assert product.external_product_id == "sku-1"
    assert product.price_id is not None
    assert gateway.calls == ["create_product"]
    assert catalog.known(product.id) == product


async def test_a_taken_external_id_names_the_existing_product(
    gateway: FakeGateway, call: CallContext
) -> None:
    use_case = CreateProduct(gateway, FakeCatalog())
    existing = await use_case(command(), call)

    with pytest.raises(ExternalProductIdTaken) as raised:
        await use_case(command(name="Other"), call)

    assert raised.value.metadata["product_id"] == existing.id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"unit_amount": 0}, "unit_amount"),
        ({"unit_amount": -5}, "unit_amount"),
        ({"currency": "dollars"}, "currency"),
        ({"currency": "u1d"}, "currency"),
        ({"metadata": {"external_product_id": "x"}}, 'metadata["external_product_id"]'),
    ],
)
async def test_invalid_input_is_refused_before_the_gateway(
    gateway: FakeGateway, call: CallContext, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await CreateProduct(gateway, FakeCatalog())(command(**overrides), call)

    assert [v.field for v in raised.value.violations] == [field]
    assert gateway.calls == []


def test_money_lists_every_violation_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        Money.of(0, "xx")

    assert {v.field for v in raised.value.violations} == {"unit_amount", "currency"}
