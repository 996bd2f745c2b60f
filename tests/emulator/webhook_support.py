"""What the webhook tests share: an emulator on the test's loop delivering to a real receiver.

Retry delays are Stripe's test-mode schedule (5 min, 30 min, 2 h) times ``RETRY_SCALE``:
about 30 ms, 180 ms and 720 ms, so a whole schedule runs in about a second.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import stripe

from stripe_emulator.testing import (
    AsyncEmulatorHandle,
    Receipt,
    WebhookReceiver,
    WebhookSettings,
    receive_webhooks,
    serve,
)
from tests.emulator.helpers import async_stripe_client

RETRY_SCALE = 0.0001
SECRET = "whsec_test_0123456789abcdefghijklmnop"


@dataclass
class WebhookStack:
    emulator: AsyncEmulatorHandle
    receiver: WebhookReceiver
    client: stripe.StripeClient

    @property
    def secret(self) -> str:
        assert self.emulator.webhook_secret is not None
        return self.emulator.webhook_secret

    def verified(self, receipt: Receipt) -> stripe.Event:
        """The delivered event, through the SDK's own signature check."""
        event: stripe.Event = stripe.Webhook.construct_event(
            receipt.body.decode(), receipt.headers["Stripe-Signature"], self.secret
        )
        return event


@asynccontextmanager
async def webhook_stack(
    *, forward: bool = True, timeout_seconds: float = 5.0
) -> AsyncIterator[WebhookStack]:
    """Receiver, emulator (with the receiver as its start-up endpoint when ``forward``) and an
    async SDK client; all closed on exit."""
    async with receive_webhooks() as receiver:
        settings = WebhookSettings(
            url=receiver.url if forward else None,
            secret=SECRET if forward else None,
            timeout_seconds=timeout_seconds,
            retry_scale=RETRY_SCALE,
        )
        async with (
            serve(webhooks=settings) as emulator,
            async_stripe_client(emulator) as client,
        ):
            yield WebhookStack(emulator, receiver, client)


def event_types(receipts: list[Receipt]) -> list[str]:
    return [json.loads(receipt.body)["type"] for receipt in receipts]


def body_of(receipt: Receipt) -> Any:
    return json.loads(receipt.body)
