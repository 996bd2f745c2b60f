"""WatchPaymentStatus: a payment's status now, then each change the ledger records, to the end."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from domain.call import CallContext
from domain.ledger import PaymentEvent, snapshot_of
from domain.live_feed import FellBehind, LiveFeed, Watcher
from domain.payment_status import PaymentSnapshot
from domain.ports import PaymentLedger
from domain.use_cases.get_payment_status import GetPaymentStatus


class WatchPaymentStatus:
    """Yields the payment as GetPaymentStatus answers it, then the payment after each recorded
    change that moves it further along, and stops after a final status. Watching begins before
    the first answer is read, so a change recorded meanwhile is not missed."""

    def __init__(
        self, get_payment_status: GetPaymentStatus, feed: LiveFeed, ledger: PaymentLedger
    ) -> None:
        self._get_payment_status = get_payment_status
        self._feed = feed
        self._ledger = ledger

    async def __call__(self, payment_id: str, call: CallContext) -> AsyncGenerator[PaymentSnapshot]:
        def concerns(event: PaymentEvent) -> bool:
            payment = event.payment
            return payment_id in (payment.checkout_session_id, payment.payment_intent_id)

        with self._feed.watching(concerns) as watcher:
            current = await self._get_payment_status(payment_id, call)
            yield current
            while not current.status.is_final:
                for snapshot in await self._changes(payment_id, watcher):
                    if snapshot.status.progress > current.status.progress:
                        current = snapshot
                        yield current

    async def _changes(self, payment_id: str, watcher: Watcher) -> list[PaymentSnapshot]:
        """The payment after each change handed to the watcher; after falling behind (not for
        want of reading: a payment has few changes), the payment as the ledger keeps it."""
        try:
            return [snapshot_of(event.payment, payment_id) for event in await anext(watcher)]
        except FellBehind:
            watcher.catch_up()
            kept = await self._ledger.payment(payment_id)
            return [snapshot_of(kept, payment_id)] if kept else []
