"""The feed's order across replicas on PostgreSQL: writers on several engines commit in any
order, and a reader paging by cursor while they do collects exactly the final feed — no event
placed before one it has already read, so none skipped.

A trigger on the feed's table stands in for what lies between a row getting its sequence number
and its transaction committing on a real deployment (network, fsync, a busy server): a random
pause of up to 5 ms, or, in the second test, a wait for a lock the test holds."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager

import psycopg

from domain.ledger import PaymentEvent, PaymentEventQuery
from domain.payment_status import PaymentStatus as S
from ledger import Ledger, open_ledger
from tests.conftest import wait_until
from tests.ledger.observations import observed, payment
from tests.ledger.test_concurrency import lock_waiters

REPLICAS = 4
WRITERS = 16
PAYMENTS_PER_WRITER = 25  # each told twice: PROCESSING, then SUCCEEDED or FAILED


def feed_inserts_pause(url: str, pause: str) -> None:
    """Each row inserted into the feed runs `pause` (SQL) before its transaction goes on."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE FUNCTION pause() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN {pause}; RETURN NULL; END $$"
        )
        connection.execute(
            "CREATE TRIGGER pause AFTER INSERT ON payment_events"
            " FOR EACH ROW EXECUTE FUNCTION pause()"
        )


async def write(replica: Ledger, writer: int) -> None:
    for i in range(PAYMENTS_PER_WRITER):
        name = f"cs_{writer}_{i}"
        await replica.record(observed(payment(name, status=S.PROCESSING)))
        outcome = S.SUCCEEDED if i % 2 else S.FAILED
        await replica.record(observed(payment(name, status=outcome), f"evt_{writer}_{i}"))


async def read_until(reader: Ledger, done: asyncio.Event) -> list[PaymentEvent]:
    """Pages by cursor, as fast as it can, until a page read after `done` has no more."""
    seen: list[PaymentEvent] = []
    cursor = ""
    while True:
        finished = done.is_set()
        page = await reader.events(PaymentEventQuery(after_cursor=cursor, limit=7))
        seen += page.events
        cursor = page.next_cursor
        if finished and not page.more:
            return seen


async def test_a_reader_paging_during_concurrent_writes_on_several_replicas_skips_nothing(
    postgres_database_url: str,
) -> None:
    async with AsyncExitStack() as stack:
        replicas = [
            await stack.enter_async_context(open_ledger(postgres_database_url))
            for _ in range(REPLICAS)
        ]
        feed_inserts_pause(postgres_database_url, "PERFORM pg_sleep(random() * 0.005)")
        done = asyncio.Event()
        reading = asyncio.create_task(read_until(replicas[0], done))
        await asyncio.gather(*(write(replicas[w % REPLICAS], w) for w in range(WRITERS)))
        done.set()
        seen = await reading

        final = await replicas[1].events(PaymentEventQuery(limit=1000))

    assert len(final.events) == WRITERS * PAYMENTS_PER_WRITER * 2
    assert [event.cursor for event in seen] == [event.cursor for event in final.events]


SLOW_LOCK = 4242


@contextmanager
def held_lock(url: str) -> Iterator[None]:
    """Holds the advisory lock SLOW_LOCK until the block ends."""
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (SLOW_LOCK,))
        yield


async def test_an_event_committed_after_one_with_a_later_sequence_number_is_never_skipped(
    postgres_database_url: str,
) -> None:
    """A writer takes its sequence number, then stalls before committing; a second writer on
    another replica records meanwhile, and a reader reads. Whatever the reader saw, paging on
    from its cursor once both committed, it has every event."""
    url = postgres_database_url
    async with open_ledger(url) as slow, open_ledger(url) as fast, open_ledger(url) as reader:
        feed_inserts_pause(
            url,
            "IF NEW.checkout_session_id = 'cs_slow' THEN"
            f" PERFORM pg_advisory_xact_lock_shared({SLOW_LOCK}); END IF",
        )
        with held_lock(url):
            stalled = asyncio.create_task(
                slow.record(observed(payment("cs_slow", status=S.FAILED)))
            )
            await wait_until(lambda: lock_waiters(url) == 1)
            quick = asyncio.create_task(fast.record(observed(payment("cs_fast", status=S.FAILED))))
            # The quick writer either waits its turn (2 waiting) or has committed already.
            await wait_until(lambda: quick.done() or lock_waiters(url) == 2)
            early = await reader.events(PaymentEventQuery())
        await asyncio.gather(stalled, quick)

        later = await reader.events(PaymentEventQuery(after_cursor=early.next_cursor))
        final = await reader.events(PaymentEventQuery())

    assert [*early.events, *later.events] == list(final.events)
    assert [e.payment.checkout_session_id for e in final.events] == ["cs_slow", "cs_fast"]
