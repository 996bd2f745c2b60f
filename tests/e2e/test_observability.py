"""Metrics at /metrics on their own listener, and the JSON log: what a call, a Stripe request,
a webhook and an open stream leave there, read as a scraper and a log shipper would."""

from __future__ import annotations

import json
import signal
from dataclasses import replace

import aiohttp
import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.auth import fingerprint
from service.composition import running_service
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, past_first_reconciliation, service_env, settings_over
from tests.e2e.events_stack import AUTH, events_stack
from tests.e2e.payment_flows import Order, pay_by_card
from tests.e2e.test_process import exit_output, service_process

S = payments_pb2
CUSTOMER = "/payments.v1.PaymentService/CreateCustomer"


async def scrape(address: str | None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample at /metrics: (name, sorted labels) → value."""
    assert address is not None
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://{address}/metrics") as response,
    ):
        assert response.status == 200
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def labels(**pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pairs.items()))


async def test_calls_and_stripe_requests_are_counted_by_rpc_code_caller_and_endpoint(
    emulator: EmulatorHandle,
) -> None:

    settings = replace(settings_over(emulator), metrics_addr="127.0.0.1:0")
    async with running_service(settings, grace_seconds=0) as service:
        await past_first_reconciliation(service)
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = payments_pb2_grpc.PaymentServiceStub(channel)
            await stub.CreateCustomer(
                S.CreateCustomerRequest(email="jane@example.com"), metadata=AUTH, timeout=10
            )
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.GetPaymentStatus(
                    S.GetPaymentStatusRequest(id="cs_test_none"), timeout=10
                )
        samples = await scrape(service.metrics_address)

    caller = fingerprint(API_KEY)  # a key configured without a name
    ok = labels(rpc=CUSTOMER, code="OK", caller=caller, door="grpc")
    assert samples[("payments_rpc_calls_total", ok)] == 1
    missing = labels(
        rpc="/payments.v1.PaymentService/GetPaymentStatus", code="UNAUTHENTICATED", caller="-",
        door="grpc",
    )  # fmt: skip
    assert samples[("payments_rpc_calls_total", missing)] == 1
    created = labels(method="POST", endpoint="/v1/customers", outcome="200")
    assert samples[("payments_stripe_requests_total", created)] == 1
    assert samples[("payments_rpc_duration_seconds_count", labels(rpc=CUSTOMER, door="grpc"))] == 1
    assert samples[("payments_rpc_in_flight", ())] == 0


async def test_webhooks_and_open_streams_are_counted() -> None:
    async with events_stack(metrics_addr="127.0.0.1:0") as stack:
        shop = stack.shop
        order = await Order.open(shop, "order-metrics")
        watch = shop.stub.WatchPaymentStatus(
            S.WatchPaymentStatusRequest(id=order.session_id), metadata=AUTH, timeout=30
        )
        await watch.read()  # open: its first update came
        while_open = await scrape(stack.service.metrics_address)
        await pay_by_card(shop, order)
        await stack.emulator.deliveries_settled()
        while await watch.read() is not grpc.aio.EOF:  # to SUCCEEDED, and the stream's end
            pass
        after = await scrape(stack.service.metrics_address)
    assert while_open[("payments_open_streams", ())] == 1
    assert after[("payments_open_streams", ())] == 0
    assert after[("payments_webhooks_total", labels(outcome="changed"))] >= 1


async def test_the_json_log_has_one_object_per_line_with_the_calls_fields(
    emulator: EmulatorHandle,
) -> None:
    env = {**service_env(emulator, (f"orders={API_KEY}",)), "PAYMENTS_LOG_FORMAT": "json"}
    async with service_process(env) as running:
        async with grpc.aio.insecure_channel(running.grpc_address) as channel:
            stub = payments_pb2_grpc.PaymentServiceStub(channel)
            request = S.CreateCustomerRequest(email="jane@example.com", request_id="req-json-1")
            await stub.CreateCustomer(request, metadata=(("x-api-key", API_KEY),), timeout=10)
        running.process.send_signal(signal.SIGTERM)
        _, log = await exit_output(running.process)
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    calls = [r for r in records if r["logger"] == "service.rpc"]
    assert len(calls) == 1
    call = calls[0]
    assert (call["rpc"], call["code"], call["caller"], call["door"]) == (
        CUSTOMER,
        "OK",
        "orders",
        "grpc",
    )
    assert call["request_id"] == "req-json-1"
    assert [i.startswith("req_") for i in call["stripe_request_ids"]] == [True]
    assert call["duration_ms"] > 0
    assert {"time", "level", "message"} <= call.keys()
    assert API_KEY not in log
    assert emulator.api_key not in log
