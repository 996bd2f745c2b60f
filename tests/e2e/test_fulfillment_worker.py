"""The reference consumer (examples/fulfillment_worker.py) against a real service taking the
emulator's webhooks: every paid order of a 500-payment run reaches it once, in cursor order,
while its connection is cut three times; and an order is fulfilled once even when its events
come again."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from examples.fulfillment_store import FulfillmentStore
from examples.fulfillment_worker import Backoff, FulfillmentWorker, Stub
from payments.v1 import payments_pb2
from service.draining import STREAM_RETRY_AFTER_SECONDS
from tests.conftest import communicate, wait_until
from tests.docs.doc_blocks import REPO
from tests.e2e.consumers import QUICK, Handled, ledger_events, open_and_run, running_worker
from tests.e2e.cuttable_link import cuttable_link
from tests.e2e.event_records import stripe_events_of
from tests.e2e.events_stack import AUTH, events_stack
from tests.e2e.payment_flows import COMPLETED, Step, pay_by_card, stripe_expires

S = payments_pb2
PAYMENTS = 500
CUTS_AFTER = (100, 200, 300)
"""The worker's connection is reset after it handled this many events."""


def paid_unless_tenth(index: int) -> tuple[Step, ...]:
    """Nine orders in ten are paid; the tenth expires (an event the worker must not get)."""
    return (stripe_expires,) if index % 10 == 9 else (pay_by_card,)


@pytest.mark.system
async def test_every_paid_order_once_in_order_across_three_cut_connections(
    tmp_path: Path,
) -> None:
    handled = Handled()
    async with (
        events_stack() as stack,
        cuttable_link(stack.service.address) as (link, address),
        grpc.aio.insecure_channel(address) as channel,
        running_worker(channel, tmp_path / "fulfillment.sqlite3", handled),
    ):
        handled.when = {count: link.cut for count in CUTS_AFTER}
        order_ids = [f"order-{n:03d}" for n in range(PAYMENTS)]
        orders = await open_and_run(stack.shop, order_ids, paid_unless_tenth)
        paid = {o.order_id: o.session_id for i, o in enumerate(orders) if i % 10 != 9}
        await stack.emulator.deliveries_settled(within=30)
        await wait_until(lambda: len(handled.events) >= len(paid), within=15)
        # The streams of the cut connections ended on the service's side too: one is left.
        await wait_until(lambda: stack.service.drain.open_streams == 1)
        succeeded = await ledger_events(stack.shop.stub, [S.PAYMENT_STATUS_SUCCEEDED])
        everything = await ledger_events(stack.shop.stub)
        stripe = await stripe_events_of(stack.emulator, {o.session_id for o in orders})
        fulfilled = store_orders(tmp_path / "fulfillment.sqlite3")

    assert (link.cuts, link.connections) == (len(CUTS_AFTER) + 1, len(CUTS_AFTER) + 1)
    cursors = handled.cursors()
    assert cursors == sorted(set(cursors))  # each once, in ledger order
    assert cursors == [event.cursor for event in succeeded]  # the ledger's, none missing
    assert len(everything) == PAYMENTS  # the expired ones are there, not for the worker
    assert sorted(handled.payment_ids()) == sorted(paid.values())
    completed = {stripe_id for stripe_id, kind in stripe.items() if kind == COMPLETED}
    assert len(completed) == len(paid)  # Stripe's side: one completion per paid order
    assert all(handled.fulfilled)
    assert fulfilled == paid


