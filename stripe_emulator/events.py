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
    "customer.updated",
    "product.created",
    "product.updated",
    "price.created",
    "price.updated",
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

Listener = Callable[["Event"], None]


def _compact(value: JSON) -> str:
    """JSON text as the API answers it (no spaces)."""
    return json.dumps(value, separators=(",", ":"))


class Event:
    """One ``event``. The object's snapshot is kept as JSON text, made once when the event
    happens: a delivery sends that text as it is, only listing parses it back."""

    __slots__ = (
        "_previous_json",
        "created",
        "id",
        "object_json",
        "pending_webhooks",
        "request",
        "type",
    )

    def __init__(
        self, event_type: str, obj: JSON, request: JSON, previous_attributes: JSON | None
    ) -> None:
        self.id = new_id("evt")
        self.type = event_type
        self.created = int(time.time())
        self.request = request
        self.pending_webhooks = 0
        self.object_json = _compact(obj)
        self._previous_json = None if previous_attributes is None else _compact(previous_attributes)

    def _data(self) -> JSON:
        data: JSON = {"object": json.loads(self.object_json)}
        if self._previous_json is not None:
            data["previous_attributes"] = json.loads(self._previous_json)
        return data

    def to_json(self) -> JSON:
        """The ``event`` object as the API answers it."""
        return {**self._head(), "data": self._data(), **self._tail()}

    def payload(self) -> bytes:
        """The same object as one JSON text, for a webhook body, without parsing the snapshot
        (ids, the version and type names need no escaping)."""
        previous = (
            "" if self._previous_json is None else ',"previous_attributes":' + self._previous_json
        )
        return (
            f'{{"id":"{self.id}","object":"event","api_version":"{API_VERSION}",'
            f'"created":{self.created},"data":{{"object":{self.object_json}{previous}}},'
            f'"livemode":false,"pending_webhooks":{self.pending_webhooks},'
            f'"request":{_compact(self.request)},"type":"{self.type}"}}'
        ).encode()

    def _head(self) -> JSON:
        return {
            "id": self.id,
            "object": "event",
            "api_version": API_VERSION,
            "created": self.created,
        }

    def _tail(self) -> JSON:
        return {
            "livemode": False,
            "pending_webhooks": self.pending_webhooks,
            "request": self.request,
            "type": self.type,
        }


class EventLog:
    """Events in the order they happened; ``listeners`` hear of each one (webhook delivery)."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._by_id: dict[str, Event] = {}
        self._positions: dict[str, int] = {}
        self.listeners: list[Listener] = []

    def emit(
        self,
        event_type: str,
        obj: JSON,
        *,
        request: JSON | None = None,
        previous_attributes: JSON | None = None,
    ) -> Event:
        event = Event(event_type, obj, dict(request or NO_REQUEST), previous_attributes)
        self._positions[event.id] = len(self._events)
        self._events.append(event)
        self._by_id[event.id] = event
        for listener in self.listeners:
            listener(event)
        return event

    def get(self, event_id: str) -> Event | None:
        return self._by_id.get(event_id)

    def position(self, event_id: str) -> int | None:
        """Index in emission order, for cursors; ``None`` for an unknown id."""
        return self._positions.get(event_id)

    def oldest_first(self) -> list[Event]:
        return self._events

    def __len__(self) -> int:
        return len(self._events)
