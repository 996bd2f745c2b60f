"""What the events tests share: webhook endpoints on the suite's emulator delivering to a real
receiver on the test's loop (fixtures `deliveries` and `events` in conftest.py).

Nothing sleeps: a test waits for the deliveries it needs (`Deliveries.of_type`), each wait with
a timeout.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import stripe

from stripe_emulator.testing import EmulatorHandle, Receipt, WebhookReceiver, receive_webhooks
from tests.conftest import wait_until
from tests.emulator.helpers import stripe_client


@dataclass
class Deliveries:
    """What one webhook endpoint (every event type) received, and its signing secret."""

    receiver: WebhookReceiver
    secret: str

    async def of_type(self, event_type: str, count: int = 1) -> list[Receipt]:
        """The first `count` deliveries of `event_type`, once that many arrived."""
        await wait_until(lambda: len(self._typed(event_type)) >= count)
        return self._typed(event_type)[:count]

    async def one(self, event_type: str) -> Receipt:
        (receipt,) = await self.of_type(event_type)
        return receipt

    def _typed(self, event_type: str) -> list[Receipt]:
        return [r for r in self.receiver.receipts if type_of(r) == event_type]


def type_of(receipt: Receipt) -> str:
    event_type: str = json.loads(receipt.body)["type"]
    return event_type


def body_of(receipt: Receipt) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(receipt.body)
    return body


def signature_of(receipt: Receipt) -> str:
    return receipt.headers["Stripe-Signature"]


def signed(
    body: dict[str, Any] | str, secret: str, timestamp: int | None = None
) -> tuple[bytes, str]:
    """A body and its Stripe-Signature header, made by the SDK's own helper."""
    text = body if isinstance(body, str) else json.dumps(body)
    header = stripe.WebhookSignature.generate_signature_header(text, secret, timestamp)
    return text.encode(), header


@asynccontextmanager
async def webhook_endpoint(emulator: EmulatorHandle) -> AsyncIterator[Deliveries]:
    """A webhook endpoint on the emulator for every event type (made through the SDK, as an
    operator would), delivering to a receiver on the running loop until the block exits."""
    async with receive_webhooks() as receiver:
        endpoint = stripe_client(emulator).v1.webhook_endpoints.create(
            params={"url": receiver.url, "enabled_events": ["*"]}
        )
        assert endpoint.secret is not None
        yield Deliveries(receiver, endpoint.secret)
