"""Checkout sessions: a provider-hosted page where a customer pays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.money import Money

SOLD_PRODUCT_METADATA_KEY = "product_id"
"""The checkout metadata key naming the product sold, so a payment can be traced back to it.
Always set by the service: a caller's own value under this key is replaced."""

CLIENT_REFERENCE_ID_METADATA_KEY = "client_reference_id"
"""The payment's metadata key holding the checkout's client_reference_id (the caller's order
id), so that the payment itself, and every event about it, names the order too."""


@dataclass(frozen=True, slots=True)
class NewCheckout:
    """What it takes to open a checkout page for one price and one customer. `metadata` is
    everything the checkout carries, the sold product included."""

    price_id: str
    product_id: str
    customer_id: str
    quantity: int
    success_url: str
    cancel_url: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    client_reference_id: str | None = None
    """The caller's id for what is paid (its order id); the payment's events carry it too."""
    expires_at: datetime | None = None
    """When the page stops taking payment; None: the provider's default (24 hours)."""


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    """An open checkout page."""

    id: str
    url: str
    expires_at: datetime
    total: Money
