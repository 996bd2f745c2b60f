"""A consumer of the payment events under test: the reference fulfillment worker
(examples/fulfillment_worker.py) run as a task on a channel the test owns, what it handled
recorded in order, and the sides to compare it with (the ledger's pages, Stripe's events)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from examples.fulfillment_store import FulfillmentStore
from examples.fulfillment_worker import Backoff, FulfillmentWorker, Stub
from payments.v1 import payments_pb2
from tests.conftest import API_KEY
from tests.e2e.events_stack import AUTH, Shop
from tests.e2e.payment_flows import Order, Step

QUICK = Backoff(initial=0.02, maximum=0.5)
"""The worker's backoff, shortened so that a test's reconnections take milliseconds."""


@dataclass
class Handled:
    """Every event the worker handled, in order, and whether each fulfilled its order; `when`
    runs a callback once the count reaches a number (to cut a stream mid-way)."""

    events: list[payments_pb2.PaymentEvent] = field(default_factory=list)
    fulfilled: list[bool] = field(default_factory=list)
    when: dict[int, Callable[[], None]] = field(default_factory=dict)

    def __call__(self, event: payments_pb2.PaymentEvent, fulfilled: bool) -> None:
        self.events.append(event)
        self.fulfilled.append(fulfilled)
        if (then := self.when.pop(len(self.events), None)) is not None:
            then()

    def cursors(self) -> list[str]:
        return [event.cursor for event in self.events]

    def payment_ids(self) -> list[str]:
        return [event.payment.id for event in self.events]


@asynccontextmanager
async def running_worker(
    channel: grpc.aio.Channel, store_path: Path, handled: Handled, backoff: Backoff = QUICK
) -> AsyncIterator[FulfillmentWorker]:
    """The worker running on `channel` with its store at `store_path`; on exit it is stopped
    (an error it stopped with is raised) and its store closed."""
    store = FulfillmentStore(store_path)
    worker = FulfillmentWorker(Stub(channel), store, API_KEY, backoff, on_handled=handled)
    task = asyncio.create_task(worker.run(), name="fulfillment-worker")
    try:
        yield worker
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        store.close()


async def open_and_run(
    shop: Shop, order_ids: Sequence[str], steps: Callable[[int], Sequence[Step]], at_once: int = 8
) -> list[Order]:
    """A checkout per order id, each then taken through `steps(its index)`, `at_once` orders
    at a time."""
    gate = asyncio.Semaphore(at_once)

    async def one(index: int, order_id: str) -> Order:
        async with gate:
            order = await Order.open(shop, order_id)
            for step in steps(index):
                await step(shop, order)
            return order

    return list(await asyncio.gather(*(one(i, oid) for i, oid in enumerate(order_ids))))


async def ledger_events(
    stub: Stub, statuses: Sequence[payments_pb2.PaymentStatus.ValueType] = ()
) -> list[payments_pb2.PaymentEvent]:
    """Every event of the ledger with one of `statuses` (any, if none), ListPaymentEvents'
    pages followed to the end."""
    found: list[payments_pb2.PaymentEvent] = []
    cursor = ""
    while True:
        request = payments_pb2.ListPaymentEventsRequest(
            after_cursor=cursor, statuses=statuses, page_size=1000
        )
        page = await stub.ListPaymentEvents(request, metadata=AUTH, timeout=10)
        found.extend(page.events)
        if not page.events:
            return found
        cursor = page.next_cursor
