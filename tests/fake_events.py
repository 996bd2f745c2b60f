"""An in-memory PaymentEvents for use-case and edge tests: keeps the port's promises, no I/O.

events = FakeEvents()
body = events.webhook(observation("cs_test_1", PaymentStatus.SUCCEEDED))  # a delivery's body
await events.from_webhook(body, FakeEvents.SIGNATURE)                    # -> that observation
events.webhook(None)                    # the body of an event of a type of no use: -> None
events.webhook(product_changed("prod_1"))  # an event saying a product changed: -> that
events.listed.append(observation(...))  # what since() yields (those at or after its instant)
events.unavailable = ProviderUnavailable("down", retry_after_seconds=1)  # since() raises it
events.unavailable_after = 2            # ... once it has yielded 2 observations
events.asked                            # the instants since() was called with
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.errors import RetryableError, WebhookRefused
from domain.ledger import Observation, Payment
from domain.money import Money
from domain.payment_status import PaymentStatus
from domain.ports import PaymentEvents
from domain.product import ProductChanged

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_EVENT_IDS = itertools.count(1)


def observation(
    checkout_session_id: str,
    status: PaymentStatus,
    *,
    at: datetime = _EPOCH,
    event_id: str | None = "",
    payment_intent_id: str | None = None,
    customer_id: str | None = None,
    total: Money | None = None,
    client_reference_id: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Observation:
    """An observation of the checkout in `status` at `at`; from a new event unless `event_id`
    is given (None: a read of the payment, no event)."""
    payment = Payment(
        checkout_session_id=checkout_session_id,
        status=status,
        status_changed_at=at,
        payment_intent_id=payment_intent_id,
        customer_id=customer_id,
        total=total,
        client_reference_id=client_reference_id,
        metadata=dict(metadata or {}),
        provider_status=status.name.lower(),
    )
    if event_id == "":
        event_id = f"evt_fake_{next(_EVENT_IDS)}"
    return Observation(payment, at, event_id)


def product_changed(product_id: str, *, at: datetime = _EPOCH) -> ProductChanged:
    """An event (a new one) saying the product, or one of its prices, changed at `at`."""
    return ProductChanged(product_id, f"evt_fake_{next(_EVENT_IDS)}", at)


Told = Observation | ProductChanged


@dataclass
class FakeEvents:
    """Webhook bodies name what they deliver; since() yields `listed` in the order queued."""

    SIGNATURE = "t=0,v1=fake-signature"
    """The one Stripe-Signature from_webhook accepts."""

    listed: list[Told] = field(default_factory=list)
    unavailable: RetryableError | None = None
    unavailable_after: int = 0
    calls: list[str] = field(default_factory=list)
    asked: list[datetime] = field(default_factory=list)
    _delivered: dict[bytes, Told | None] = field(default_factory=dict)

    def webhook(self, delivered: Told | None) -> bytes:
        """The body of a delivery of `delivered` (None: an event of a type of no use)."""
        event_id = delivered.event_id if delivered is not None else None
        body = json.dumps(
            {"id": event_id or f"evt_fake_{next(_EVENT_IDS)}", "n": len(self._delivered)}
        ).encode()
        self._delivered[body] = delivered
        return body

    async def from_webhook(self, payload: bytes, signature: str) -> Told | None:
        self.calls.append("from_webhook")
        if signature != self.SIGNATURE:
            raise WebhookRefused("the signature matches none of the webhook secrets")
        if payload not in self._delivered:
            raise WebhookRefused("the body is not an event")
        return self._delivered[payload]

    async def since(self, instant: datetime) -> AsyncIterator[Told]:
        self.calls.append("since")
        self.asked.append(instant)
        for count, listed in enumerate([*self.listed, None]):
            if self.unavailable is not None and count == self.unavailable_after:
                raise self.unavailable
            if listed is not None and listed.observed_at >= instant:
                yield listed


def _implements_the_port(events: FakeEvents) -> PaymentEvents:
    """Where mypy checks the fake against the port."""
    return events
