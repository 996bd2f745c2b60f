"""The reconciler's watermark, and exclusive(): one holder of a name across every ledger on the
database — on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.ports import PaymentLedger
from ledger import Ledger, open_ledger


async def test_the_watermark_is_none_until_set_then_what_was_set_last(
    ledger: PaymentLedger, ledger_url: str
) -> None:
    assert await ledger.reconciled_until() is None
    later = datetime(2026, 3, 1, 12, 0, 0, 5, tzinfo=UTC)
    earlier_in_another_zone = datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))

    await ledger.set_reconciled_until(later)
    assert await ledger.reconciled_until() == later
    await ledger.set_reconciled_until(earlier_in_another_zone)

    async with open_ledger(ledger_url) as reopened:
        kept = await reopened.reconciled_until()
    assert kept == earlier_in_another_zone
    assert kept is not None
    assert kept.tzinfo is UTC


async def test_a_name_is_held_once_and_free_again_after_the_block(ledger: PaymentLedger) -> None:
    async with (
        ledger.exclusive("reconciler") as first,
        ledger.exclusive("reconciler") as second,
        ledger.exclusive("other") as other,
    ):
        assert (first, second, other) == (True, False, True)
    async with ledger.exclusive("reconciler") as again:
        assert again


async def test_two_ledgers_on_one_database_hold_a_name_one_at_a_time(
    ledger: PaymentLedger, second_ledger: Ledger
) -> None:
    async with (
        ledger.exclusive("reconciler") as here,
        second_ledger.exclusive("reconciler") as there,
    ):
        assert (here, there) == (True, False)
    async with second_ledger.exclusive("reconciler") as there:
        assert there


async def test_a_name_is_released_when_its_block_raises(
    ledger: PaymentLedger, second_ledger: Ledger
) -> None:
    async def failing_job() -> None:
        async with ledger.exclusive("reconciler") as held:
            assert held
            raise RuntimeError("the job failed")

    with pytest.raises(RuntimeError, match="the job failed"):
        await failing_job()

    async with second_ledger.exclusive("reconciler") as there:
        assert there
