"""PAYMENTS_DEFAULT_DEADLINE_SECONDS: a gRPC call whose caller sets no deadline gets the service's
default one, so a persistent 429 with a huge Retry-After cannot hold it indefinitely."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from payments.v1 import payments_pb2
from service.config import Settings, load_settings
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, SECOND_API_KEY, Stub, rich_details, service_env

DEFAULT_DEADLINE = 2.0


@pytest.fixture
def settings(emulator: EmulatorHandle) -> Settings:
    env = service_env(emulator, (API_KEY, SECOND_API_KEY))
    env["PAYMENTS_DEFAULT_DEADLINE_SECONDS"] = str(DEFAULT_DEADLINE)
    return load_settings(env)


async def test_a_call_without_a_timeout_gets_the_default_deadline(
    stub: Stub, emulator: EmulatorHandle, auth: tuple[tuple[str, str], ...]
) -> None:
    emulator.add_fault(
        path="/v1/customers", method="POST", status=429, times=1000, retry_after=3600
    )
    request = payments_pb2.CreateCustomerRequest(email="jane@example.com")
    started = time.monotonic()

    # No `timeout=`: only the service's default deadline bounds the call. The guard turns a
    # regression (waiting out Retry-After, or retry after retry) into a failure, not a hang.
    async with asyncio.timeout(DEFAULT_DEADLINE + 8):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.CreateCustomer(request, metadata=auth)

    assert time.monotonic() - started < DEFAULT_DEADLINE
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert rich_details(raised.value)["error_info"].reason == "STRIPE_RATE_LIMITED"
