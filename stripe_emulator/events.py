"""Events: what happened to which object, recorded as Stripe records them.

Every change the emulator makes that Stripe announces (``customer.created``,
``checkout.session.completed``, ...) becomes an ``event`` object holding a snapshot of the
object *at that moment*; ``/v1/events`` lists them and ``webhooks/`` delivers them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from stripe_emulator.ids import new_id

JSON = dict[str, Any]

# The account's default API version events are rendered with (that of the pinned stripe SDK).
API_VERSION = "2026-10-28.endive"
NO_REQUEST: JSON = {"id": None, "idempotency_key": None}  # caused by the customer or by time

# Every type the emulator emits (webhook endpoints may ask for others; they never arrive).
EVENT_TYPES = (
    "customer.created",
    "product.created",
    "price.created",
    "payment_intent.created",
    "payment_intent.processing",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)

Listener = Callable[[JSON], None]


def snapshot(obj: JSON) -> JSON:
    """A deep copy that later changes to ``obj`` do not reach (JSON round trip: fastest)."""
    copied: JSON = json.loads(json.dumps(obj))
    return copied


class EventLog:
    """Events in the order they happened; ``listeners`` hear of each one (webhook delivery)."""

    def __init__(self) -> None:
        self._events: list[JSON] = []
        self._by_id: dict[str, JSON] = {}
        self._positions: dict[str, int] = {}
        self.listeners: list[Listener] = []

    def emit(
        self,
        event_type: str,
        obj: JSON,
        *,
        request: JSON | None = None,
        previous_attributes: JSON | None = None,
    ) -> JSON:
        data: JSON = {"object": snapshot(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = snapshot(previous_attributes)
        event: JSON = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": dict(request or NO_REQUEST),
            "type": event_type,
        }
        self._events.append(event)
        self._by_id[event["id"]] = event
        self._positions[event["id"]] = len(self._events) - 1
        for listener in self.listeners:
            listener(event)
        return event

    def get(self, event_id: str) -> JSON | None:
        return self._by_id.get(event_id)

    def position(self, event_id: str) -> int | None:
        """Index in emission order, for cursors; ``None`` for an unknown id."""
        return self._positions.get(event_id)

    def oldest_first(self) -> list[JSON]:
        return self._events

    def __len__(self) -> int:
        return len(self._events)
