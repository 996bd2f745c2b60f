"""Traces: a server span per call on either door, in the caller's trace when it sends W3C
`traceparent`, with a client span per Stripe request under it; exported over OTLP by a real
process to a collector on loopback when the standard OTEL_* variables say so."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import grpc
from opentelemetry.proto.collector.trace.v1 import (
    trace_service_pb2,
    trace_service_pb2_grpc,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.composition import running_service
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, past_first_reconciliation, service_env, settings_over
from tests.e2e.test_process import exit_output, service_process

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
CUSTOMER = payments_pb2.CreateCustomerRequest(email="jane@example.com")


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def in_memory() -> tuple[InMemorySpanExporter, TracerProvider]:
    """A provider that keeps every span, as it ends, in the exporter."""
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    return exported, provider


def spans_of_trace(spans: tuple[ReadableSpan, ...]) -> list[ReadableSpan]:
    return [span for span in spans if span.context and f"{span.context.trace_id:032x}" == TRACE_ID]


async def test_a_call_on_either_door_joins_the_callers_trace_with_a_span_per_stripe_request(
    emulator: EmulatorHandle,
) -> None:
    exported, provider = in_memory()
    async with running_service(
        settings_over(emulator), grace_seconds=0, tracer_provider=provider
    ) as service:
        await past_first_reconciliation(service)
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = payments_pb2_grpc.PaymentServiceStub(channel)
            auth = (("x-api-key", API_KEY), ("traceparent", TRACEPARENT))
            await stub.CreateCustomer(CUSTOMER, metadata=auth, timeout=10)
        async with aiohttp.ClientSession() as client:
            headers = {"x-api-key": API_KEY, "traceparent": TRACEPARENT}
            body = {"email": "http@example.com"}
            url = f"http://{service.http_address}/v1/customers"
            async with client.post(url, json=body, headers=headers) as response:
                assert response.status == 200
    spans = spans_of_trace(exported.get_finished_spans())

    servers = [span for span in spans if span.kind is SpanKind.SERVER]
    assert sorted(str(s.attributes["payments.door"]) for s in servers if s.attributes) == [
        "grpc",
        "http",
    ]
    for server in servers:
        assert server.name == "payments.v1.PaymentService/CreateCustomer"
        assert server.parent is not None
        assert f"{server.parent.span_id:016x}" == PARENT_ID
        assert attributes(server)["rpc.grpc.status_code"] == 0
        (stripe,) = [s for s in spans if s.parent and s.parent.span_id == server.context.span_id]
        assert (stripe.kind, stripe.name) == (SpanKind.CLIENT, "POST /v1/customers")
        assert attributes(stripe)["http.response.status_code"] == 200
        assert str(attributes(stripe)["stripe.request_id"]).startswith("req_")


async def test_a_call_without_traceparent_starts_a_trace_and_a_refusal_is_recorded(
    emulator: EmulatorHandle,
) -> None:
    exported, provider = in_memory()
    async with (
        running_service(
            settings_over(emulator), grace_seconds=0, tracer_provider=provider
        ) as service,
        grpc.aio.insecure_channel(service.address) as channel,
    ):
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        call = stub.CreateCustomer(CUSTOMER, metadata=(("x-api-key", "no-such-key-0000000"),))
        assert (await call.code()) == grpc.StatusCode.UNAUTHENTICATED
    (span,) = [s for s in exported.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert span.parent is None
    assert attributes(span)["error.type"] == "API_KEY_INVALID"
    assert attributes(span)["rpc.grpc.status_code"] == grpc.StatusCode.UNAUTHENTICATED.value[0]


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """An OTLP/gRPC trace receiver: keeps what it is sent."""

    def __init__(self) -> None:
        self.requests: list[trace_service_pb2.ExportTraceServiceRequest] = []

    async def Export(  # noqa: N802 (the OTLP method)
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        self.requests.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


@asynccontextmanager
async def collector() -> AsyncIterator[tuple[Collector, str]]:
    server = grpc.aio.server()
    received = Collector()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(received, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield received, f"http://127.0.0.1:{port}"
    finally:
        await server.stop(None)


async def test_a_real_process_exports_its_spans_over_otlp_when_told_to(
    emulator: EmulatorHandle,
) -> None:
    async with collector() as (received, endpoint):
        env = {
            **service_env(emulator, (f"orders={API_KEY}",)),
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
        }
        async with service_process(env) as running:
            async with grpc.aio.insecure_channel(running.grpc_address) as channel:
                stub = payments_pb2_grpc.PaymentServiceStub(channel)
                auth = (("x-api-key", API_KEY), ("traceparent", TRACEPARENT))
                await stub.CreateCustomer(CUSTOMER, metadata=auth, timeout=10)
            running.process.send_signal(signal.SIGTERM)  # the batch is exported on the way out
            _, log = await asyncio.wait_for(exit_output(running.process), timeout=30)
    assert running.process.returncode == 0, log
    resources = [rs for request in received.requests for rs in request.resource_spans]
    names = {
        attribute.value.string_value
        for rs in resources
        for attribute in rs.resource.attributes
        if attribute.key == "service.name"
    }
    assert names == {"payments-service"}
    spans = [span for rs in resources for ss in rs.scope_spans for span in ss.spans]
    in_trace = [span for span in spans if span.trace_id.hex() == TRACE_ID]
    assert sorted(span.name for span in in_trace) == [
        "POST /v1/customers",
        "payments.v1.PaymentService/CreateCustomer",
    ]


async def test_an_unknown_trace_exporter_is_refused_at_start_up(emulator: EmulatorHandle) -> None:
    env = {**os.environ, **service_env(emulator, (API_KEY,)), "OTEL_TRACES_EXPORTER": "zipkin"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", env=env, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert stderr.decode().strip() == (
        "payments: configuration error: OTEL_TRACES_EXPORTER must be otlp, console or none"
    )
