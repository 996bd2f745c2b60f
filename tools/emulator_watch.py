"""What `make demo` reads from the emulator to show where a payment's news came from: how many
Stripe calls it has served, and when an event's webhook delivery was answered."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from tools.stack import EMULATOR_STRIPE_KEY

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Delivery:
    event_id: str
    event_type: str
    status: int
    attempt: int


class NotDelivered(RuntimeError):
    """No delivery of the event was answered 2xx in time."""


def _get(emulator_url: str, path: str, **query: str) -> Any:
    url = f"{emulator_url}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    headers = {"Authorization": f"Bearer {EMULATOR_STRIPE_KEY}"}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as answer:
        return json.loads(answer.read())


def stripe_calls(emulator_url: str) -> int:
    """Every Stripe API (/v1) request the emulator has served so far (`/_emulator/stats`, which
    counts its own routes too)."""
    counts = _get(emulator_url, "/_emulator/stats")["requests"]
    return sum(n for route, n in counts.items() if route.split(" ", 1)[1].startswith("/v1/"))


def delivered(emulator_url: str, session_id: str, event_type: str, within: float) -> Delivery:
    """The delivery, answered 2xx, of the `event_type` event about the Checkout Session
    `session_id`; waits up to `within` seconds for it (a delivery goes out once the API has
    been idle for 50 ms, and is answered once the service has recorded the event). Only
    `/_emulator` routes are polled: a /v1 request would hold the deliveries back."""
    event_id = _event_of(emulator_url, session_id, event_type)
    deadline = time.monotonic() + within
    while True:
        for row in _get(emulator_url, "/_emulator/deliveries", event=event_id)["data"]:
            if row["status"] is not None and 200 <= row["status"] < 300:
                return Delivery(event_id, event_type, row["status"], row["attempt"])
        if time.monotonic() > deadline:
            raise NotDelivered(f"no {event_type} of {session_id} delivered within {within:g} s")
        time.sleep(POLL_SECONDS)


def _event_of(emulator_url: str, session_id: str, event_type: str) -> str:
    """The event's id (the emulator records an event with the change that causes it)."""
    events = _get(emulator_url, "/v1/events", type=event_type, limit="100")["data"]
    for event in events:
        if event["data"]["object"]["id"] == session_id:
            return str(event["id"])
    raise NotDelivered(f"the emulator has no {event_type} event of {session_id}")
