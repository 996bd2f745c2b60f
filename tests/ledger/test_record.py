"""record(): each event once, a new payment inserted, a known one filled in and moved forward
only — on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import InvalidInput
from domain.ledger import Recorded
from domain.money import Money
from domain.payment_status import PaymentStatus as S
from domain.ports import PaymentLedger
from tests.ledger.observations import T0, full_payment, observed, payment


async def test_a_new_payment_is_recorded_and_read_back_field_for_field(
    ledger: PaymentLedger,
) -> None:
    new = full_payment()

    assert await ledger.record(observed(new, "evt_1")) is Recorded.CHANGED

    assert await ledger.payment(new.checkout_session_id) == new


async def test_a_repeated_event_changes_nothing(ledger: PaymentLedger) -> None:
    opened = payment(status=S.OPEN)
    await ledger.record(observed(opened, "evt_1"))

    # The same event id again, even carrying something else, is not applied.
    again = replace(opened, status=S.SUCCEEDED, customer_id="cus_9")
    assert await ledger.record(observed(again, "evt_1")) is Recorded.DUPLICATE

    assert await ledger.payment("cs_test_1") == opened


async def test_reads_have_no_event_id_and_are_never_duplicates(ledger: PaymentLedger) -> None:
    read = payment(status=S.OPEN)
    assert await ledger.record(observed(read)) is Recorded.CHANGED
    assert await ledger.record(observed(read)) is Recorded.UNCHANGED
    assert await ledger.record(observed(replace(read, status=S.PROCESSING))) is Recorded.CHANGED


async def test_status_moves_forward_with_when_and_the_providers_words(
    ledger: PaymentLedger,
) -> None:
    await ledger.record(observed(full_payment(), "evt_1"))
    paid_at = T0 + timedelta(minutes=3)
    paid = payment(
        status=S.SUCCEEDED,
        at=paid_at,
        provider_status="complete",
        provider_payment_status="paid",
    )

    assert await ledger.record(observed(paid, "evt_2")) is Recorded.CHANGED

    kept = await ledger.payment("cs_test_1")
    assert kept == replace(
        full_payment(),
        status=S.SUCCEEDED,
        status_changed_at=paid_at,
        provider_status="complete",
        provider_payment_status="paid",
    )


@pytest.mark.parametrize(
    ("first", "late"),
    [
        (S.SUCCEEDED, S.PROCESSING),
        (S.SUCCEEDED, S.OPEN),
        (S.PROCESSING, S.REQUIRES_ACTION),
        (S.EXPIRED, S.OPEN),
        # The final statuses share the top: the first one reached stays.
        (S.SUCCEEDED, S.FAILED),
        (S.EXPIRED, S.CANCELED),
    ],
)
async def test_a_late_report_of_an_earlier_state_never_overwrites(
    ledger: PaymentLedger, first: S, late: S
) -> None:
    await ledger.record(observed(payment(status=first, provider_status="first"), "evt_1"))
    stale = payment(status=late, at=T0 + timedelta(hours=1), provider_status="late")

    assert await ledger.record(observed(stale, "evt_2")) is Recorded.UNCHANGED

    kept = await ledger.payment("cs_test_1")
    assert kept is not None
    assert (kept.status, kept.status_changed_at, kept.provider_status) == (first, T0, "first")


async def test_a_known_payment_gets_the_fields_it_lacked_and_keeps_the_ones_it_had(
    ledger: PaymentLedger,
) -> None:
    await ledger.record(observed(payment(status=S.SUCCEEDED, customer_id="cus_1"), "evt_1"))
    # A late, earlier event: its status is ignored, but it knows more about the payment.
    late = full_payment(customer_id="cus_other", status=S.OPEN)

    assert await ledger.record(observed(late, "evt_2")) is Recorded.UNCHANGED

    kept = await ledger.payment("cs_test_1")
    assert kept == replace(
        late,
        customer_id="cus_1",
        status=S.SUCCEEDED,
        provider_status="",
        provider_payment_status="",
    )


async def test_fields_are_filled_in_by_an_observation_that_moves_the_status(
    ledger: PaymentLedger,
) -> None:
    await ledger.record(observed(payment(status=S.OPEN), "evt_1"))
    paid = full_payment(status=S.SUCCEEDED)

    assert await ledger.record(observed(paid, "evt_2")) is Recorded.CHANGED

    assert await ledger.payment("cs_test_1") == paid


async def test_an_observation_with_nothing_new_changes_nothing(ledger: PaymentLedger) -> None:
    await ledger.record(observed(full_payment(), "evt_1"))
    bare = payment(status=S.OPEN)

    assert await ledger.record(observed(bare, "evt_2")) is Recorded.UNCHANGED

    assert await ledger.payment("cs_test_1") == full_payment()


async def test_instants_are_kept_in_utc_whatever_zone_they_came_in(
    ledger: PaymentLedger,
) -> None:
    new_york = timezone(timedelta(hours=-5))
    local = datetime(2026, 3, 1, 7, 0, 0, 654321, tzinfo=new_york)
    await ledger.record(observed(payment(at=local)))

    kept = await ledger.payment("cs_test_1")
    assert kept is not None
    assert kept.status_changed_at == local
    assert kept.status_changed_at.tzinfo is UTC
    assert kept.status_changed_at.hour == 12


async def test_a_payment_intent_claimed_by_a_second_checkout_is_refused_and_nothing_kept(
    ledger: PaymentLedger,
) -> None:
    await ledger.record(observed(payment("cs_a", payment_intent_id="pi_1")))

    with pytest.raises(InvalidInput) as refused:
        await ledger.record(observed(payment("cs_b", payment_intent_id="pi_1"), "evt_b"))

    assert refused.value.violations[0].field == "payment_intent_id"
    assert await ledger.payment("cs_b") is None
    # The event was not taken in: recorded right, it counts.
    fixed = payment("cs_b", total=Money(100, "usd"))
    assert await ledger.record(observed(fixed, "evt_b")) is Recorded.CHANGED
