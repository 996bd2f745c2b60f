"""The pieces the HTTP gateway reuses, driven without gRPC; and the request log line."""

from __future__ import annotations

import logging
import time

import grpc
import pytest

from domain.errors import DeadlineExceeded
from payments.v1 import payments_pb2
from service.auth import key_from_metadata
from service.call_context import build_call, run_with_call
from service.composition import Service
from service.status import to_rpc_status
from service.validation import validate
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, Stub, v1_requests

REQUEST = payments_pb2.CreateCustomerRequest(email="jane@example.com", request_id="r-1")


async def test_servicer_runs_with_a_stand_in_context(service: Service) -> None:
    caller = service.authenticator.authenticate(key_from_metadata([("X-Api-Key", API_KEY)]))
    validate(REQUEST)
    call = build_call(caller, REQUEST.request_id, remaining_seconds=5)
    response = await run_with_call(call, lambda: service.servicer.CreateCustomer(REQUEST, None))
    assert response.customer.id.startswith("cus_")


async def test_expired_deadline_makes_no_stripe_request(
    service: Service, emulator: EmulatorHandle
) -> None:
    call = build_call("caller", remaining_seconds=-1)
    with pytest.raises(DeadlineExceeded) as raised:
        await run_with_call(call, lambda: service.servicer.CreateCustomer(REQUEST, None))
    assert to_rpc_status(raised.value).code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert v1_requests(emulator.stats()) == 0


def test_rpcs_are_discoverable_from_the_descriptor(service: Service) -> None:
    methods = payments_pb2.DESCRIPTOR.services_by_name["PaymentService"].methods
    for method in methods:
        assert callable(getattr(service.servicer, method.name))
        assert getattr(payments_pb2, method.input_type.name)


async def test_one_log_line_per_call_without_keys(
    stub: Stub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="service.rpc")
    started = time.monotonic()
    await stub.CreateCustomer(REQUEST, metadata=(("x-api-key", API_KEY),), timeout=5)
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.CreateCustomer(REQUEST, metadata=(("x-api-key", "wrong-" + API_KEY),), timeout=5)
    assert time.monotonic() - started < 5
    lines = [r.getMessage() for r in caplog.records if r.name == "service.rpc"]
    assert len(lines) == 2
    assert "/payments.v1.PaymentService/CreateCustomer OK" in lines[0]
    assert "UNAUTHENTICATED" in lines[1]
    assert "caller=-" in lines[1]
    assert all(API_KEY not in line for line in lines)
