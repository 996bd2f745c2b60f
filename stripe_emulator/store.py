"""In-memory state: every Stripe object the emulator has created, by kind and id."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

# The ``object`` values the emulator stores, in the order stats report them.
KINDS = ("customer", "product", "price", "checkout.session", "payment_intent")


class Store:
    def __init__(self) -> None:
        self._objects: dict[str, dict[str, JSON]] = {kind: {} for kind in KINDS}
        # Checkout Session id -> [{"price": price id, "quantity": n}] (not part of the object,
        # as on Stripe, where line items are a separate list endpoint).
        self.line_items: dict[str, list[JSON]] = {}

    def add(self, obj: JSON) -> JSON:
        self._objects[obj["object"]][obj["id"]] = obj
        return obj

    def get(self, kind: str, object_id: str) -> JSON | None:
        return self._objects[kind].get(object_id)

    def all(self, kind: str) -> list[JSON]:
        """Objects of one kind, oldest first (insertion order)."""
        return list(self._objects[kind].values())

    def counts(self) -> dict[str, int]:
        return {kind: len(objects) for kind, objects in self._objects.items()}

    def clear(self) -> None:
        for objects in self._objects.values():
            objects.clear()
        self.line_items.clear()
