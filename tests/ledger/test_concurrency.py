"""Concurrent records: one event taken in once, and the furthest status kept, whatever the order
— in one process, across engines (replicas) and across processes, on both backends."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from domain.ledger import Recorded
from domain.payment_status import PaymentStatus as S
from domain.ports import PaymentLedger
from ledger import Ledger, open_ledger
from tests.conftest import communicate, wait_until
from tests.ledger.observations import observed, payment
from tests.postgres import REPO, admin


async def test_fifty_concurrent_records_of_one_event_take_it_in_once(
    ledger: PaymentLedger,
) -> None:
    event = observed(payment(status=S.SUCCEEDED), "evt_1")

    results = await asyncio.gather(*(ledger.record(event) for _ in range(50)))

    assert results.count(Recorded.CHANGED) == 1
    assert results.count(Recorded.DUPLICATE) == 49


async def test_one_event_recorded_by_two_replicas_at_once_is_taken_in_once(
    ledger: PaymentLedger, second_ledger: Ledger
) -> None:
    events = [observed(payment(f"cs_{i}"), f"evt_{i}") for i in range(20)]

    results = await asyncio.gather(
        *(replica.record(event) for event in events for replica in (ledger, second_ledger))
    )

    assert results.count(Recorded.CHANGED) == 20
    assert results.count(Recorded.DUPLICATE) == 20


ORDERS = [(S.SUCCEEDED, S.PROCESSING), (S.PROCESSING, S.SUCCEEDED)]


@pytest.mark.parametrize("order", ORDERS, ids=["ahead-first", "behind-first"])
async def test_two_replicas_observing_one_payment_at_once_keep_the_furthest_status(
    ledger: PaymentLedger, second_ledger: Ledger, order: tuple[S, S]
) -> None:
    await ledger.record(observed(payment(status=S.OPEN)))

    await asyncio.gather(
        ledger.record(observed(payment(status=order[0]), "evt_a")),
        second_ledger.record(observed(payment(status=order[1]), "evt_b")),
    )

    kept = await ledger.payment("cs_test_1")
    assert kept is not None
    assert kept.status is S.SUCCEEDED


@contextmanager
def row_locked(url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """Holds the payment's row lock until the block ends, as a slow concurrent writer would."""
    with psycopg.connect(url) as holder:
        holder.execute("SELECT 1 FROM payments WHERE checkout_session_id = 'cs_test_1' FOR UPDATE")
        yield holder
        holder.commit()


def lock_waiters(url: str) -> int:
    with admin(url) as watcher:
        row = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize("order", ORDERS, ids=["ahead-first", "behind-first"])
async def test_postgresql_writers_queued_on_one_row_keep_the_furthest_status(
    postgres_database_url: str, order: tuple[S, S]
) -> None:
    """Both records wait on the row, in a known order, before either runs: the second one's
    UPDATE … WHERE progress < new is re-checked on the row the first one left."""
    url = postgres_database_url
    async with open_ledger(url) as first, open_ledger(url) as second:
        await first.record(observed(payment(status=S.OPEN)))
        with row_locked(url):
            ahead = asyncio.create_task(first.record(observed(payment(status=order[0]), "a")))
            await wait_until(lambda: lock_waiters(url) == 1)
            behind = asyncio.create_task(second.record(observed(payment(status=order[1]), "b")))
            await wait_until(lambda: lock_waiters(url) == 2)
        results = [await ahead, await behind]

        kept = await first.payment("cs_test_1")
    assert kept is not None
    assert kept.status is S.SUCCEEDED
    assert results == (
        [Recorded.CHANGED, Recorded.UNCHANGED]
        if order[0] is S.SUCCEEDED
        else [Recorded.CHANGED, Recorded.CHANGED]
    )


async def test_two_processes_migrating_a_new_database_and_recording_the_same_events_at_once(
    ledger_url: str,
) -> None:
    count = 60
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.ledger.record_events",
            ledger_url,
            str(count),
            *flag,
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for flag in ([], ["--reverse"])
    ]

    outputs = [await communicate(process, within=60) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    assert sum(int(out) for out, _ in outputs) == count
    async with open_ledger(ledger_url) as ledger:
        for i in range(count):
            assert await ledger.payment(f"cs_{i}") is not None
