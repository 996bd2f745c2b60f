"""GetProduct: a product by the provider's id or by the caller's external id."""

from __future__ import annotations

from dataclasses import dataclass

from domain.call import CallContext
from domain.ports import PaymentGateway, ProductCatalog
from domain.product import Product


@dataclass(frozen=True, slots=True)
class ProductLookup:
    """Exactly one of the two ids is set."""

    product_id: str = ""
    external_product_id: str = ""


class GetProduct:
    """Finds one product; NotFound when there is none. Always the provider's answer (one read),
    which the catalog then remembers."""

    def __init__(self, gateway: PaymentGateway, catalog: ProductCatalog) -> None:
        self._gateway = gateway
        self._catalog = catalog

    async def __call__(self, lookup: ProductLookup, call: CallContext) -> Product:
        call.deadline.check()
        if lookup.product_id:
            product = await self._gateway.get_product(lookup.product_id, call.deadline)
        else:
            product = await self._gateway.get_product_by_external_id(
                lookup.external_product_id, call.deadline
            )
        self._catalog.remember(product)
        return product
