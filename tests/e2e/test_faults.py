"""Stripe misbehaving (injected by the emulator): the right code, RetryInfo, within deadlines."""

from __future__ import annotations

import time

import grpc
import pytest

from payments.v1 import payments_pb2
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import Stub, objects, rich_details, v1_requests

Metadata = tuple[tuple[str, str], ...]
REQUEST = payments_pb2.CreateCustomerRequest(email="jane@example.com")


async def test_persistent_429_is_resource_exhausted_within_deadline(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=429, times=100)
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(REQUEST, metadata=auth, timeout=1.0)
    assert time.monotonic() - started < 1.0
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    details = rich_details(raised.value)
    assert details["error_info"].reason == "STRIPE_RATE_LIMITED"
    assert details["retry_info"].retry_delay.ToTimedelta().total_seconds() > 0


async def test_persistent_500_is_unavailable_with_retry_info(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=500, times=100)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(REQUEST, metadata=auth, timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    details = rich_details(raised.value)
    assert details["error_info"].reason == "STRIPE_UNAVAILABLE"
    assert "retry_info" in details
    assert objects(emulator.stats(), "customer") == 0


async def test_latency_beyond_deadline_fails_promptly(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(latency_ms=3000)
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(REQUEST, metadata=auth, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert raised.value.code() in (
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNAVAILABLE,
    )


async def test_two_503s_then_success_make_one_customer(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=503, times=2)
    response = await stub.CreateCustomer(REQUEST, metadata=auth, timeout=10)
    assert response.customer.id.startswith("cus_")
    stats = emulator.stats()
    assert objects(stats, "customer") == 1
    assert stats["requests"]["POST /v1/customers"] == 3


async def test_response_dropped_after_create_makes_one_customer(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", drop="after", times=1)
    response = await stub.CreateCustomer(REQUEST, metadata=auth, timeout=10)
    assert response.customer.id.startswith("cus_")
    assert objects(emulator.stats(), "customer") == 1


async def test_deadline_already_expired_makes_no_stripe_request(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(REQUEST, metadata=auth, timeout=0)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert v1_requests(emulator.stats()) == 0
