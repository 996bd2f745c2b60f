"""In-memory state: every Stripe object the emulator has created, by kind and id."""

from __future__ import annotations

from typing import Any

from stripe_emulator.events import EventLog

JSON = dict[str, Any]

# The ``object`` values the emulator stores, in the order stats report them.
KINDS = (
    "customer",
    "product",
    "price",
    "checkout.session",
    "payment_intent",
    "webhook_endpoint",
)


class Store:
    def __init__(self) -> None:
        self._objects: dict[str, dict[str, JSON]] = {kind: {} for kind in KINDS}
        # Checkout Session id -> [{"price": price id, "quantity": n}] (not part of the object,
        # as on Stripe, where line items are a separate list endpoint).
        self.line_items: dict[str, list[JSON]] = {}
        # Checkout Session id -> its ``payment_intent_data`` (given to the PaymentIntent).
        self.intent_data: dict[str, JSON] = {}
        # Webhook endpoint id -> its signing secret (Stripe shows it only once, on create).
        self.webhook_secrets: dict[str, str] = {}
        self.events = EventLog()

    def add(self, obj: JSON) -> JSON:
        self._objects[obj["object"]][obj["id"]] = obj
        return obj

    def get(self, kind: str, object_id: str) -> JSON | None:
        return self._objects[kind].get(object_id)

    def delete(self, kind: str, object_id: str) -> None:
        self._objects[kind].pop(object_id, None)

    def all(self, kind: str) -> list[JSON]:
        """Objects of one kind, oldest first (insertion order)."""
        return list(self._objects[kind].values())

    def counts(self) -> dict[str, int]:
        counts = {kind: len(objects) for kind, objects in self._objects.items()}
        return {**counts, "event": len(self.events)}
