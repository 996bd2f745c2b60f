"""Injected delivery faults: duplicates, disorder, delay, drops (``/_emulator/delivery_faults``)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from stripe_emulator.testing import EmulatorError, EmulatorHandle
from tests.emulator.webhook_support import body_of, webhook_stack


async def test_duplicate_delivers_the_same_event_twice() -> None:
    async with webhook_stack() as stack:
        await stack.emulator.add_delivery_fault(fault="duplicate", type="customer.*")
        await stack.client.v1.customers.create_async()
        await stack.emulator.deliveries_settled()
        first, second = (stack.verified(r) for r in stack.receiver.receipts)
        assert first.id == second.id
        event = await stack.client.v1.events.retrieve_async(first.id)
        assert event.pending_webhooks == 0  # counted once


async def test_drop_never_delivers_and_the_event_stays_listable() -> None:
    async with webhook_stack() as stack:
        await stack.emulator.add_delivery_fault(fault="drop")
        customer = await stack.client.v1.customers.create_async()
        await stack.client.v1.customers.create_async()  # the fault was used up: delivered
        await stack.emulator.deliveries_settled()
        assert len(stack.receiver.receipts) == 1
        rows = await stack.emulator.deliveries()
        dropped = [r for r in rows if r["fault"] == "drop"]
        assert len(dropped) == 1
        assert dropped[0]["error"] == "dropped"
        undelivered = await stack.client.v1.events.list_async(params={"delivery_success": False})
        assert [e.data.object["id"] for e in undelivered.data] == [customer.id]


async def test_out_of_order_holds_a_delivery_until_a_later_one_went_out() -> None:
    async with webhook_stack() as stack:
        await stack.emulator.add_delivery_fault(fault="out_of_order")
        first = await stack.client.v1.customers.create_async()
        second = await stack.client.v1.customers.create_async()
        await stack.emulator.deliveries_settled()
        arrived = [body_of(r)["data"]["object"]["id"] for r in stack.receiver.receipts]
        assert arrived == [second.id, first.id]


async def test_delay_holds_the_delivery() -> None:
    async with webhook_stack() as stack:
        await stack.emulator.add_delivery_fault(fault="delay", delay_ms=150)
        started = time.time()
        customer = await stack.client.v1.customers.create_async()
        await stack.emulator.deliveries_settled()
        row = (await stack.emulator.deliveries())[0]
        assert row["status"] == 200
        assert row["at"] - started >= 0.15
        assert body_of(stack.receiver.receipts[0])["data"]["object"]["id"] == customer.id


async def test_faults_can_target_an_endpoint_and_be_listed_and_cleared() -> None:
    async with webhook_stack() as stack:
        table = await stack.emulator.add_delivery_fault(fault="drop", endpoint="we_other", times=2)
        assert table["delivery_faults"] == [
            {
                "fault": "drop",
                "type": "*",
                "endpoint": "we_other",
                "times": 2,
                "delay_ms": 1000,
                "age_seconds": 600,
            }
        ]
        await stack.client.v1.customers.create_async()  # to our endpoint: not dropped
        await stack.emulator.deliveries_settled()
        assert len(stack.receiver.receipts) == 1
        cleared = await stack.emulator._call("DELETE", "/_emulator/delivery_faults")
        assert cleared == {"delivery_faults": []}
        assert await stack.emulator._call("GET", "/_emulator/delivery_faults") == cleared


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"fault": "explode"}, "'fault' must be one of duplicate"),
        ({"fault": "drop", "times": 0}, "'times' must be an integer from 1"),
        ({"fault": "delay", "delay_ms": -1}, "'delay_ms' must be an integer from 0"),
        ({"fault": "drop", "type": ""}, "'type' must be an event type"),
        ({"fault": "drop", "endpoint": 5}, "'endpoint' must be a webhook endpoint id"),
        ({"fault": "drop", "colour": "red"}, "Received unknown parameter: colour"),
        ({"fault": "old_timestamp", "age_seconds": True}, "'age_seconds' must be an integer"),
    ],
)
def test_malformed_delivery_faults_are_400(
    emulator: EmulatorHandle, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(EmulatorError) as raised:
        emulator.add_delivery_fault(**body)
    assert raised.value.status == 400
    assert message in raised.value.body["error"]["message"]


def test_a_non_object_body_is_400(emulator: EmulatorHandle) -> None:
    with pytest.raises(EmulatorError) as raised:
        emulator._call("POST", "/_emulator/delivery_faults", [1, 2])
    assert raised.value.status == 400


def test_deliveries_filter_by_event_and_endpoint(emulator: EmulatorHandle) -> None:
    answer = emulator._call("GET", "/_emulator/deliveries?event=evt_x&endpoint=we_y")
    assert answer == {"object": "list", "data": [], "in_progress": 0}
