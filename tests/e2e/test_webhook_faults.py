"""Stripe's bad habits on the way to the service — duplicate, late, reordered, lost, wrongly or
long-ago signed deliveries (the emulator's delivery faults) — leave every payment in its right
final status and every event recorded once; lost ones come in through the reconciler.

Each fault hits one event of every round of steps (`rounds`): a round is either a delayed
payment's two steps (its checkout completes unpaid, then the bank answers) or two one-step
payments, so the faulted event is always followed by another one, which a held delivery
(`out_of_order`) waits for. Rounds run one after the other, each until its deliveries settle, so
a fault meant for one round's event cannot reach another's.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import aiohttp
import pytest

from stripe_emulator.testing import AsyncEmulatorHandle
from tests.e2e.event_records import answered, recorded_event_ids, stripe_events_of
from tests.e2e.events_stack import EventsStack, events_stack
from tests.e2e.payment_flows import FLOWS, Flow, Order, Step

PAYMENTS_PER_FLOW = 2
RECONCILE_INTERVAL = 0.3  # for lost deliveries: the reconciler's interval is what they wait
FAULTS: dict[str, dict[str, Any]] = {
    "duplicate": {"fault": "duplicate"},
    "out_of_order": {"fault": "out_of_order"},  # held until the round's next event goes out
    "delay": {"fault": "delay", "delay_ms": 100},  # the round's next event arrives first
    "drop": {"fault": "drop"},
    "wrong_secret": {"fault": "wrong_secret"},  # one attempt, refused; Stripe's retry is right
    "old_timestamp": {"fault": "old_timestamp"},  # signed 600 s ago: outside the 300 s
}
Round = list[tuple[Step, Order]]


async def open_orders(stack: EventsStack, fault: str) -> list[tuple[Flow, Order]]:
    return [
        (flow, await Order.open(stack.shop, f"{fault}-{flow.name}-{n}"))
        for flow in FLOWS
        for n in range(PAYMENTS_PER_FLOW)
    ]


def rounds(orders: list[tuple[Flow, Order]]) -> list[Round]:
    """The steps of every order: each two-step flow's order is a round; one-step orders pair."""
    grouped: list[Round] = []
    pairing: Round = []
    for flow, order in orders:
        steps = [(step, order) for step in flow.steps]
        if len(steps) > 1:
            grouped.append(steps)
            continue
        pairing += steps
        if len(pairing) == 2:
            grouped.append(pairing)
            pairing = []
    assert not pairing, "one-step orders come in pairs"
    return grouped


async def run_under_fault(stack: EventsStack, fault: dict[str, Any], round_: Round) -> None:
    await stack.emulator.add_delivery_fault(**fault, times=1)
    for step, order in round_:
        await step(stack.shop, order)
    await stack.emulator.deliveries_settled()


async def delivery_faults_left(emulator: AsyncEmulatorHandle) -> list[Any]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{emulator.url}/_emulator/delivery_faults") as response,
    ):
        faults: list[Any] = (await response.json())["delivery_faults"]
        return faults


@pytest.mark.parametrize("fault", FAULTS)
async def test_every_payment_ends_right_and_every_event_is_recorded_once(fault: str) -> None:
    interval = RECONCILE_INTERVAL if fault == "drop" else 60.0  # others: webhooks alone
    async with events_stack(reconcile_interval_seconds=interval) as stack:
        orders = await open_orders(stack, fault)
        all_rounds = rounds(orders)
        for round_ in all_rounds:
            await run_under_fault(stack, FAULTS[fault], round_)
        assert await delivery_faults_left(stack.emulator) == []  # each one hit an event
        if fault == "drop":
            reconciler = stack.service.reconciler
            assert reconciler is not None
            # The next run to start after the last drop (within one interval) takes it in.
            async with asyncio.timeout(10):
                await reconciler.runs_finished(reconciler.finished + 2)
        deliveries = await stack.emulator.deliveries()
        events = await stripe_events_of(stack.emulator, {order.session_id for _, order in orders})
        recorded = await recorded_event_ids(stack.service.settings.ledger_url)

        calls = await stack.shop.stripe_calls()
        statuses = [(await stack.shop.status(order.session_id)).status for _, order in orders]
        listed = [await stack.shop.payments_of(order.order_id) for _, order in orders]
        assert await stack.shop.stripe_calls() == calls  # all answered from the ledger

    assert sorted(events.values()) == sorted(t for flow, _ in orders for t in flow.events)
    assert sorted(recorded) == sorted(events)  # every event, each once
    assert statuses == [flow.status for flow, _ in orders]
    assert [[(p.id, p.status) for p in found] for found in listed] == [
        [(order.session_id, flow.status)] for flow, order in orders
    ]
    assert_fault_seen(fault, deliveries, len(all_rounds))


def assert_fault_seen(fault: str, deliveries: list[dict[str, Any]], times: int) -> None:
    """What the emulator's delivery records show of the fault (a held or delayed delivery
    looks like any other there)."""
    delivered = answered(deliveries, 200)
    if fault == "duplicate":  # both copies answered 2xx: the second one changed nothing
        assert sorted(delivered.values()) == [1] * (len(delivered) - times) + [2] * times
    elif fault == "drop":
        dropped = [row["event"] for row in deliveries if row["error"] == "dropped"]
        assert len(dropped) == times
        assert not set(dropped) & set(delivered)  # recorded all the same: by the reconciler
    elif fault in ("wrong_secret", "old_timestamp"):
        refused = [row for row in deliveries if row["fault"] == fault]
        assert [row["status"] for row in refused] == [400] * times
        assert all(delivered[row["event"]] == 1 for row in refused)  # the retry got in
    else:
        assert Counter(delivered.values()) == {1: len(delivered)}
