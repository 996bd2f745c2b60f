"""The ``product`` object."""

from __future__ import annotations

from typing import Any

from stripe_emulator.ids import new_id
from stripe_emulator.objects.updates import apply_update
from stripe_emulator.store import JSON


def build_product(params: dict[str, Any], now: int) -> JSON:
    return {
        "id": params.get("id") or new_id("prod"),
        "object": "product",
        "active": params.get("active", True),
        "created": now,
        "default_price": None,
        "description": params.get("description"),
        "images": params.get("images", []),
        "livemode": False,
        "marketing_features": [],
        "metadata": params.get("metadata", {}),
        "name": params["name"],
        "package_dimensions": None,
        "shippable": params.get("shippable"),
        "statement_descriptor": params.get("statement_descriptor"),
        "tax_code": params.get("tax_code"),
        "type": "service",
        "unit_label": params.get("unit_label"),
        "updated": now,
        "url": params.get("url"),
    }


UPDATABLE = ("active", "default_price", "description", "name")


def update_product(product: JSON, params: dict[str, Any], metadata: Any, now: int) -> JSON:
    """Apply an update (``description=""`` unsets it); answers Stripe's
    ``previous_attributes``, which also hold the old ``updated`` when that time moved."""
    values = dict(params)
    if "description" in values:
        values["description"] = values["description"] or None
    previous = apply_update(product, values, UPDATABLE, metadata)
    if previous and product["updated"] != now:
        previous["updated"] = product["updated"]
        product["updated"] = now
    return previous
