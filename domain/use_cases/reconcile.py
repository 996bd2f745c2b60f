"""Reconcile: take in every provider event the ledger has not seen, from the provider's list of
events, so that a dropped webhook (or none configured) still ends in the right status. Events
saying a product changed make this replica's catalog forget it, as a webhook would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.ledger import Recorded
from domain.ports import PaymentEvents, PaymentLedger, ProductCatalog
from domain.product import ProductChanged
from domain.use_cases.take_in_event import take_in

RECONCILER_LOCK = "reconciler"
OVERLAP = timedelta(minutes=5)
"""How far before the watermark each run lists again: an event can show up in the provider's
list a little after its creation time, so the newest minutes are listed twice (the ledger keeps
each event once)."""
FIRST_LOOKBACK = timedelta(days=30)
"""A ledger never reconciled lists as far back as Stripe keeps events."""
DEFAULT_RETENTION = timedelta(days=30)
"""How long the ledger keeps its payment events (its feed), like Stripe keeps its own."""


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """What one run did: None for `since` when another replica held the lock and this one did
    nothing."""

    since: datetime | None
    listed: int = 0
    taken_in: int = 0
    """Events the ledger had not recorded (webhooks dropped, late, or never configured)."""
    changed: int = 0
    """Of those, the ones that moved a payment's status or added a payment."""
    pruned: int = 0
    """Payment events of the ledger's feed deleted for being older than the retention."""
    products_changed: int = 0
    """Events saying a product changed (the catalog forgot it)."""


class Reconcile:
    """One reconciliation run, on at most one replica at a time (the ledger's lock); the same
    run then prunes the ledger's payment events older than `retention`."""

    def __init__(
        self,
        events: PaymentEvents,
        ledger: PaymentLedger,
        catalog: ProductCatalog,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        self._events = events
        self._ledger = ledger
        self._catalog = catalog
        self._clock = clock
        self._retention = retention

    async def __call__(self) -> Reconciliation:
        async with self._ledger.exclusive(RECONCILER_LOCK) as held:
            if not held:
                return Reconciliation(since=None)
            return await self._run()

    async def _run(self) -> Reconciliation:
        started = self._clock()
        watermark = await self._ledger.reconciled_until()
        since = (watermark or started - FIRST_LOOKBACK) - OVERLAP
        listed = taken_in = changed = products = 0
        async for told in self._events.since(since):
            listed += 1
            taken = await take_in(told, self._ledger, self._catalog)
            products += isinstance(taken, ProductChanged)
            taken_in += isinstance(taken, Recorded) and taken is not Recorded.DUPLICATE
            changed += taken is Recorded.CHANGED
        # Everything created before the run started has been listed (up to the overlap).
        await self._ledger.set_reconciled_until(started)
        pruned = await self._ledger.prune(older_than=started - self._retention)
        return Reconciliation(since, listed, taken_in, changed, pruned, products)
