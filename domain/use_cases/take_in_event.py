"""Taking in the provider's events: each webhook delivery, and each event the reconciler lists.

An event about a payment goes through the one ledger write (`PaymentLedger.record`), which keeps
every event once and moves a payment's status only forward, so duplicates and any order of
arrival are harmless. An event saying a product changed makes this replica's catalog forget the
product (the next sale reads it afresh); forgetting twice is as harmless."""

from __future__ import annotations

from domain.ledger import Observation, Recorded
from domain.ports import PaymentEvents, PaymentLedger, ProductCatalog
from domain.product import ProductChanged


async def take_in(
    told: Observation | ProductChanged, ledger: PaymentLedger, catalog: ProductCatalog
) -> Recorded | ProductChanged:
    """What taking in one event did: the ledger's answer, or the product change acted on."""
    if isinstance(told, ProductChanged):
        catalog.forget(told.product_id)
        return told
    return await ledger.record(told)


class TakeInWebhook:
    """A webhook delivery: verified and translated by the provider's adapter, then taken in.

    Returns what taking it in did, or None for an event of a kind the service does not use. It
    returns only once a payment's event is durably recorded, so an error (the delivery is then
    answered with a failure) leaves the provider to deliver it again.
    """

    def __init__(
        self, events: PaymentEvents, ledger: PaymentLedger, catalog: ProductCatalog
    ) -> None:
        self._events = events
        self._ledger = ledger
        self._catalog = catalog

    async def __call__(self, payload: bytes, signature: str) -> Recorded | ProductChanged | None:
        told = await self._events.from_webhook(payload, signature)
        if told is None:
            return None
        return await take_in(told, self._ledger, self._catalog)
