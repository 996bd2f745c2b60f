"""Watching across replicas on one PostgreSQL ledger. Replica A is `python -m service` (a real
process, killed with SIGKILL), replica B runs in the test's process; webhooks go to A until it
dies, then to B. A watcher on B is told at once what a webhook to A recorded, and consumers
streaming from A go on from B after their cursors: every paid order once, none missed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from payments.v1 import payments_pb2
from service.composition import Service
from stripe_emulator.testing import AsyncEmulatorHandle
from tests.conftest import communicate, eventually, wait_until
from tests.e2e.consumers import Handled, ledger_events, open_and_run, running_worker
from tests.e2e.event_records import answered, recorded_event_ids, stripe_payment_events
from tests.e2e.events_stack import AUTH, Shop, intake_service, point_webhooks_at, webhook_emulator
from tests.e2e.payment_flows import COMPLETED, Order, Step, pay_by_card
from tests.e2e.test_crash_recovery import RETRY_SCALE, process_env
from tests.e2e.test_process import Running, service_process

S = payments_pb2
ORDERS = 60
KILL_AFTER = 10
"""Replica A is killed once the first consumer handled this many events, while the first third
of the orders are being paid; the rest are paid once it is dead (their webhooks go to B)."""


@asynccontextmanager
async def replicas(
    emulator: AsyncEmulatorHandle, database_url: str
) -> AsyncIterator[tuple[Running, Service]]:
    """A (a process) and B (in this process), webhooks pointed at A."""
    async with (
        service_process(process_env(emulator, database_url, "127.0.0.1:0")) as a,
        intake_service(emulator, database_url=database_url) as b,
    ):
        assert a.http_address is not None
        await point_webhooks_at(emulator, a.http_address)
        yield a, b


@dataclass
class Failover:
    """What the consumers went through: their events, the orders paid meanwhile, and B's open
    streams when A was killed and once they had caught up."""

    consumers: tuple[Handled, Handled]
    orders: list[Order]
    streams_on_b: list[int]


@pytest.mark.system
async def test_b_sees_what_a_took_and_consumers_of_a_killed_a_go_on_from_b_without_a_gap(
    postgres_database_url: str, tmp_path: Path
) -> None:
    """One test, since replica A (a process) takes seconds to start: first a watcher on B is
    told of a payment whose webhook A took; then two consumers dial `ipv4:A,B` (pick_first: A
    while it lives, then B) and A dies by SIGKILL mid-stream while customers keep paying."""
    async with (
        webhook_emulator(RETRY_SCALE) as emulator,
        replicas(emulator, postgres_database_url) as (a, b),
        grpc.aio.insecure_channel(b.address) as to_b,
    ):
        shop = await Shop.open(emulator, to_b)
        first_order, first = await watch_on_b_a_payment_taken_by_a(shop, a)
        await wait_until(lambda: b.drain.open_streams == 0)  # that watcher's stream is gone
        failover = await consume_while_a_dies(shop, a, b, tmp_path)
        succeeded = await ledger_events(shop.stub, [S.PAYMENT_STATUS_SUCCEEDED])
        stripe = await stripe_payment_events(emulator)
        deliveries = await emulator.deliveries()

    assert (first.payment.id, first.payment.status) == (
        first_order.session_id,
        S.PAYMENT_STATUS_SUCCEEDED,
    )
    assert failover.streams_on_b == [0, 2]  # the consumers were on A, then on B
    completed = [session for kind, session in stripe.values() if kind == COMPLETED]
    assert sorted(completed) == sorted(
        [first_order.session_id] + [o.session_id for o in failover.orders]
    )
    for consumer in failover.consumers:
        cursors = consumer.cursors()
        assert cursors == [event.cursor for event in succeeded]  # once each, in ledger order
        assert sorted(consumer.payment_ids()) == sorted(completed)  # none missed
    assert sorted(await recorded_event_ids(postgres_database_url)) == sorted(stripe)
    assert len(answered(deliveries, 200)) == len(stripe)
    assert len({row["url"] for row in deliveries if row["status"] == 200}) == 2  # A's, then B's


async def watch_on_b_a_payment_taken_by_a(
    shop: Shop, a: Running
) -> tuple[Order, payments_pb2.PaymentEvent]:
    """The order paid, and the event a watcher on B (`shop`'s replica) got within a second of
    A answering the payment's webhook."""
    order = await Order.open(shop, "order-seen-on-b")
    watch = shop.stub.WatchPaymentEvents(S.WatchPaymentEventsRequest(), metadata=AUTH)
    try:
        await pay_by_card(shop, order)
        await eventually(lambda: answered_200_by(shop.emulator, a.http_address))
        async with asyncio.timeout(1.0):
            batch = await watch.read()
    finally:
        watch.cancel()
    assert isinstance(batch, S.WatchPaymentEventsResponse)
    (event,) = batch.events
    return order, event


async def consume_while_a_dies(shop: Shop, a: Running, b: Service, tmp_path: Path) -> Failover:
    """Two consumers on `ipv4:A,B` from the feed's start; A killed once the first handled
    KILL_AFTER events, with orders being paid; webhooks then pointed at B, and more paid."""
    failover = Failover((Handled(), Handled()), [], [])
    one, two = failover.consumers

    def kill() -> None:
        failover.streams_on_b.append(b.drain.open_streams)
        a.process.kill()

    one.when[KILL_AFTER] = kill
    assert b.http_address is not None
    async with (
        grpc.aio.insecure_channel(f"ipv4:{a.grpc_address},{b.address}") as to_either,
        running_worker(to_either, tmp_path / "one.sqlite3", one),
        running_worker(to_either, tmp_path / "two.sqlite3", two),
    ):
        order_ids = [f"order-{n:02d}" for n in range(ORDERS)]
        before, after = order_ids[: ORDERS // 3], order_ids[ORDERS // 3 :]
        paying = asyncio.create_task(open_and_run(shop, before, paid_always, at_once=4))
        await communicate(a.process, within=30)  # killed; its pipes drained
        await point_webhooks_at(shop.emulator, b.http_address)  # as a load balancer would
        failover.orders = await paying + await open_and_run(shop, after, paid_always)
        await shop.emulator.deliveries_settled(within=30)
        everything = ORDERS + 1  # and the first order's
        await wait_until(lambda: min(len(one.events), len(two.events)) >= everything, within=15)
        failover.streams_on_b.append(b.drain.open_streams)
    return failover


def paid_always(_: int) -> tuple[Step, ...]:
    return (pay_by_card,)


async def answered_200_by(emulator: AsyncEmulatorHandle, http_address: str | None) -> bool:
    deliveries = await emulator.deliveries()
    return any(row["status"] == 200 and str(http_address) in row["url"] for row in deliveries)
