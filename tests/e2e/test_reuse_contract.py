"""The pieces the HTTP gateway reuses, driven without gRPC; and the request log line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

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


class _RpcLogLines(logging.Handler):
    """Collects the request-log lines and wakes the test when the n-th arrives.

    The line is written once the call has ended, which can be just after the caller has its
    answer: the test waits for it rather than reading the log too early.
    """

    def __init__(self, wanted: int) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self._wanted = wanted
        self._loop = asyncio.get_running_loop()
        self.complete = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        if len(self.lines) >= self._wanted:
            self._loop.call_soon_threadsafe(self.complete.set)

    async def wait(self) -> list[str]:
        await asyncio.wait_for(self.complete.wait(), timeout=5)
        return self.lines


@contextlib.contextmanager
def rpc_log_lines(wanted: int) -> Iterator[_RpcLogLines]:
    """The `service.rpc` log lines written while the block runs."""
    rpc_log = logging.getLogger("service.rpc")
    collector = _RpcLogLines(wanted)
    previous_level = rpc_log.level
    rpc_log.addHandler(collector)
    rpc_log.setLevel(logging.INFO)
    try:
        yield collector
    finally:
        rpc_log.removeHandler(collector)
        rpc_log.setLevel(previous_level)


async def test_one_log_line_per_call_without_keys(stub: Stub) -> None:
    with rpc_log_lines(wanted=2) as log_lines:
        await stub.CreateCustomer(REQUEST, metadata=(("x-api-key", API_KEY),), timeout=5)
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.CreateCustomer(
                REQUEST, metadata=(("x-api-key", "wrong-" + API_KEY),), timeout=5
            )
        lines = await log_lines.wait()
    assert len(lines) == 2
    assert "/payments.v1.PaymentService/CreateCustomer OK" in lines[0]
    assert "UNAUTHENTICATED" in lines[1]
    assert "caller=-" in lines[1]
    assert all(API_KEY not in line for line in lines)


async def test_a_call_cut_off_by_its_deadline_is_logged_as_such(
    stub: Stub, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(latency_ms=2000)
    with rpc_log_lines(wanted=1) as log_lines:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.CreateCustomer(REQUEST, metadata=(("x-api-key", API_KEY),), timeout=0.3)
        lines = await log_lines.wait()
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "CreateCustomer DEADLINE_EXCEEDED" in lines[0]
