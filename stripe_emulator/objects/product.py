"""The ``product`` object."""

from __future__ import annotations

from typing import Any

from stripe_emulator.ids import new_id
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
