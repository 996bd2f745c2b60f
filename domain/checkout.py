"""Checkout sessions: a provider-hosted page where a customer pays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.money import Money


@dataclass(frozen=True, slots=True)
class NewCheckout:
    """What it takes to open a checkout page for one price and one customer."""

    price_id: str
    product_id: str
    customer_id: str
    quantity: int
    success_url: str
    cancel_url: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    """An open checkout page."""

    id: str
    url: str
    expires_at: datetime
    total: Money
