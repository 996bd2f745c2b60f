"""Taking in the provider's events: each webhook delivery, and each event the reconciler lists,
goes through the one ledger write (`PaymentLedger.record`), which keeps every event once and
moves a payment's status only forward, so duplicates and any order of arrival are harmless."""

from __future__ import annotations

from domain.ledger import Recorded
from domain.ports import PaymentEvents, PaymentLedger


class TakeInWebhook:
    """A webhook delivery: verified and translated by the provider's adapter, then recorded.

    Returns what recording did, or None for an event of a kind the ledger does not use. It
    returns only once the event is durably recorded, so an error (the delivery is then answered
    with a failure) leaves the provider to deliver it again.
    """

    def __init__(self, events: PaymentEvents, ledger: PaymentLedger) -> None:
        self._events = events
        self._ledger = ledger

    async def __call__(self, payload: bytes, signature: str) -> Recorded | None:
        observation = await self._events.from_webhook(payload, signature)
        if observation is None:
            return None
        return await self._ledger.record(observation)
