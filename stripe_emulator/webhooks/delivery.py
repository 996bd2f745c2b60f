"""Delivering events to webhook endpoints as Stripe does.

Each event goes to every enabled endpoint that wants its type, as its own concurrent task:
nothing orders deliveries to one endpoint. An attempt is a signed JSON POST; anything but a
2xx answer within the timeout is retried after the next delay of the schedule, until the
schedule runs out (the event then stays undelivered: ``pending_webhooks`` > 0). An endpoint
deleted or disabled meanwhile gets no further attempts, as on Stripe.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import aiohttp

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
from stripe_emulator.webhooks.signing import signature_header

HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    "Cache-Control": "no-cache",
    "Accept": "*/*; q=0.5, application/xml",
}


class Deliverer:
    """Deliveries of one state generation; ``close()`` stops them all."""

    def __init__(self, store: Store, settings: WebhookSettings) -> None:
        self._store = store
        self._settings = settings
        self.faults = DeliveryFaultTable()
        self.attempts: list[JSON] = []  # every attempt, in the order they ended
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: dict[str, list[asyncio.Event]] = {}  # endpoint -> out-of-order holds
        self._delivered: set[tuple[str, str]] = set()  # (event, endpoint)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        store.events.listeners.append(self.on_event)

    def on_event(self, event: JSON) -> None:
        """Called as each event is recorded: start its deliveries."""
        endpoints = [e for e in self._store.all("webhook_endpoint") if wants(e, event["type"])]
        event["pending_webhooks"] = len(endpoints)
        if self._closed:  # a request that outlived a reset: its events go nowhere
            return
        for endpoint in endpoints:
            self._start(event, endpoint["id"])

    def _start(self, event: JSON, endpoint_id: str) -> None:
        fault = self.faults.take(DELIVERY_FAULTS, event["type"], endpoint_id)
        kind = None if fault is None else fault.fault
        if kind == "drop":
            self._record(event, endpoint_id, 0, status=None, error="dropped", fault="drop")
            return
        copies = 2 if kind == "duplicate" else 1
        for _ in range(copies):
            task = asyncio.get_running_loop().create_task(self._deliver(event, endpoint_id, fault))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: JSON, endpoint_id: str, fault: DeliveryFault | None) -> None:
        if fault is not None and fault.fault == "delay":
            await asyncio.sleep(fault.delay_ms / 1000)
        elif fault is not None and fault.fault == "out_of_order":
            await self._hold(endpoint_id, fault.delay_ms / 1000)
        delays = self._settings.delays()
        for number in range(1, len(delays) + 2):
            endpoint = self._store.get("webhook_endpoint", endpoint_id)
            if endpoint is None or endpoint["status"] != "enabled":
                return
            retry_in = delays[number - 1] if number <= len(delays) else None
            if await self._attempt(event, endpoint, number, retry_in) or retry_in is None:
                return
            await asyncio.sleep(retry_in)

    async def _hold(self, endpoint_id: str, longest: float) -> None:
        """Out of order: wait until a later delivery to this endpoint was attempted."""
        released = asyncio.Event()
        self._held.setdefault(endpoint_id, []).append(released)
        with contextlib.suppress(TimeoutError):  # nothing came after it: deliver anyway
            await asyncio.wait_for(released.wait(), longest)

    async def _attempt(
        self, event: JSON, endpoint: JSON, number: int, retry_in: float | None
    ) -> bool:
        fault = self.faults.take(ATTEMPT_FAULTS, event["type"], endpoint["id"])
        payload = json.dumps(event).encode()
        status, error = await self._post(
            endpoint["url"], payload, self._signature(payload, endpoint["id"], fault)
        )
        succeeded = status is not None and 200 <= status < 300
        key = (event["id"], endpoint["id"])
        if succeeded and key not in self._delivered:
            self._delivered.add(key)
            event["pending_webhooks"] -= 1
        self._record(
            event,
            endpoint["id"],
            number,
            status=status,
            error=error,
            fault=None if fault is None else fault.fault,
            next_attempt_in=None if succeeded else retry_in,
        )
        for released in self._held.pop(endpoint["id"], []):
            released.set()
        return succeeded

    def _signature(self, payload: bytes, endpoint_id: str, fault: DeliveryFault | None) -> str:
        secret = self._store.webhook_secrets[endpoint_id]
        timestamp = int(time.time())
        if fault is not None and fault.fault == "wrong_secret":
            secret = new_id("whsec")
        elif fault is not None and fault.fault == "old_timestamp":
            timestamp -= fault.age_seconds
        return signature_header(payload, secret, timestamp)

    async def _post(
        self, url: str, payload: bytes, signature: str
    ) -> tuple[int | None, str | None]:
        headers = {**HEADERS, "Stripe-Signature": signature}
        try:
            async with self._client().post(url, data=payload, headers=headers) as response:
                await response.read()
                return response.status, None
        except TimeoutError:
            return None, "timed out"
        except aiohttp.ClientError as exc:
            return None, f"{type(exc).__name__}: {exc}"

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._settings.timeout_seconds),
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("Accept-Encoding",),
                auto_decompress=False,
            )
        return self._session

    def _record(self, event: JSON, endpoint_id: str, number: int, **result: Any) -> None:
        endpoint = self._store.get("webhook_endpoint", endpoint_id) or {}
        self.attempts.append(
            {
                "event": event["id"],
                "type": event["type"],
                "endpoint": endpoint_id,
                "url": endpoint.get("url"),
                "attempt": number,
                "at": time.time(),
                "next_attempt_in": None,
                **result,
            }
        )

    def in_progress(self) -> int:
        return len(self._tasks)

    async def settled(self) -> None:
        """Returns once no delivery is in progress (attempting, waiting to retry, held)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self) -> None:
        """Cancel every delivery and close the connections (reset, shutdown)."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
        if self._session is not None:
            await self._session.close()
            self._session = None
