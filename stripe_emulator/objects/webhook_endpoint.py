"""The ``webhook_endpoint`` object (its secret is kept aside: Stripe shows it on create only)."""

from __future__ import annotations

from typing import Any

from stripe_emulator.ids import new_id
from stripe_emulator.store import JSON


def build_webhook_endpoint(params: dict[str, Any], now: int) -> JSON:
    return {
        "id": new_id("we"),
        "object": "webhook_endpoint",
        "api_version": None,  # the account default (the param is not emulated)
        "application": None,
        "created": now,
        "description": params.get("description") or None,
        "enabled_events": params["enabled_events"],
        "livemode": False,
        "metadata": params.get("metadata", {}),
        "status": "enabled",
        "url": params["url"],
    }


def wants(endpoint: JSON, event_type: str) -> bool:
    """Whether an endpoint takes events of this type now (``*`` takes all)."""
    if endpoint["status"] != "enabled":
        return False
    enabled: list[str] = endpoint["enabled_events"]
    return "*" in enabled or event_type in enabled
