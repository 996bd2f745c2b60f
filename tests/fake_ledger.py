"""An in-memory PaymentLedger for use-case and edge tests: keeps the port's promises, no I/O."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from domain.errors import CursorExpired, InvalidInput, Violation
from domain.ledger import (
    FEED_STATUSES,
    Observation,
    Payment,
    PaymentEvent,
    PaymentEventPage,
    PaymentEventQuery,
    PaymentPage,
    PaymentQuery,
    Recorded,
)
from ledger.wakeups import Wakeups


@dataclass
class FakeLedger:
    """Payments in insertion order; event ids in a set; locks in a set; the payment events in a
    list, each cursor its sequence number in 12 digits."""

    payments: dict[str, Payment] = field(default_factory=dict)
    event_ids: set[str] = field(default_factory=set)
    held: set[str] = field(default_factory=set)
    watermark: datetime | None = None
    feed: list[PaymentEvent] = field(default_factory=list)
    last_seq: int = 0
    pruned_through: int = 0
    hub: Wakeups = field(default_factory=Wakeups)

    async def record(self, observation: Observation) -> Recorded:
        recorded = self._record(observation)
        payment = self.payments.get(observation.payment.checkout_session_id)
        if recorded is Recorded.CHANGED and payment and payment.status in FEED_STATUSES:
            self.last_seq += 1
            self.feed.append(PaymentEvent(f"{self.last_seq:012d}", payment, datetime.now(UTC)))
            self.hub.wake()
        return recorded

    def _record(self, observation: Observation) -> Recorded:
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

    async def events(self, query: PaymentEventQuery) -> PaymentEventPage:
        if query.after_cursor and not query.after_cursor.isdigit():
            raise InvalidInput([Violation("after_cursor", "is not a cursor of this feed")])
        after = int(query.after_cursor or 0)
        if query.after_cursor and after < self.pruned_through:
            raise CursorExpired(query.after_cursor)
        matching = [
            event
            for event in self.feed
            if int(event.cursor) > after
            and (query.client_reference_id or event.payment.client_reference_id)
            == event.payment.client_reference_id
            and (query.customer_id or event.payment.customer_id) == event.payment.customer_id
            and (not query.statuses or event.status in query.statuses)
        ]
        page = matching[: query.limit]
        next_cursor = page[-1].cursor if page else query.after_cursor
        return PaymentEventPage(page, next_cursor, more=len(matching) > len(page))

    async def newest_cursor(self) -> str:
        return f"{self.last_seq:012d}" if self.last_seq else ""

    def wakeups(self) -> AbstractAsyncContextManager[AsyncIterator[None]]:
        return self.hub.subscribed()

    async def prune(self, older_than: datetime) -> int:
        young = (i for i, event in enumerate(self.feed) if event.recorded_at >= older_than)
        count = next(young, len(self.feed))
        pruned, self.feed = self.feed[:count], self.feed[count:]
        if pruned:
            self.pruned_through = int(pruned[-1].cursor)
        return len(pruned)

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
