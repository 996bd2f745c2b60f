"""CreateProduct: a product and its price, created together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.call import CallContext, write_options
from domain.errors import InvalidInput, Violation
from domain.money import Money
from domain.ports import PaymentGateway, ProductCatalog
from domain.product import EXTERNAL_ID_METADATA_KEY, NewProduct, Product


@dataclass(frozen=True, slots=True)
class CreateProductCommand:
    name: str
    description: str
    unit_amount: int
    currency: str
    external_product_id: str
    metadata: Mapping[str, str] = field(default_factory=dict)


class CreateProduct:
    """Creates a product with its default price; external_product_id must be unused. The
    catalog remembers it, so that selling it (CreateCheckout) needs no read first."""

    OPERATION = "CreateProduct"

    def __init__(self, gateway: PaymentGateway, catalog: ProductCatalog) -> None:
        self._gateway = gateway
        self._catalog = catalog

    async def __call__(self, command: CreateProductCommand, call: CallContext) -> Product:
        call.deadline.check()
        if EXTERNAL_ID_METADATA_KEY in command.metadata:
            raise InvalidInput(
                [
                    Violation(
                        f'metadata["{EXTERNAL_ID_METADATA_KEY}"]',
                        "is reserved; set external_product_id instead",
                    )
                ]
            )
        new = NewProduct(
            name=command.name.strip(),
            description=command.description.strip(),
            price=Money.of(command.unit_amount, command.currency),
            external_product_id=command.external_product_id,
            metadata=command.metadata,
        )
        product = await self._gateway.create_product(new, write_options(call, self.OPERATION))
        self._catalog.remember(product)
        return product
