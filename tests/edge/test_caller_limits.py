"""A caller's unary calls in flight are limited (PAYMENTS_MAX_CALLS_PER_CALLER): beyond, the
documented TOO_MANY_CALLS row on both doors, at once; other callers and the caller's next call
once one ends are served."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest

from domain.call import Deadline
from domain.payment_status import PaymentSnapshot
from payments.v1 import payments_pb2, payments_pb2_grpc
from service.composition import Service, running_service
from tests.conftest import API_KEY, SECOND_API_KEY
from tests.edge.conftest import settings_for
from tests.edge.test_error_rows import check_row, over_grpc, over_http
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger


class HeldGateway(FakeGateway):
    """get_payment waits until released: a call in flight for as long as the test wants."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.arrived: asyncio.Queue[str] = asyncio.Queue()

    async def get_payment(self, payment_id: str, deadline: Deadline) -> PaymentSnapshot:
        self.arrived.put_nowait(payment_id)
        await self.release.wait()
        return await super().get_payment(payment_id, deadline)


@pytest.fixture
async def limited() -> AsyncIterator[tuple[Service, HeldGateway]]:
    gateway = HeldGateway()
    settings = settings_for(max_calls_per_caller=1)
    async with running_service(
        settings, gateway=gateway, ledger=FakeLedger(), grace_seconds=0
    ) as service:
        yield service, gateway


@pytest.mark.parametrize("door", ["grpc", "http"])
async def test_a_call_beyond_the_callers_limit_is_refused_at_once(
    limited: tuple[Service, HeldGateway], door: str
) -> None:
    service, gateway = limited
    async with grpc.aio.insecure_channel(service.address) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        request = payments_pb2.GetPaymentStatusRequest(id="cs_test_held")
        held = stub.GetPaymentStatus(request, metadata=(("x-api-key", API_KEY),), timeout=10)
        await asyncio.wait_for(gateway.arrived.get(), timeout=5)

        if door == "grpc":
            outcome = await over_grpc(stub, (("x-api-key", API_KEY),))
        else:
            outcome = await over_http(service, {"x-api-key": API_KEY})
        check_row("TOO_MANY_CALLS", outcome, from_stripe=False)
        assert outcome["metadata"] == {"limit": "1"}

        other_request = payments_pb2.GetPaymentStatusRequest(id="cs_test_other")
        other = stub.GetPaymentStatus(other_request, metadata=(("x-api-key", SECOND_API_KEY),))
        await asyncio.wait_for(gateway.arrived.get(), timeout=5)  # another caller is served
        gateway.release.set()
        for call in (held, other):
            assert await call.code() == grpc.StatusCode.NOT_FOUND  # the fake knows no such id
        again = stub.GetPaymentStatus(request, metadata=(("x-api-key", API_KEY),), timeout=10)
        assert await again.code() == grpc.StatusCode.NOT_FOUND  # its slot came back
