"""What the ledger says when it cannot work: LedgerStartError (one line, no password) for a URL
it does not take or a database it cannot reach; LedgerUnavailable (retry after 1 s) when the
database fails mid-run, and the ledger works again once the database does."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url

from domain.errors import LedgerUnavailable
from domain.ledger import PaymentEventQuery, PaymentQuery, Recorded
from ledger import Ledger, LedgerStartError, open_ledger, sqlite_backend
from tests.ledger.observations import observed, payment
from tests.ledger.test_migrations import closed_port
from tests.postgres import database_down, terminate_backends

SECRET = "s3cret-pw"


async def start_error(url: str) -> str:
    with pytest.raises(LedgerStartError) as refused:
        async with open_ledger(url):
            pass
    message = str(refused.value)
    assert "\n" not in message
    assert SECRET not in message
    return message


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"mysql://payments:{SECRET}@127.0.0.1/payments", "this is a 'mysql' URL"),
        (f"postgres://payments:{SECRET}@127.0.0.1/payments", "this is a 'postgres' URL"),
        (f"postgresql+asyncpg://p:{SECRET}@127.0.0.1/p", "this is a 'postgresql+asyncpg' URL"),
        (f"payments:{SECRET}@127.0.0.1/payments", "not a URL of either form"),
        ("", "not a URL of either form"),
        ("sqlite://", "must name a file"),
        ("sqlite:///:memory:", "must name a file"),
        ("sqlite:///ledger.db?mode=ro", "with no options"),
        (f"postgresql://payments:{SECRET}@127.0.0.1:port/payments", "malformed"),
        (f"postgresql://payments:{SECRET}@127.0.0.1:5432", "names no database"),
        (f"postgresql://payments:{SECRET}@127.0.0.1:{closed_port()}/payments", "cannot reach"),
    ],
)
async def test_a_url_the_ledger_cannot_open_stops_the_start_with_one_line(
    url: str, says: str
) -> None:
    assert says in await start_error(url)


async def test_a_wrong_password_stops_the_start_without_showing_it(
    postgres_database_url: str,
) -> None:
    wrong = postgres_database_url.replace("://payments:", f"://payments:{SECRET}", 1)
    if wrong == postgres_database_url:
        pytest.skip("PAYMENTS_TEST_DATABASE_URL has another user or no password")

    message = await start_error(wrong)

    assert "cannot reach the ledger's database postgresql://payments:***@" in message
    assert "password authentication failed" in message


async def test_a_sqlite_directory_that_cannot_be_made_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")

    message = await start_error(f"sqlite:///{tmp_path}/a-file/ledger.db")

    assert message.startswith(f"cannot create the ledger's directory {tmp_path}/a-file")


CALLS: dict[str, Callable[[Ledger], Awaitable[object]]] = {
    "record": lambda ledger: ledger.record(observed(payment("cs_new"), "evt_new")),
    "payment": lambda ledger: ledger.payment("cs_test_1"),
    "list_payments": lambda ledger: ledger.list_payments(PaymentQuery(customer_id="cus_1")),
    "events": lambda ledger: ledger.events(PaymentEventQuery()),
    "prune": lambda ledger: ledger.prune(datetime(2026, 1, 1, tzinfo=UTC)),
    "reconciled_until": lambda ledger: ledger.reconciled_until(),
    "set_reconciled_until": lambda ledger: ledger.set_reconciled_until(datetime.now(UTC)),
    "exclusive": lambda ledger: enter_exclusive(ledger),
}


async def enter_exclusive(ledger: Ledger) -> bool:
    async with ledger.exclusive("reconciler") as held:
        return held


@pytest.fixture
async def postgres_ledger(postgres_database_url: str) -> AsyncIterator[Ledger]:
    async with open_ledger(postgres_database_url) as opened:
        for call in CALLS.values():  # every pool holds connections
            await call(opened)
        yield opened


def password_of(url: str) -> str:
    return make_url(url).password or SECRET


def assert_unavailable(error: LedgerUnavailable, password: str) -> None:
    assert error.retry_after_seconds == 1
    assert error.message.startswith("the payment ledger")
    assert password not in error.message


@pytest.mark.parametrize("name", CALLS)
async def test_sessions_ended_by_the_server_fail_one_call_then_the_ledger_reconnects(
    postgres_ledger: Ledger, postgres_database_url: str, name: str
) -> None:
    call = CALLS[name]
    assert terminate_backends(postgres_database_url) > 0

    with pytest.raises(LedgerUnavailable) as failed:
        await call(postgres_ledger)

    assert_unavailable(failed.value, password_of(postgres_database_url))
    await call(postgres_ledger)


@pytest.mark.parametrize("name", CALLS)
async def test_every_call_is_unavailable_while_the_database_is_down_and_works_after(
    postgres_ledger: Ledger, postgres_database_url: str, postgres_url: str, name: str
) -> None:
    call = CALLS[name]

    with database_down(postgres_database_url, postgres_url):
        for _ in range(2):  # the dropped connection, then a refused new one
            with pytest.raises(LedgerUnavailable) as failed:
                await call(postgres_ledger)
            assert_unavailable(failed.value, password_of(postgres_database_url))

    await call(postgres_ledger)


async def test_sqlite_writes_wait_for_another_writer_then_are_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_SECONDS", 0.05)
    url = f"sqlite:///{tmp_path}/ledger.db"
    async with open_ledger(url) as ledger:
        await ledger.record(observed(payment(), "evt_1"))
        other = sqlite3.connect(tmp_path / "ledger.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process writing, for longer than we wait

        for write in (CALLS["record"], CALLS["set_reconciled_until"]):
            with pytest.raises(LedgerUnavailable) as failed:
                await write(ledger)
            assert_unavailable(failed.value, SECRET)
            assert "database is locked" in failed.value.message
        assert await ledger.payment("cs_test_1") == payment()  # reads go on (WAL)

        other.execute("ROLLBACK")
        other.close()
        assert await ledger.record(observed(payment("cs_new"), "evt_new")) is Recorded.CHANGED
