"""`python -m service` killed (SIGKILL) while Stripe's webhooks arrive, then started again on the
same SQLite ledger and port: Stripe's retries and the start-up reconciliation bring every event
in, none twice, and every payment ends in its right status."""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import replace
from pathlib import Path

import grpc
import pytest

from payments.v1 import payments_pb2_grpc
from stripe_emulator.testing import AsyncEmulatorHandle
from tests.conftest import API_KEY, communicate, eventually, service_env
from tests.e2e.event_records import answered, recorded_event_ids, stripe_events_of
from tests.e2e.events_stack import SECRET, Shop, point_webhooks_at, webhook_emulator
from tests.e2e.payment_flows import FLOWS, Flow, Order
from tests.e2e.test_process import exit_output, service_process

RETRY_SCALE = 0.001
"""Retries 0.3 s, 1.8 s and 7.2 s after a failed attempt: the last ones reach the restarted
service (its start takes seconds: imports) unless it starts slower still; its start-up
reconciliation takes in whatever the retries do not bring."""
STRIPE_ONLY_FLOWS = [flow for flow in FLOWS if flow.name != "expired-by-caller"]
"""The flows that go on while the service is down: they need only Stripe."""
Orders = list[tuple[Flow, Order]]


def process_env(emulator: AsyncEmulatorHandle, ledger_url: str, http_addr: str) -> dict[str, str]:
    """The webhook route alone on the HTTP listener, the ledger in `ledger_url`."""
    return {
        **service_env(emulator, (API_KEY,)),
        "PAYMENTS_HTTP_ADDR": http_addr,
        "PAYMENTS_HTTP_API": "false",
        "PAYMENTS_WEBHOOK_INTAKE": "true",
        "STRIPE_WEBHOOK_SECRETS": SECRET,
        "PAYMENTS_DATABASE_URL": ledger_url,
        "PAYMENTS_LOG_LEVEL": "WARNING",
    }


async def run_all(shop: Shop, orders: Orders) -> None:
    """Every order's flow, the orders concurrently."""

    async def run(flow: Flow, order: Order) -> None:
        for step in flow.steps:
            await step(shop, order)

    await asyncio.gather(*(run(flow, order) for flow, order in orders))


async def open_orders(shop: Shop, batch: str) -> Orders:
    return [(flow, await Order.open(shop, f"{batch}-{flow.name}")) for flow in STRIPE_ONLY_FLOWS]


async def crash_while_delivering(
    emulator: AsyncEmulatorHandle, ledger_url: str
) -> tuple[str, Shop, Orders]:
    """Starts the service, has customers pay, SIGKILLs it once the first deliveries were
    answered (others on their way), and has more customers pay while it is down. Returns its
    HTTP address, the shop and the orders."""
    async with service_process(process_env(emulator, ledger_url, "127.0.0.1:0")) as first:
        assert first.http_address is not None
        await point_webhooks_at(emulator, first.http_address)
        async with grpc.aio.insecure_channel(first.grpc_address) as channel:
            shop = await Shop.open(emulator, channel)
            before, during = await open_orders(shop, "before"), await open_orders(shop, "during")
        async with asyncio.TaskGroup() as paying:
            paying.create_task(run_all(shop, before))
            await eventually(lambda: delivered_at_least(emulator, 2), within=10)
            first.process.kill()
        await communicate(first.process, within=10)
    await run_all(shop, during)  # deliveries meet a closed port
    return first.http_address, shop, before + during


async def delivered_at_least(emulator: AsyncEmulatorHandle, count: int) -> bool:
    return sum(answered(await emulator.deliveries(), 200).values()) >= count


@pytest.mark.system
async def test_killed_while_webhooks_arrive_nothing_is_lost_nor_doubled(tmp_path: Path) -> None:
    ledger_url = f"sqlite:///{tmp_path}/ledger.db"
    async with webhook_emulator(RETRY_SCALE) as emulator:
        http_address, shop, orders = await crash_while_delivering(emulator, ledger_url)
        events = await stripe_events_of(emulator, {order.session_id for _, order in orders})
        restart = process_env(emulator, ledger_url, http_address)  # the endpoint's URL holds
        async with service_process(restart) as second:
            restarted_at = time.time()
            await emulator.deliveries_settled(within=30)  # every retry made
            await eventually(lambda: all_recorded(ledger_url, set(events)), within=30)
            async with grpc.aio.insecure_channel(second.grpc_address) as channel:
                shop = replace(shop, stub=payments_pb2_grpc.PaymentServiceStub(channel))
                calls = await shop.stripe_calls()
                listed = [await shop.payments_of(order.order_id) for _, order in orders]
                assert await shop.stripe_calls() == calls  # from the ledger alone
            second.process.send_signal(signal.SIGTERM)
            await exit_output(second.process)
        deliveries = await emulator.deliveries()

    assert any(row["status"] is None for row in deliveries)  # some met the dead service
    retried = [row["status"] for row in deliveries if row["at"] >= restarted_at]
    assert retried == [200] * len(retried)  # a retry it had recorded already is a 2xx too
    recorded = await recorded_event_ids(ledger_url)
    assert sorted(recorded) == sorted(events)  # none lost, none twice
    assert len(events) == sum(len(flow.events) for flow, _ in orders)
    assert [[(p.id, p.status) for p in found] for found in listed] == [
        [(order.session_id, flow.status)] for flow, order in orders
    ]


async def all_recorded(ledger_url: str, event_ids: set[str]) -> bool:
    return event_ids <= set(await recorded_event_ids(ledger_url))
