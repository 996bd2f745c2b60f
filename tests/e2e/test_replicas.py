"""Two replicas of the service on one PostgreSQL ledger: a webhook taken by one is answered by
the other with no Stripe call, and one replica at a time reconciles (an advisory lock)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import grpc

from domain.use_cases.reconcile import RECONCILER_LOCK
from ledger import Ledger, open_ledger
from payments.v1 import payments_pb2_grpc
from service.composition import Service
from service.reconciler import Reconciler
from stripe_emulator.testing import AsyncEmulatorHandle
from tests.conftest import RECONCILER_ROUTE, eventually
from tests.e2e.events_stack import Shop, intake_service, point_webhooks_at, webhook_emulator
from tests.e2e.payment_flows import FLOWS, Order


@asynccontextmanager
async def two_replicas(
    emulator: AsyncEmulatorHandle, database_url: str, **settings: Any
) -> AsyncIterator[tuple[Service, Service]]:
    async with (
        intake_service(emulator, database_url=database_url, **settings) as first,
        intake_service(emulator, database_url=database_url, **settings) as second,
    ):
        yield first, second


async def test_a_replica_answers_what_a_webhook_to_the_other_recorded(
    postgres_database_url: str,
) -> None:
    async with (
        webhook_emulator() as emulator,
        two_replicas(emulator, postgres_database_url) as (taker, other),
        grpc.aio.insecure_channel(taker.address) as to_taker,
        grpc.aio.insecure_channel(other.address) as to_other,
    ):
        assert taker.http_address is not None
        await point_webhooks_at(emulator, taker.http_address)
        shop = await Shop.open(emulator, to_taker)
        orders = [(flow, await Order.open(shop, f"replicated-{flow.name}")) for flow in FLOWS]
        for flow, order in orders:
            for step in flow.steps:
                await step(shop, order)
        await emulator.deliveries_settled()
        deliveries = await emulator.deliveries()

        asked = replace(shop, stub=payments_pb2_grpc.PaymentServiceStub(to_other))
        calls = await asked.stripe_calls()
        statuses = [(await asked.status(order.session_id)).status for _, order in orders]
        listed = [await asked.payments_of(order.order_id) for _, order in orders]
        assert await asked.stripe_calls() == calls  # the other replica's ledger, no Stripe call

    webhooks = f"http://{taker.http_address}/stripe/webhooks"
    assert {(row["url"], row["status"]) for row in deliveries} == {(webhooks, 200)}
    assert len(deliveries) == sum(len(flow.events) for flow, _ in orders)
    assert statuses == [flow.status for flow, _ in orders]
    assert [[p.status for p in found] for found in listed] == [[flow.status] for flow, _ in orders]


@asynccontextmanager
async def holding(ledger: Ledger, name: str, within: float = 10.0) -> AsyncIterator[None]:
    """The ledger's lock `name`, once no one else holds it (a replica may be mid-run)."""
    give_up = time.monotonic() + within
    while True:
        async with ledger.exclusive(name) as held:
            if held:
                yield
                return
        assert time.monotonic() < give_up, f"the lock {name!r} was never free"
        await asyncio.sleep(0.01)  # polls, as wait_until does


async def listings(emulator: AsyncEmulatorHandle) -> int:
    """How many times Stripe's events were listed (each reconciliation that ran lists them)."""
    count: int = (await emulator.stats())["requests"].get(RECONCILER_ROUTE, 0)
    return count


async def skipped_next_round(reconciler: Reconciler | None) -> bool:
    """Whether the replica's next run to start from now skipped (another held the lock)."""
    assert reconciler is not None
    # The run after the one under way, if any, starts from now.
    await reconciler.runs_finished(reconciler.finished + 2)
    return reconciler.last is not None and reconciler.last.since is None


async def test_while_one_holds_the_reconciler_lock_the_replicas_skip_their_rounds(
    postgres_database_url: str,
) -> None:
    """A third holder of the lock (its own connection, as a replica mid-run has) keeps both
    replicas from reconciling; once it lets go, reconciling resumes."""
    async with (
        webhook_emulator() as emulator,
        two_replicas(emulator, postgres_database_url, reconcile_interval_seconds=0.1) as replicas,
        open_ledger(postgres_database_url) as third,
    ):
        async with holding(third, RECONCILER_LOCK):
            before = await listings(emulator)
            skipped = [await skipped_next_round(replica.reconciler) for replica in replicas]
            assert await listings(emulator) == before  # no replica listed Stripe's events
        assert skipped == [True, True]
        await eventually(lambda: grew(emulator, before))


async def grew(emulator: AsyncEmulatorHandle, count: int) -> bool:
    return await listings(emulator) > count
