from __future__ import annotations

import pytest

from domain.call import CallContext
from domain.errors import NotFound
from domain.use_cases import CreateProduct, CreateProductCommand, GetProduct, ProductLookup
from tests.fake_gateway import FakeGateway


async def test_finds_a_product_by_either_id(gateway: FakeGateway, call: CallContext) -> None:
    created = await CreateProduct(gateway)(
        CreateProductCommand("Widget", "", 100, "usd", "sku-9"), call
    )
    get = GetProduct(gateway)

    assert await get(ProductLookup(product_id=created.id), call) == created
    assert await get(ProductLookup(external_product_id="sku-9"), call) == created


@pytest.mark.parametrize(
    "lookup", [ProductLookup(product_id="prod_nope"), ProductLookup(external_product_id="nope")]
)
async def test_unknown_product_is_not_found(
    gateway: FakeGateway, call: CallContext, lookup: ProductLookup
) -> None:
    with pytest.raises(NotFound) as raised:
        await GetProduct(gateway)(lookup, call)

    assert raised.value.kind == "product"
