from __future__ import annotations

import pytest

from domain.call import CallContext
from domain.errors import NotFound
from domain.use_cases import CreateProduct, CreateProductCommand, GetProduct, ProductLookup
from tests.fake_catalog import FakeCatalog
from tests.fake_gateway import FakeGateway


async def test_finds_a_product_by_either_id_and_the_catalog_remembers_it(
    gateway: FakeGateway, call: CallContext
) -> None:
    created = await CreateProduct(gateway, FakeCatalog())(
        CreateProductCommand("Widget", "", 100, "usd", "sku-9"), call
    )
    for lookup in (
        ProductLookup(product_id=created.id),
        ProductLookup(external_product_id="sku-9"),
    ):
        catalog = FakeCatalog()
        assert await GetProduct(gateway, catalog)(lookup, call) == created
        assert catalog.known(created.id) == created


async def test_the_provider_is_asked_even_for_a_product_the_catalog_knows(
    gateway: FakeGateway, catalog: FakeCatalog, call: CallContext
) -> None:
    created = await CreateProduct(gateway, catalog)(
        CreateProductCommand("Widget", "", 100, "usd", "sku-9"), call
    )
    gateway.archive(created.id)

    found = await GetProduct(gateway, catalog)(ProductLookup(product_id=created.id), call)

    assert found.active is False
    assert catalog.known(created.id) == found


@pytest.mark.parametrize(
    "lookup", [ProductLookup(product_id="prod_nope"), ProductLookup(external_product_id="nope")]
)
async def test_unknown_product_is_not_found(
    gateway: FakeGateway, catalog: FakeCatalog, call: CallContext, lookup: ProductLookup
) -> None:
    with pytest.raises(NotFound) as raised:
        await GetProduct(gateway, catalog)(lookup, call)

    assert raised.value.kind == "product"
    assert catalog.products == {}
