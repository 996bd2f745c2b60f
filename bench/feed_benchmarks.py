"""What the payment-event feed costs record(), measured in one run (`make bench`, or alone):

    uv run python bench/feed_benchmarks.py [--no-doc]

New payments recorded SUCCEEDED (each appends a feed row), one at a time on one ledger and
CONCURRENCY at a time over REPLICAS ledgers on one database (as replicas write), for:

- no feed row: record() as before migration 0002 (the feed's statuses patched to none);
- feed row, unordered (PostgreSQL): the row without the feed lock and NOTIFY, a bigserial alone
  (which a reader could skip past: the order it gives is not commit order);
- feed row, lock without NOTIFY (PostgreSQL): the feed lock alone, to tell the two costs apart;
- feed row, as shipped: on PostgreSQL the feed lock (pg_advisory_xact_lock) and NOTIFY, taken
  by the statement that appends the row.

Each variant on a fresh database; the median of ROUNDS rounds in which the variants take turns.
PostgreSQL is PAYMENTS_TEST_DATABASE_URL's server or a throwaway cluster (tools/postgres.sh).
Rewrites the "Ledger: the payment-event feed's cost" section of docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, AsyncExitStack, contextmanager, nullcontext
from datetime import UTC, datetime
from functools import partial
from statistics import median
from unittest import mock

import psycopg
from benchlib import machine, rewrite_section
from ledger_benchmarks import a_payment, concurrently
from payment_stack import postgres_server
from sqlalchemy import func, make_url, select

import ledger.ledger
from ledger import feed, open_ledger
from ledger.postgres_backend import FEED_KEY, PostgresBackend

TITLE = "## Ledger: the payment-event feed's cost on record()"
RECORDS = 600
ROUNDS = 5
CONCURRENCY = 16
REPLICAS = 2


_LOCK_ONLY = (
    select(func.pg_advisory_xact_lock(FEED_KEY)).cte("feed_turn").prefix_with("MATERIALIZED")
)


def variants(backend: str) -> dict[str, AbstractContextManager[object]]:
    """Each variant's name and the patch that makes it."""
    shown: dict[str, AbstractContextManager[object]] = {
        "no feed row (before 0002)": mock.patch.object(ledger.ledger, "FEED_STATUSES", frozenset())
    }
    if backend == "postgresql":
        shown["feed row, unordered"] = mock.patch.object(
            PostgresBackend, "feed_append", feed.appending()
        )
        shown["feed row, lock without NOTIFY"] = mock.patch.object(
            PostgresBackend, "feed_append", feed.appending(_LOCK_ONLY)
        )
    shown["feed row, as shipped"] = nullcontext()
    return shown


async def rates(url: str) -> tuple[float, float]:
    """Events recorded per second: one at a time, then CONCURRENCY at a time over REPLICAS."""
    async with AsyncExitStack() as stack:
        replicas = [await stack.enter_async_context(open_ledger(url)) for _ in range(REPLICAS)]
        for i in range(100):  # warm: connections, compiled statements
            await replicas[i % REPLICAS].record(a_payment(-1 - i))
        start = time.perf_counter()
        for i in range(RECORDS):
            await replicas[0].record(a_payment(i))
        serial = RECORDS / (time.perf_counter() - start)
        calls = [
            partial(replicas[i % REPLICAS].record, a_payment(i))
            for i in range(RECORDS, 2 * RECORDS)
        ]
        return serial, await concurrently(calls, CONCURRENCY)


@contextmanager
def database_on(server: str) -> Iterator[str]:
    name = f"bench_feed_{time.time_ns()}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def measure(server: str, directory: str) -> dict[str, dict[str, tuple[float, float]]]:
    """Per backend and variant: the median of ROUNDS runs of each rate, the variants taking
    turns within each round (the machine is shared: its load drifts)."""
    runs: dict[str, dict[str, list[tuple[float, float]]]] = {"sqlite": {}, "postgresql": {}}
    for round_number in range(ROUNDS):
        for backend, found in runs.items():
            for number, (name, patch) in enumerate(variants(backend).items()):
                database = (
                    database_on(server)
                    if backend == "postgresql"
                    else nullcontext(f"sqlite:///{directory}/feed-{round_number}-{number}.db")
                )
                with database as url, patch:
                    found.setdefault(name, []).append(asyncio.run(rates(url)))
    return {
        backend: {
            name: (median(r[0] for r in measured), median(r[1] for r in measured))
            for name, measured in found.items()
        }
        for backend, found in runs.items()
    }


def report(results: dict[str, dict[str, tuple[float, float]]]) -> str:
    lines = [
        TITLE,
        "",
        f"`uv run python bench/feed_benchmarks.py` on {machine()}, {datetime.now(UTC):%B %Y}. "
        f"{RECORDS} new payments recorded SUCCEEDED one at a time on one ledger, then {RECORDS} "
        f"more with {CONCURRENCY} in flight over {REPLICAS} ledgers on the same database (as "
        f"replicas write); each variant on a fresh database, the median of {ROUNDS} rounds in "
        "which the variants take turns. PostgreSQL: a local cluster "
        "(tools/postgres.sh: fsync off); SQLite: a file with WAL and synchronous=FULL.",
        "",
        "| backend | record() | events/s, one at a time | events/s, 16 in flight | "
        "/ no feed row, 16 in flight |",
        "|---|---|---|---|---|",
    ]
    for backend, found in results.items():
        base = found["no feed row (before 0002)"][1]
        for name, (serial, concurrent) in found.items():
            lines.append(
                f"| {backend} | {name} | {serial:,.0f} | {concurrent:,.0f} | "
                f"{concurrent / base:.2f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory() as directory, postgres_server() as server:
        results = measure(server, directory)
    text = report(results)
    print(text)
    if "--no-doc" not in arguments:
        rewrite_section(TITLE, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