async def test_events_sent_again_fulfil_nothing_twice(tmp_path: Path) -> None:
    """The worker handles a run, then its cursor is set back (as a restored backup would) and
    it handles the same events again: no order is fulfilled twice, nor is an order paid at two
    checkouts."""
    store_path = tmp_path / "fulfillment.sqlite3"
    first, again = Handled(), Handled()
    async with events_stack() as stack, grpc.aio.insecure_channel(stack.service.address) as to:
        orders = await open_and_run(stack.shop, [f"order-{n}" for n in range(10)], paid_always)
        await stack.emulator.deliveries_settled()  # their events first in the ledger
        orders += await open_and_run(stack.shop, ["order-3"], paid_always)  # paid twice
        async with running_worker(to, store_path, first):
            await wait_until(lambda: len(first.events) == len(orders))
        rewind(store_path, first.cursors()[1])
        async with running_worker(to, store_path, again):
            await wait_until(lambda: len(again.events) == len(orders) - 2)
        fulfilled = store_orders(store_path)

    assert again.cursors() == first.cursors()[2:]
    assert first.fulfilled == [True] * 10 + [False]  # the second payment of order-3
    assert again.fulfilled == [False] * (len(orders) - 2)
    assert fulfilled == {o.order_id: o.session_id for o in orders[:10]}


@dataclass(frozen=True)
class RecordingBackoff(Backoff):
    """Records the RetryInfo delay of each failure it is asked about; waits 10 ms."""

    retry_afters: list[float | None] = field(default_factory=list)

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        self.retry_afters.append(retry_after)
        return 0.01


async def test_too_many_streams_is_retried_with_the_delay_the_service_gave(
    tmp_path: Path,
) -> None:
    backoff, handled = RecordingBackoff(), Handled()
    async with (
        events_stack(max_streams_per_caller=1) as stack,
        grpc.aio.insecure_channel(stack.service.address) as channel,
    ):
        taken = stack.shop.stub.WatchPaymentEvents(S.WatchPaymentEventsRequest(), metadata=AUTH)
        await wait_until(lambda: stack.service.drain.open_streams == 1)  # the caller's one
        async with running_worker(channel, tmp_path / "fulfillment.sqlite3", handled, backoff):
            await wait_until(lambda: len(backoff.retry_afters) >= 2)
            taken.cancel()
            orders = await open_and_run(stack.shop, ["order-1"], paid_always)
            await wait_until(lambda: len(handled.events) == 1)

    assert backoff.retry_afters[:2] == [STREAM_RETRY_AFTER_SECONDS] * 2
    assert handled.payment_ids() == [orders[0].session_id]


async def test_a_refused_api_key_stops_the_worker_instead_of_retrying(tmp_path: Path) -> None:
    store = FulfillmentStore(tmp_path / "fulfillment.sqlite3")
    async with events_stack() as stack, grpc.aio.insecure_channel(stack.service.address) as to:
        worker = FulfillmentWorker(Stub(to), store, "not-a-key-of-the-service", QUICK)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await asyncio.wait_for(worker.run(), timeout=10)
    store.close()
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_the_command_says_why_it_stopped(tmp_path: Path) -> None:
    """`python -m examples.fulfillment_worker`, as the docs run it, with a key the service
    refuses: exit status 1 and one line naming the reason."""
    async with events_stack() as stack:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "examples.fulfillment_worker",
            *("--target", stack.service.address, "--api-key", "not-a-key-of-the-service"),
            *("--store", str(tmp_path / "fulfillment.sqlite3")),
            cwd=REPO,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await communicate(process, within=60)

    assert process.returncode == 1
    assert stderr.decode().startswith("stopped: UNAUTHENTICATED API_KEY_INVALID: "), stderr


def paid_always(_: int) -> tuple[Step, ...]:
    return (pay_by_card,)


def rewind(store_path: Path, cursor: str) -> None:
    with sqlite3.connect(store_path) as db:
        db.execute("UPDATE feed_position SET cursor = ?", (cursor,))
    db.close()


ORDERS = "SELECT order_id, payment_id FROM fulfilled_orders"


def store_orders(store_path: Path) -> dict[str, str]:
    db = sqlite3.connect(store_path)
    try:
        return {order: payment for order, payment in db.execute(ORDERS)}
    finally:
        db.close()
