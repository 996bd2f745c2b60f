"""The lifecycle of `running_service` (which `python -m service` runs): the HTTP/JSON door when
asked for, and a graceful stop that refuses new calls, lets those in flight finish and never
outlives its grace period.

Calls are held in flight by a fake gateway that the test opens itself, so no step depends on how
long anything takes."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from typing import Any

import aiohttp
import grpc
import pytest
from grpc_status import rpc_status

from domain.call import WriteOptions
from domain.customer import Customer, NewCustomer
from payments.v1 import payments_pb2, payments_pb2_grpc
from service.composition import Service, running_service
from service.config import Settings
from service.server import BindError
from tests.conftest import API_KEY, rich_details, wait_until, wait_until_not_serving
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

AUTH = (("x-api-key", API_KEY),)


class HeldGateway(FakeGateway):
    """Each create_customer waits until `release` is set; `entered` is set once `expected` calls
    are waiting."""

    def __init__(self, expected: int = 1) -> None:
        super().__init__()
        self._expected = expected
        self._waiting = 0
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def create_customer(self, new: NewCustomer, options: WriteOptions) -> Customer:
        self._waiting += 1
        if self._waiting == self._expected:
            self.entered.set()
        await self.release.wait()
        return await super().create_customer(new, options)


class Lifecycle:
    """`running_service` entered by hand, so that a test can begin the stop and watch it."""

    def __init__(self, settings: Settings, gateway: FakeGateway) -> None:
        self._lifecycle = running_service(settings, gateway=gateway, ledger=FakeLedger())
        self._stopping: asyncio.Task[bool | None] | None = None

    async def __aenter__(self) -> Service:
        return await self._lifecycle.__aenter__()

    def stop(self) -> asyncio.Task[bool | None]:
        """Begins the stop in the background; the task ends when the stop has finished."""
        self._stopping = asyncio.create_task(self._lifecycle.__aexit__(None, None, None))
        return self._stopping

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._stopping is None:
            await self._lifecycle.__aexit__(*exc_info)
        else:
            await self._stopping


def accepts_connections(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        # Loopback: connect() succeeds or is refused at once, it never waits on the network.
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except ConnectionRefusedError:
        return False


async def create_customer_over_http(
    client: aiohttp.ClientSession, address: str, email: str
) -> tuple[int, Any]:
    async with client.post(
        f"http://{address}/v1/customers", json={"email": email}, headers=dict(AUTH)
    ) as response:
        return response.status, await response.json()


def customer_request(email: str) -> payments_pb2.CreateCustomerRequest:
    return payments_pb2.CreateCustomerRequest(email=email)


async def test_http_door_is_off_unless_asked_for(settings: Settings) -> None:
    async with running_service(
        replace(settings, http_addr=None), gateway=FakeGateway(), ledger=FakeLedger()
    ) as svc:
        assert svc.http_address is None
        assert svc.http_address is None


async def test_http_door_serves_at_the_address_it_exposes(settings: Settings) -> None:
    async with (
        running_service(settings, gateway=FakeGateway(), ledger=FakeLedger()) as service,
        aiohttp.ClientSession() as client,
    ):
        assert service.http_address is not None
        host, _, port = service.http_address.rpartition(":")
        assert host == "127.0.0.1"
        assert int(port) > 0  # the real port, not the 0 asked for
        async with client.get(f"http://{service.http_address}/openapi.json") as response:
            assert response.status == 200
        status, body = await create_customer_over_http(client, service.http_address, "a@b.co")
        assert status == 200, body
        assert body["customer"]["id"].startswith("cus_")


async def test_an_http_address_in_use_is_a_bind_error(settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(BindError, match=f"cannot listen on {address}"):
            async with running_service(
                replace(settings, http_addr=address), gateway=FakeGateway(), ledger=FakeLedger()
            ):
                pass


async def test_stop_refuses_new_calls_and_lets_those_in_flight_finish(
    settings: Settings,
) -> None:
    gate = HeldGateway(expected=2)
    lifecycle = Lifecycle(replace(settings, grace_seconds=30), gate)
    async with (
        lifecycle as service,
        grpc.aio.insecure_channel(service.address) as channel,
        aiohttp.ClientSession() as client,
    ):
        assert service.http_address is not None
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        over_grpc = asyncio.ensure_future(
            stub.CreateCustomer(customer_request("grpc@example.com"), metadata=AUTH, timeout=20)
        )
        over_http = asyncio.ensure_future(
            create_customer_over_http(client, service.http_address, "http@example.com")
        )
        await gate.entered.wait()  # both calls are in flight, one through each door

        stopping = lifecycle.stop()
        await wait_until_not_serving(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.CreateCustomer(customer_request("late@example.com"), metadata=AUTH)
        await wait_until(lambda: not accepts_connections(str(service.http_address)))
        assert not stopping.done()  # still waiting for the two calls

        gate.release.set()
        response = await over_grpc
        status, body = await over_http
        await stopping

    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert refused.value.details() == "the service is shutting down; retry on another instance"
    details = rich_details(refused.value)
    assert details["error_info"].reason == "SHUTTING_DOWN"
    assert details["retry_info"].retry_delay.seconds == 1
    assert response.customer.id.startswith("cus_")
    assert status == 200, body
    assert body["customer"]["email"] == "http@example.com"
    assert service.drain.in_flight == 0


async def test_a_refused_call_is_refused_before_its_key_is_checked(
    settings: Settings,
) -> None:
    gate = HeldGateway()
    lifecycle = Lifecycle(replace(settings, grace_seconds=30), gate)
    async with (
        lifecycle as service,
        grpc.aio.insecure_channel(service.address) as channel,
    ):
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        in_flight = asyncio.ensure_future(
            stub.CreateCustomer(customer_request("a@example.com"), metadata=AUTH, timeout=20)
        )
        await gate.entered.wait()
        stopping = lifecycle.stop()
        await wait_until_not_serving(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.CreateCustomer(customer_request("b@example.com"))  # no key at all
        gate.release.set()
        await in_flight
        await stopping

    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert rich_details(refused.value)["error_info"].reason == "SHUTTING_DOWN"


async def test_a_call_still_running_when_the_grace_period_ends_is_cut_off(
    settings: Settings,
) -> None:
    gate = HeldGateway()  # never released
    lifecycle = Lifecycle(replace(settings, grace_seconds=0.2), gate)
    async with (
        lifecycle as service,
        grpc.aio.insecure_channel(service.address) as channel,
    ):
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        stuck = asyncio.ensure_future(
            stub.CreateCustomer(customer_request("stuck@example.com"), metadata=AUTH, timeout=20)
        )
        await gate.entered.wait()
        await lifecycle.stop()  # returns: the grace period bounds the stop

        with pytest.raises(grpc.aio.AioRpcError) as cancelled:
            await stuck

    # gRPC's own cancellation: UNAVAILABLE without our details, so nothing claims the call
    # was refused (it may have done its work); docs/errors.md says so.
    assert cancelled.value.code() == grpc.StatusCode.UNAVAILABLE
    assert rpc_status.from_call(cancelled.value) is None
    assert service.drain.in_flight == 0
