"""Reconcile lists the provider's events since the watermark (minus an overlap), takes in what
the ledger lacks through the same write as webhooks, moves the watermark only after a complete
run, and runs on one replica at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ProviderUnavailable
from domain.ledger import Observation, Payment
from domain.payment_status import PaymentStatus
from domain.use_cases import Reconcile
from domain.use_cases.reconcile import FIRST_LOOKBACK, OVERLAP, RECONCILER_LOCK
from tests.fake_catalog import FakeCatalog
from tests.fake_events import FakeEvents, Told, product_changed
from tests.fake_ledger import FakeLedger

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def observed(event_id: str, status: PaymentStatus, session: str = "cs_1") -> Observation:
    return Observation(Payment(session, status, NOW), NOW, event_id)


def listed(*told: Told, fail_after: int | None = None) -> FakeEvents:
    """The provider's event list, failing after `fail_after` events when given."""
    events = FakeEvents(listed=list(told))
    if fail_after is not None:
        events.unavailable = ProviderUnavailable("down", retry_after_seconds=1)
        events.unavailable_after = fail_after
    return events


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


async def test_the_first_run_lists_as_far_back_as_the_provider_keeps(ledger: FakeLedger) -> None:
    events = listed()

    done = await Reconcile(events, ledger, FakeCatalog(), clock=lambda: NOW)()

    assert events.asked == [NOW - FIRST_LOOKBACK - OVERLAP] == [done.since]
    assert await ledger.reconciled_until() == NOW


async def test_later_runs_list_from_the_watermark_minus_the_overlap(ledger: FakeLedger) -> None:
    await ledger.set_reconciled_until(NOW - timedelta(hours=1))
    events = listed()

    await Reconcile(events, ledger, FakeCatalog(), clock=lambda: NOW)()

    assert events.asked == [NOW - timedelta(hours=1) - OVERLAP]


async def test_only_what_the_ledger_lacks_is_taken_in(ledger: FakeLedger) -> None:
    await ledger.record(observed("evt_seen", PaymentStatus.PROCESSING))
    events = listed(
        observed("evt_seen", PaymentStatus.PROCESSING),
        observed("evt_missed", PaymentStatus.SUCCEEDED),
        observed("evt_late", PaymentStatus.PROCESSING),
    )

    done = await Reconcile(events, ledger, FakeCatalog(), clock=lambda: NOW)()

    assert (done.listed, done.taken_in, done.changed) == (3, 2, 1)
    assert ledger.payments["cs_1"].status is PaymentStatus.SUCCEEDED
    assert ledger.event_ids == {"evt_seen", "evt_missed", "evt_late"}


async def test_a_failed_run_keeps_the_watermark_and_what_it_took_in(ledger: FakeLedger) -> None:
    events = listed(
        observed("evt_1", PaymentStatus.EXPIRED, "cs_1"),
        observed("evt_2", PaymentStatus.EXPIRED, "cs_2"),
        fail_after=1,
    )

    with pytest.raises(ProviderUnavailable):
        await Reconcile(events, ledger, FakeCatalog(), clock=lambda: NOW)()

    assert await ledger.reconciled_until() is None
    assert list(ledger.payments) == ["cs_1"]
    assert ledger.held == set()


async def test_a_run_held_elsewhere_does_nothing(ledger: FakeLedger) -> None:
    events = listed(observed("evt_1", PaymentStatus.SUCCEEDED))
    ledger.held.add(RECONCILER_LOCK)

    done = await Reconcile(events, ledger, FakeCatalog(), clock=lambda: NOW)()

    assert done.since is None
    assert (events.asked, ledger.payments) == ([], {})


async def test_a_run_prunes_the_payment_events_past_retention(ledger: FakeLedger) -> None:
    await ledger.record(observed("evt_old", PaymentStatus.SUCCEEDED, "cs_old"))
    old = ledger.feed[0]
    ledger.feed[0] = replace(old, recorded_at=NOW - timedelta(days=31))
    await ledger.record(observed("evt_new", PaymentStatus.SUCCEEDED, "cs_new"))
    ledger.feed[1] = replace(ledger.feed[1], recorded_at=NOW - timedelta(days=1))

    done = await Reconcile(
        listed(), ledger, FakeCatalog(), clock=lambda: NOW, retention=timedelta(days=30)
    )()

    assert done.pruned == 1
    assert [event.payment.checkout_session_id for event in ledger.feed] == ["cs_new"]


async def test_a_product_changed_is_forgotten_and_not_recorded(ledger: FakeLedger) -> None:
    catalog = FakeCatalog()
    events = listed(product_changed("prod_1", at=NOW), observed("evt_1", PaymentStatus.SUCCEEDED))

    done = await Reconcile(events, ledger, catalog, clock=lambda: NOW)()

    assert (done.listed, done.taken_in, done.products_changed) == (2, 1, 1)
    assert catalog.forgotten == ["prod_1"]
    assert ledger.event_ids == {"evt_1"}
