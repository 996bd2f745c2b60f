"""An in-memory ProductCatalog for use-case and edge tests: remembers every product until it is
forgotten (no bound, no expiry: those are service/product_catalog.py's, tested there)."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.ports import ProductCatalog
from domain.product import Product


@dataclass
class FakeCatalog:
    products: dict[str, Product] = field(default_factory=dict)
    forgotten: list[str] = field(default_factory=list)
    """Every product id forget() was called with, in order."""

    def known(self, product_id: str) -> Product | None:
        return self.products.get(product_id)

    def remember(self, product: Product) -> None:
        self.products[product.id] = product

    def forget(self, product_id: str) -> None:
        self.forgotten.append(product_id)
        self.products.pop(product_id, None)


def _implements_the_port(catalog: FakeCatalog) -> ProductCatalog:
    """Where mypy checks the fake against the port."""
    return catalog
