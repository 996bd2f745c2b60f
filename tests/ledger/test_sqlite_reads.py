"""SQLite's reads run on the event loop, and in the backend's own threads only when SQLite
answers busy (ledger/sqlite_backend.py): a failure is LedgerUnavailable like any other, many
reads at once all answer, and closing the ledger leaves no thread behind."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Connection

from domain.errors import LedgerUnavailable
from domain.ledger import PaymentQuery
from ledger import Ledger, open_ledger
from ledger.sqlite_backend import SqliteBackend
from ledger.urls import parse
from tests.ledger.observations import full_payment, observed

T = TypeVar("T")


def read_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("ledger-read")]


async def test_a_read_that_fails_is_unavailable(tmp_path: Path) -> None:
    directory = tmp_path / "ledger"
    async with open_ledger(f"sqlite:///{directory}/ledger.db") as ledger:
        shutil.rmtree(directory)  # the readers' first connection has nothing to open

        with pytest.raises(LedgerUnavailable) as failed:
            await ledger.payment("cs_test_1")

    assert failed.value.retry_after_seconds == 1
    assert "unable to open database file" in failed.value.message


async def test_reads_at_once_each_answer_on_the_loop_without_a_thread(tmp_path: Path) -> None:
    async with open_ledger(f"sqlite:///{tmp_path}/ledger.db") as ledger:
        paid = [full_payment(f"cs_test_{i}", client_reference_id="order-7") for i in range(30)]
        for each in paid:
            await ledger.record(observed(each, f"evt_{each.checkout_session_id}"))

        found = await asyncio.gather(*(ledger.payment(p.checkout_session_id) for p in paid))
        by_intent = await asyncio.gather(*(ledger.payment(p.payment_intent_id or "") for p in paid))
        page = await ledger.list_payments(PaymentQuery(client_reference_id="order-7"))

        assert found == by_intent == paid
        assert list(page.payments) == paid
        assert read_threads() == []


class BusyOnTheLoop(SqliteBackend):
    """SQLite answering busy to every read on the loop, as it does while another connection
    recovers the WAL after a crash (a state no test can hold still)."""

    def _on_loop(self, run: Callable[[Connection], T]) -> T:
        busy = sqlite3.OperationalError("database is locked")
        busy.sqlite_errorcode = sqlite3.SQLITE_BUSY  # what sqlite3 sets on its own errors
        raise busy


async def test_reads_sqlite_answers_busy_on_the_loop_are_answered_from_a_thread(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    paid = full_payment("cs_test_busy", client_reference_id="order-busy")
    async with open_ledger(url) as ledger:
        await ledger.record(observed(paid, "evt_busy"))
    backend = BusyOnTheLoop(parse(url))
    try:
        ledger = Ledger(backend, "")
        assert await ledger.payment("cs_test_busy") == paid  # the point read
        page = await ledger.list_payments(PaymentQuery(client_reference_id="order-busy"))
        assert list(page.payments) == [paid]  # any other read
        assert read_threads()
    finally:
        await backend.dispose()
    assert read_threads() == []
