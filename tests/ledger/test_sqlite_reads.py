"""SQLite's reads run whole in the backend's own threads (ledger/sqlite_backend.py): a failure
there is LedgerUnavailable like any other, many reads at once all answer, and closing the ledger
leaves no thread behind."""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest

from domain.errors import LedgerUnavailable
from domain.ledger import PaymentQuery
from ledger import open_ledger
from tests.ledger.observations import full_payment, observed


def read_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("ledger-read")]


async def test_a_read_that_fails_in_its_thread_is_unavailable(tmp_path: Path) -> None:
    directory = tmp_path / "ledger"
    async with open_ledger(f"sqlite:///{directory}/ledger.db") as ledger:
        shutil.rmtree(directory)  # the readers' first connection has nothing to open

        with pytest.raises(LedgerUnavailable) as failed:
            await ledger.payment("cs_test_1")

    assert failed.value.retry_after_seconds == 1
    assert "unable to open database file" in failed.value.message


async def test_reads_at_once_each_answer_and_no_thread_outlives_the_ledger(
    tmp_path: Path,
) -> None:
    async with open_ledger(f"sqlite:///{tmp_path}/ledger.db") as ledger:
        paid = [full_payment(f"cs_test_{i}", client_reference_id="order-7") for i in range(30)]
        for each in paid:
            await ledger.record(observed(each, f"evt_{each.checkout_session_id}"))

        found = await asyncio.gather(*(ledger.payment(p.checkout_session_id) for p in paid))
        by_intent = await asyncio.gather(*(ledger.payment(p.payment_intent_id or "") for p in paid))
        page = await ledger.list_payments(PaymentQuery(client_reference_id="order-7"))

        assert found == by_intent == paid
        assert list(page.payments) == paid
        assert read_threads()
    assert read_threads() == []
