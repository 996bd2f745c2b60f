"""Migrations: the schema they build is the one the queries use, they run once however many
processes start at once, a failed one leaves nothing behind, and `python -m ledger migrate`."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from domain.ledger import PaymentEventQuery, Recorded
from domain.payment_status import PaymentStatus as S
from ledger import LedgerStartError, open_ledger
from ledger.migrate import upgrade
from ledger.opening import backend_for
from ledger.rows import new_row
from ledger.schema import VERSION_TABLE, metadata, payments
from ledger.urls import parse
from tests.conftest import communicate
from tests.ledger.observations import T0, full_payment, observed, payment
from tests.postgres import REPO

T = TypeVar("T")
HEAD = "0002"


def schema_differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [diff for diff in compare_metadata(context, metadata) if VERSION_TABLE not in str(diff)]


def schema_state(connection: Connection) -> tuple[list[str], list[str]]:
    """The ledger's tables and the revisions recorded."""
    tables = sorted(inspect(connection).get_table_names())
    revisions = (
        [row[0] for row in connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))]
        if VERSION_TABLE in tables
        else []
    )
    return tables, revisions


async def inspected(url: str, look: Callable[[Connection], T]) -> T:
    """What `look` finds on a connection of its own to the database at `url`."""
    engine = create_async_engine(parse(url).url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(look)
    finally:
        await engine.dispose()


async def test_the_migrated_schema_is_the_one_the_queries_use(ledger_url: str) -> None:
    async with open_ledger(ledger_url):
        pass

    assert await inspected(ledger_url, schema_differences) == []
    assert await inspected(ledger_url, schema_state) == (
        ["ledger_schema_version", "ledger_state", "payment_events", "payments", "provider_events"],
        [HEAD],
    )


async def test_opening_again_migrates_nothing_and_keeps_the_payments(ledger_url: str) -> None:
    async with open_ledger(ledger_url) as first:
        await first.record(observed(payment(), "evt_1"))

    async with open_ledger(ledger_url) as again:
        assert await again.record(observed(payment(), "evt_1")) is Recorded.DUPLICATE
        assert await again.payment("cs_test_1") == payment()
    assert (await inspected(ledger_url, schema_state))[1] == [HEAD]


async def test_replicas_starting_at_once_on_a_new_database_migrate_it_once(
    ledger_url: str,
) -> None:
    async with AsyncExitStack() as stack:
        ledgers = await asyncio.gather(
            *(stack.enter_async_context(open_ledger(ledger_url)) for _ in range(3))
        )
        results = [await each.record(observed(payment(), "evt_1")) for each in ledgers]

    assert results == [Recorded.CHANGED, Recorded.DUPLICATE, Recorded.DUPLICATE]
    assert (await inspected(ledger_url, schema_state))[1] == [HEAD]


async def migrated_to(url: str, revision: str) -> None:
    target = parse(url)
    backend = backend_for(target)
    try:
        assert await upgrade(backend, target, revision) == revision
    finally:
        await backend.dispose()


async def test_0002_on_a_0001_database_starts_the_feed_with_the_outcomes_kept(
    ledger_url: str,
) -> None:
    await migrated_to(ledger_url, "0001")
    kept = [
        full_payment("cs_open"),
        full_payment("cs_paid", status=S.SUCCEEDED, at=T0 + timedelta(hours=2)),
        full_payment("cs_expired", status=S.EXPIRED, at=T0 + timedelta(hours=1)),
    ]
    updated_at = datetime(2026, 3, 2, tzinfo=UTC)
    engine = create_async_engine(parse(ledger_url).url)
    async with engine.begin() as connection:
        await connection.execute(insert(payments), [new_row(p, updated_at) for p in kept])
    await engine.dispose()

    async with open_ledger(ledger_url) as ledger:
        await ledger.record(observed(payment("cs_open", status=S.PROCESSING)))
        events = (await ledger.events(PaymentEventQuery())).events

    assert (await inspected(ledger_url, schema_state))[1] == [HEAD]
    assert [event.payment for event in events[:2]] == [kept[2], kept[1]]  # in order of change
    assert [event.recorded_at for event in events[:2]] == [updated_at, updated_at]
    assert [(e.payment.checkout_session_id, e.status) for e in events[2:]] == [
        ("cs_open", S.PROCESSING)
    ]


def make_a_conflicting_table(ledger_url: str) -> None:
    statement = "CREATE TABLE payments (unrelated INTEGER)"
    target = parse(ledger_url)
    if target.backend == "sqlite":
        Path(target.url.database or "").parent.mkdir(parents=True)
        lite = sqlite3.connect(target.url.database or "")
        with lite:
            lite.execute(statement)
        lite.close()
    else:
        with psycopg.connect(ledger_url, autocommit=True) as postgres:
            postgres.execute(statement)


async def test_a_failed_migration_stops_the_start_and_leaves_nothing_behind(
    ledger_url: str,
) -> None:
    make_a_conflicting_table(ledger_url)

    with pytest.raises(LedgerStartError) as failed:
        async with open_ledger(ledger_url):
            pass

    message = str(failed.value)
    assert message.startswith("migrating the ledger's database ")
    assert "payments" in message
    assert "\n" not in message
    # One transaction: the tables created before the failure are gone with it.
    assert await inspected(ledger_url, schema_state) == (["payments"], [])


async def test_a_database_migrated_by_a_newer_release_stops_the_start(ledger_url: str) -> None:
    async with open_ledger(ledger_url):
        pass
    engine = create_async_engine(parse(ledger_url).url)
    async with engine.begin() as connection:
        await connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0099'"))
    await engine.dispose()

    with pytest.raises(LedgerStartError) as refused:
        async with open_ledger(ledger_url):
            pass

    assert "has a schema this release does not know" in str(refused.value)
    assert "'0099'" in str(refused.value)


async def migrate_command(database_url: str) -> tuple[int | None, str, str]:
    env = {**os.environ, "PAYMENTS_DATABASE_URL": database_url}
    if not database_url:
        del env["PAYMENTS_DATABASE_URL"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ledger",
        "migrate",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await communicate(process, within=60)
    return process.returncode, out.decode(), err.decode()


async def test_the_migrate_command_migrates_once_and_says_so_in_one_line(ledger_url: str) -> None:
    shown = ledger_url.replace(parse(ledger_url).password or "\0", "***")
    for _ in range(2):
        status, out, err = await migrate_command(ledger_url)

        assert (status, err) == (0, "")
        assert out == f"ledger migrate: {shown} is at schema revision {HEAD}\n"
    assert await inspected(ledger_url, schema_differences) == []


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"postgresql://payments:s3cret-pw@127.0.0.1:{closed_port()}/payments", "cannot reach"),
        ("mysql://payments:s3cret-pw@127.0.0.1/payments", "'mysql' URL"),
        ("", "set PAYMENTS_DATABASE_URL"),
    ],
)
async def test_the_migrate_command_fails_with_one_line_and_status_2(url: str, says: str) -> None:
    status, out, err = await migrate_command(url)

    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("ledger migrate: ")
    assert says in err
    assert "s3cret" not in err
