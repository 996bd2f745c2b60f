"""Products: what is sold, at one price."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.money import Money

EXTERNAL_ID_METADATA_KEY = "external_product_id"
"""The product metadata key that holds the caller's own id for the product."""


@dataclass(frozen=True, slots=True)
class NewProduct:
    """What it takes to create a product together with its price."""

    name: str
    description: str
    price: Money
    external_product_id: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Product:
    """A product and its default price as the payment provider keeps them.

    `price` and `price_id` are None for a product created elsewhere without a default price.
    """

    id: str
    name: str
    description: str
    external_product_id: str
    price_id: str | None
    price: Money | None
    active: bool
    metadata: Mapping[str, str]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProductChanged:
    """One of the provider's events says a product, or one of its prices, changed or is gone:
    what the service knows of the product may be stale from then on."""

    product_id: str
    event_id: str
    observed_at: datetime
