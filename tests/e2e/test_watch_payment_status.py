"""WatchPaymentStatus over a real channel: a watcher opened on a fresh checkout is told OPEN,
then each change as the webhook records it, and the stream ends OK after the final status; the
same over the HTTP door, as newline-delimited JSON."""

from __future__ import annotations

import json

import aiohttp
import grpc
import pytest

from payments.v1 import payments_pb2
from service.http.streams import NDJSON_TYPE
from tests.conftest import API_KEY
from tests.e2e.events_stack import AUTH, events_stack
from tests.e2e.payment_flows import FLOW_NAMED, FLOWS, Flow, Order

S = payments_pb2
PROCESSING_FIRST = {"paid-later", "failed-later"}


@pytest.mark.parametrize("flow", FLOWS, ids=[flow.name for flow in FLOWS])
async def test_a_watcher_sees_the_payment_from_open_to_its_final_status(flow: Flow) -> None:
    async with events_stack() as stack:
        shop = stack.shop
        order = await Order.open(shop, f"order-{flow.name}")
        request = S.WatchPaymentStatusRequest(id=order.session_id)
        watch = shop.stub.WatchPaymentStatus(request, metadata=AUTH, timeout=30)
        first = await _first(watch)
        for step in flow.steps:
            await step(shop, order)
        rest = await _rest(watch)
        code = await watch.code()

    assert isinstance(first, S.PaymentStatusUpdate)
    assert (first.id, first.status) == (order.session_id, S.PAYMENT_STATUS_OPEN)
    assert first.client_reference_id == order.order_id
    expected = [flow.status]
    if flow.name in PROCESSING_FIRST:
        expected = [S.PAYMENT_STATUS_PROCESSING, flow.status]
    assert [update.status for update in rest] == expected
    assert code == grpc.StatusCode.OK
    assert all(update.checkout_session_id == order.session_id for update in rest)


async def test_a_final_payment_gives_one_update_and_ends() -> None:
    async with events_stack() as stack:
        shop = stack.shop
        order = await Order.open(shop, "order-done")
        await FLOW_NAMED["paid"].steps[0](shop, order)
        await stack.emulator.deliveries_settled()
        request = S.WatchPaymentStatusRequest(id=order.session_id)
        calls = await shop.stripe_calls()
        updates = [
            u async for u in shop.stub.WatchPaymentStatus(request, metadata=AUTH, timeout=10)
        ]
        assert await shop.stripe_calls() == calls  # from the ledger

    assert [u.status for u in updates] == [S.PAYMENT_STATUS_SUCCEEDED]


async def test_watching_by_payment_intent_id_ends_canceled_when_the_checkout_expires() -> None:
    async with events_stack() as stack:
        shop = stack.shop
        order = await Order.open(shop, "order-bank")
        await FLOW_NAMED["paid-later"].steps[0](shop, order)  # the intent exists, processing
        assert order.intent_id is not None
        request = S.WatchPaymentStatusRequest(id=order.intent_id)
        watch = shop.stub.WatchPaymentStatus(request, metadata=AUTH, timeout=30)
        first = await _first(watch)
        await FLOW_NAMED["paid-later"].steps[1](shop, order)
        rest = await _rest(watch)

    assert isinstance(first, S.PaymentStatusUpdate)
    assert (first.id, first.status) == (order.intent_id, S.PAYMENT_STATUS_PROCESSING)
    assert [(u.id, u.status) for u in rest] == [(order.intent_id, S.PAYMENT_STATUS_SUCCEEDED)]


async def test_over_http_each_update_is_a_line_as_the_customer_pays() -> None:
    async with events_stack() as stack, aiohttp.ClientSession() as client:
        order = await Order.open(stack.shop, "order-http")
        url = f"http://{stack.service.http_address}/v1/payments/{order.session_id}/watch"
        async with client.get(url, headers={"x-api-key": API_KEY}) as response:
            assert (response.status, response.content_type) == (200, NDJSON_TYPE)
            first = json.loads(await response.content.readline())
            await FLOW_NAMED["paid"].steps[0](stack.shop, order)
            rest = [json.loads(line) async for line in response.content]

    assert (first["result"]["id"], first["result"]["status"]) == (
        order.session_id,
        "PAYMENT_STATUS_OPEN",
    )
    assert [line["result"]["status"] for line in rest] == ["PAYMENT_STATUS_SUCCEEDED"]


async def test_an_unknown_payment_fails_not_found() -> None:
    async with events_stack() as stack:
        request = S.WatchPaymentStatusRequest(id="cs_test_nosuchsession")
        watch = stack.shop.stub.WatchPaymentStatus(request, metadata=AUTH, timeout=10)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await watch.read()
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


async def _first(
    watch: grpc.aio.UnaryStreamCall[S.WatchPaymentStatusRequest, S.PaymentStatusUpdate],
) -> S.PaymentStatusUpdate:
    update = await watch.read()
    assert isinstance(update, S.PaymentStatusUpdate)
    return update


async def _rest(
    watch: grpc.aio.UnaryStreamCall[S.WatchPaymentStatusRequest, S.PaymentStatusUpdate],
) -> list[S.PaymentStatusUpdate]:
    """What the stream sends after what was read of it, to its end (read() and iteration do
    not mix on one call)."""
    updates = []
    while (update := await watch.read()) is not grpc.aio.EOF:
        assert isinstance(update, S.PaymentStatusUpdate)
        updates.append(update)
    return updates
