"""The reconciler's schedule: a run at start-up and one per interval; a failed run is logged on
one line and the schedule goes on; leaving the block stops it."""

from __future__ import annotations

import logging

import pytest

from domain.payment_status import PaymentStatus
from domain.use_cases import Reconcile
from service.reconciler import Reconciler
from tests.fake_catalog import FakeCatalog
from tests.fake_ledger import FakeLedger
from tests.unit.test_reconcile import listed, observed


async def test_runs_at_start_up_and_again_each_interval() -> None:
    ledger = FakeLedger()
    events = listed(observed("evt_1", PaymentStatus.SUCCEEDED))
    reconciler = Reconciler(Reconcile(events, ledger, FakeCatalog()), interval_seconds=0.01)

    async with reconciler.running():
        await reconciler.runs_finished(3)

    assert len(events.asked) >= 3
    assert ledger.payments["cs_1"].status is PaymentStatus.SUCCEEDED
    assert reconciler.last is not None
    assert reconciler.last.taken_in == 0  # taken in by the first run


async def test_a_failed_run_is_one_warning_and_the_next_run_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="service.reconciler")
    events = listed(observed("evt_1", PaymentStatus.SUCCEEDED), fail_after=0)
    reconciler = Reconciler(Reconcile(events, FakeLedger(), FakeCatalog()), interval_seconds=0.01)

    async with reconciler.running():
        await reconciler.runs_finished(2)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) >= 2
    assert warnings[0].getMessage() == "reconciliation failed, next try in 0.01s: down"


async def test_leaving_the_block_stops_the_schedule() -> None:
    events = listed()
    reconciler = Reconciler(Reconcile(events, FakeLedger(), FakeCatalog()), interval_seconds=3600)

    async with reconciler.running():
        await reconciler.runs_finished(1)

    assert reconciler.finished == 1
    assert len(events.asked) == 1
