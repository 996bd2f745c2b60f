"""Delivering events to webhook endpoints as Stripe does.

Each event goes to every enabled endpoint that wants its type; every delivery runs on its own,
so nothing orders deliveries to one endpoint. An attempt is a signed JSON POST; anything but a
2xx answer within the timeout is retried after the next delay of the schedule, until the
schedule runs out (the event then stays undelivered: ``pending_webhooks`` > 0). An endpoint
deleted or disabled meanwhile gets no further attempts, as on Stripe.

Attempts are callbacks, not tasks: a delivery costs the API's process as little as possible
(the HTTP exchange itself runs in ``sender.py``'s child process). New deliveries start when the
API is not busy (``api_busy``: see ``EmulatorState``), or once they have waited
``MAX_QUEUED_SECONDS``: under a load that keeps the API busy they queue up rather than slow it
down.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from stripe_emulator.events import Event
from stripe_emulator.ids import new_id
from stripe_emulator.objects.webhook_endpoint import wants
from stripe_emulator.settings import WebhookSettings
from stripe_emulator.store import JSON, Store
from stripe_emulator.webhooks.faults import (
    ATTEMPT_FAULTS,
    DELIVERY_FAULTS,
    DeliveryFault,
    DeliveryFaultTable,
)
from stripe_emulator.webhooks.sender import Outcome, SenderProcess
from stripe_emulator.webhooks.signing import signature_header

HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    "Cache-Control": "no-cache",
    "Accept": "*/*; q=0.5, application/xml",
}
MAX_QUEUED_SECONDS = 30.0
BUSY_RECHECK_SECONDS = 0.05
# New deliveries start in batches this far apart: one pipe write to the sender per batch
# instead of one per event (a system call costs as much as a small request here).
BATCH_SECONDS = 0.01


class Deliverer:
    """Deliveries of one state generation; ``close()`` stops them all."""

    def __init__(
        self, store: Store, settings: WebhookSettings, *, api_busy: Callable[[], bool]
    ) -> None:
        self._store = store
        self._api_busy = api_busy
        self._queued: deque[tuple[float, Event, str]] = deque()  # (since, event, endpoint)
        self._drain_scheduled = False
        self._delays = settings.delays()
        self.faults = DeliveryFaultTable()
        self.attempts: list[JSON] = []  # every attempt, in the order they ended
        self._sending = 0  # attempts handed to the sender, not answered yet
        self._later: set[asyncio.TimerHandle] = set()  # retries and delayed deliveries
        # endpoint -> deliveries held back out of order (the timer that would send it anyway)
        self._held: dict[str, list[tuple[asyncio.TimerHandle, Event]]] = {}
        self._delivered: set[tuple[str, str]] = set()  # (event, endpoint)
        self._idle = asyncio.Event()
        self._idle.set()
        self._sender = SenderProcess(settings.timeout_seconds)
        self._closed = False
        store.events.listeners.append(self.on_event)

    def on_event(self, event: Event) -> None:
        """Called as each event is recorded: start its deliveries."""
        endpoints = [e for e in self._store.all("webhook_endpoint") if wants(e, event.type)]
        event.pending_webhooks = len(endpoints)
        if self._closed or not endpoints:  # closed: a request that outlived a reset
            return
        now = time.monotonic()
        self._queued.extend((now, event, endpoint["id"]) for endpoint in endpoints)
        self._idle.clear()
        self._schedule_drain(BATCH_SECONDS)

    def _schedule_drain(self, delay: float) -> None:
        if not self._drain_scheduled:
            self._drain_scheduled = True
            asyncio.get_running_loop().call_later(delay, self._drain)

    def _drain(self) -> None:
        """Start the queued deliveries, unless the API is busy and they may wait longer."""
        self._drain_scheduled = False
        if self._closed:
            return
        # Queued at or before `cutoff`: may start now (all of them while the API is idle).
        cutoff = time.monotonic() - MAX_QUEUED_SECONDS if self._api_busy() else math.inf
        while self._queued and self._queued[0][0] <= cutoff:
            _, event, endpoint_id = self._queued.popleft()
            self._start(event, endpoint_id)
        if self._queued:
            self._schedule_drain(BUSY_RECHECK_SECONDS)
        self._changed()

    def _start(self, event: Event, endpoint_id: str) -> None:
        fault = self.faults.take(DELIVERY_FAULTS, event.type, endpoint_id)
        kind = None if fault is None else fault.fault
        if fault is None or kind == "duplicate":
            for _ in range(2 if kind == "duplicate" else 1):
                self._attempt(event, endpoint_id, 1)
        elif kind == "drop":
            self._record(event, endpoint_id, 0, status=None, error="dropped", fault="drop")
        else:
            self._hold(event, endpoint_id, fault)

    def _hold(self, event: Event, endpoint_id: str, fault: DeliveryFault) -> None:
        """``delay``: send after ``delay_ms``; ``out_of_order``: after the next attempt to the
        same endpoint, or after ``delay_ms`` if none comes."""
        handle = self._call_later(fault.delay_ms / 1000, self._attempt, event, endpoint_id, 1)
        if fault.fault == "out_of_order":
            self._held.setdefault(endpoint_id, []).append((handle, event))

    def _attempt(self, event: Event, endpoint_id: str, number: int) -> None:
        endpoint = self._store.get("webhook_endpoint", endpoint_id)
        if self._closed or endpoint is None or endpoint["status"] != "enabled":
            self._changed()
            return
        fault = self.faults.take(ATTEMPT_FAULTS, event.type, endpoint_id)
        payload = event.payload()
        headers = {**HEADERS, "Stripe-Signature": self._signature(payload, endpoint_id, fault)}
        self._sending += 1
        self._idle.clear()
        self._sender.submit(
            endpoint["url"],
            payload,
            headers,
            lambda outcome: self._answered(event, endpoint_id, number, fault, outcome),
        )
        self._release_held(endpoint_id)

    def _answered(
        self,
        event: Event,
        endpoint_id: str,
        number: int,
        fault: DeliveryFault | None,
        outcome: Outcome,
    ) -> None:
        self._sending -= 1
        status, error = outcome
        succeeded = status is not None and 200 <= status < 300
        if succeeded and (event.id, endpoint_id) not in self._delivered:
            self._delivered.add((event.id, endpoint_id))
            event.pending_webhooks -= 1
        retry_in = None if succeeded or number > len(self._delays) else self._delays[number - 1]
        self._record(
            event,
            endpoint_id,
            number,
            status=status,
            error=error,
            fault=None if fault is None else fault.fault,
            next_attempt_in=retry_in,
        )
        if retry_in is not None and not self._closed:
            self._call_later(retry_in, self._attempt, event, endpoint_id, number + 1)
        self._changed()

    def _release_held(self, endpoint_id: str) -> None:
        """An attempt to this endpoint went out: what was held for it follows now."""
        for handle, event in self._held.pop(endpoint_id, []):
            if handle in self._later:  # not sent yet
                handle.cancel()
                self._later.discard(handle)
                self._call_later(0, self._attempt, event, endpoint_id, 1)

    def _call_later(self, delay: float, callback: Any, *args: Any) -> asyncio.TimerHandle:
        def fire() -> None:
            self._later.discard(handle)
            callback(*args)

        handle = asyncio.get_running_loop().call_later(delay, fire)
        self._later.add(handle)
        self._idle.clear()
        return handle

    def _changed(self) -> None:
        if not self._sending and not self._later and not self._queued:
            self._idle.set()

    def _signature(self, payload: bytes, endpoint_id: str, fault: DeliveryFault | None) -> str:
        secret = self._store.webhook_secrets[endpoint_id]
        timestamp = int(time.time())
        if fault is not None and fault.fault == "wrong_secret":
            secret = new_id("whsec")
        elif fault is not None and fault.fault == "old_timestamp":
            timestamp -= fault.age_seconds
        return signature_header(payload, secret, timestamp)

    def _record(self, event: Event, endpoint_id: str, number: int, **result: Any) -> None:
        endpoint = self._store.get("webhook_endpoint", endpoint_id) or {}
        self.attempts.append(
            {
                "event": event.id,
                "type": event.type,
                "endpoint": endpoint_id,
                "url": endpoint.get("url"),
                "attempt": number,
                "at": time.time(),
                "next_attempt_in": None,
                **result,
            }
        )

    def in_progress(self) -> int:
        """Deliveries queued, attempts awaiting an answer, deliveries waiting to retry or held
        back."""
        return len(self._queued) + self._sending + len(self._later)

    async def settled(self) -> None:
        """Returns once no delivery is in progress (attempting, waiting to retry, held)."""
        await self._idle.wait()

    async def close(self) -> None:
        """Stop every delivery and the sender (reset, shutdown)."""
        self._closed = True
        self._queued.clear()
        for handle in self._later:
            handle.cancel()
        self._later.clear()
        await self._sender.close()  # answers what it still had as failed
        self._sending = 0
        self._idle.set()
