"""The ``price`` object (one-time, per-unit prices only)."""

from __future__ import annotations

from typing import Any

from stripe_emulator.ids import new_id
from stripe_emulator.objects.updates import apply_update
from stripe_emulator.store import JSON


def build_price(params: dict[str, Any], product_id: str, now: int) -> JSON:
    unit_amount: int | None = params.get("unit_amount")
    return {
        "id": new_id("price"),
        "object": "price",
        "active": params.get("active", True),
        "billing_scheme": "per_unit",
        "created": now,
        "currency": params["currency"],
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": params.get("lookup_key"),
        "metadata": params.get("metadata", {}),
        "nickname": params.get("nickname"),
        "product": product_id,
        "recurring": None,
        "tax_behavior": params.get("tax_behavior", "unspecified"),
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": None if unit_amount is None else str(unit_amount),
    }


UPDATABLE = ("active", "nickname")


def update_price(price: JSON, params: dict[str, Any], metadata: Any) -> JSON:
    """Apply an update; answers Stripe's ``previous_attributes`` (see ``apply_update``)."""
    return apply_update(price, params, UPDATABLE, metadata)
