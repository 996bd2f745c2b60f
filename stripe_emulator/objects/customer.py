"""The ``customer`` object."""

from __future__ import annotations

from typing import Any

from stripe_emulator.ids import new_id, random_token
from stripe_emulator.objects.updates import apply_update
from stripe_emulator.store import JSON

_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def address(fields: dict[str, Any] | None) -> JSON | None:
    if fields is None:
        return None
    return {key: fields.get(key) for key in _ADDRESS_KEYS}


def build_customer(params: dict[str, Any], now: int) -> JSON:
    shipping = params.get("shipping")
    return {
        "id": new_id("cus"),
        "object": "customer",
        "address": address(params.get("address")),
        "balance": params.get("balance", 0),
        "created": now,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": params.get("description"),
        "discount": None,
        "email": params.get("email"),
        "invoice_prefix": random_token(8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": params.get("metadata", {}),
        "name": params.get("name"),
        "next_invoice_sequence": 1,
        "phone": params.get("phone"),
        "preferred_locales": params.get("preferred_locales", []),
        "shipping": None
        if shipping is None
        else {
            "address": address(shipping.get("address")),
            "name": shipping.get("name"),
            "phone": shipping.get("phone"),
        },
        "tax_exempt": params.get("tax_exempt") or "none",
        "test_clock": None,
    }


UPDATABLE = ("description", "email", "name", "phone")


def update_customer(customer: JSON, params: dict[str, Any], metadata: Any) -> JSON:
    """Apply an update; answers Stripe's ``previous_attributes`` (see ``apply_update``)."""
    return apply_update(customer, params, UPDATABLE, metadata)
