"""An in-memory PaymentLedger for use-case and edge tests: keeps the port's promises, no I/O."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.errors import InvalidInput, Violation
from domain.ledger import Observation, Payment, PaymentPage, PaymentQuery, Recorded


@dataclass
class FakeLedger:
    """Payments in insertion order; event ids in a set; locks in a set."""

    payments: dict[str, Payment] = field(default_factory=dict)
    event_ids: set[str] = field(default_factory=set)
    held: set[str] = field(default_factory=set)
    watermark: datetime | None = None

    async def record(self, observation: Observation) -> Recorded:
        if observation.event_id is not None:
            if observation.event_id in self.event_ids:
                return Recorded.DUPLICATE
            self.event_ids.add(observation.event_id)
        new = observation.payment
        kept = self.payments.get(new.checkout_session_id)
        if kept is None:
            self.payments[new.checkout_session_id] = new
            return Recorded.CHANGED
        merged = _filled_in(kept, new)
        moved = new.status.progress > kept.status.progress
        if moved:
            merged = replace(
                merged,
                status=new.status,
                status_changed_at=new.status_changed_at,
                provider_status=new.provider_status,
                provider_payment_status=new.provider_payment_status,
            )
        self.payments[new.checkout_session_id] = merged
        return Recorded.CHANGED if moved else Recorded.UNCHANGED

    async def payment(self, payment_id: str) -> Payment | None:
        for payment in self.payments.values():
            if payment_id in (payment.checkout_session_id, payment.payment_intent_id):
                return payment
        return None

    async def list_payments(self, query: PaymentQuery) -> PaymentPage:
        matching = [
            payment
            for payment in self.payments.values()
            if (query.client_reference_id or payment.client_reference_id)
            == payment.client_reference_id
            and (query.customer_id or payment.customer_id) == payment.customer_id
        ]
        start = _offset(query.page_token)
        end = start + query.page_size
        token = str(end) if end < len(matching) else ""
        return PaymentPage(matching[start:end], token)

    async def reconciled_until(self) -> datetime | None:
        return self.watermark

    async def set_reconciled_until(self, instant: datetime) -> None:
        self.watermark = instant

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        if name in self.held:
            yield False
            return
        self.held.add(name)
        try:
            yield True
        finally:
            self.held.discard(name)


def _filled_in(kept: Payment, new: Payment) -> Payment:
    return replace(
        kept,
        payment_intent_id=kept.payment_intent_id or new.payment_intent_id,
        customer_id=kept.customer_id or new.customer_id,
        total=kept.total or new.total,
        client_reference_id=kept.client_reference_id or new.client_reference_id,
        metadata=kept.metadata or new.metadata,
    )


def _offset(token: str) -> int:
    if token and not token.isdigit():
        raise InvalidInput([Violation("page_token", "is not a token of this query")])
    return int(token or 0)
