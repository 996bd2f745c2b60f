"""The transport-free API, driven without either door; and the request log line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import grpc
import pytest

from domain.call import CallContext, Deadline
from domain.errors import DeadlineExceeded
from payments.v1 import payments_pb2
from service.api import PAYMENT_SERVICE
from service.composition import Service
from service.errors import failure_of
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, Stub, v1_requests

REQUEST = payments_pb2.CreateCustomerRequest(email="jane@example.com", request_id="r-1")


async def test_the_api_runs_with_a_call_context_and_no_transport(service: Service) -> None:
    create_customer = next(
        r.unary_handler for r in service.rpcs if r.method.name == "CreateCustomer"
    )
    call = CallContext("caller", Deadline.after(5), REQUEST.request_id)

    response = await create_customer(REQUEST, call)

    assert isinstance(response, payments_pb2.CreateCustomerResponse)
    assert response.customer.id.startswith("cus_")


async def test_expired_deadline_makes_no_stripe_request(
    service: Service, emulator: EmulatorHandle
) -> None:
    create_customer = next(
        r.unary_handler for r in service.rpcs if r.method.name == "CreateCustomer"
    )
    with pytest.raises(DeadlineExceeded) as raised:
        await create_customer(REQUEST, CallContext("caller", Deadline.after(-1)))
    assert failure_of(raised.value).problem.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert v1_requests(emulator.stats()) == 0


def test_every_rpc_of_the_descriptor_is_served(service: Service) -> None:
    assert [rpc.method.name for rpc in service.rpcs] == [m.name for m in PAYMENT_SERVICE.methods]


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
