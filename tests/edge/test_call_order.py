"""The gate's order, the same on both doors: drain → API key → deadline → request (read and
validated) → the RPC with its CallContext. Each test breaks two steps at once and shows that the
earlier one answers; the fake gateway shows when the RPC was never reached."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from payments.v1 import payments_pb2
from service.composition import Service
from tests.conftest import API_KEY, Stub, rich_details
from tests.edge.conftest import Stack, error_info
from tests.fake_gateway import FakeGateway

BAD_EMAIL = payments_pb2.CreateCustomerRequest(email="not-an-email")
GOOD = payments_pb2.CreateCustomerRequest(email="jane@example.com", request_id="order-42")


async def grpc_reason(stub: Stub, request: Any, metadata: Any) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(request, metadata=metadata, timeout=5)
    return str(rich_details(raised.value)["error_info"].reason)


async def http_reason(stack: Stack, body: Any, headers: dict[str, str]) -> str:
    url = stack.url + "/v1/customers"
    async with stack.client.post(url, json=body, headers=headers) as response:
        return str(error_info(await response.json())["reason"])


async def test_drain_before_the_key(stack: Stack, stub: Stub, service: Service) -> None:
    service.drain.begin(grace_seconds=5)

    assert await grpc_reason(stub, BAD_EMAIL, ()) == "SHUTTING_DOWN"
    assert await http_reason(stack, {"email": "x"}, {}) == "SHUTTING_DOWN"


async def test_key_before_the_timeout_and_the_request(stack: Stack, stub: Stub) -> None:
    wrong = {"x-api-key": "not-" + API_KEY}
    assert await grpc_reason(stub, BAD_EMAIL, tuple(wrong.items())) == "API_KEY_INVALID"
    headers = {**wrong, "grpc-timeout": "soon"}
    assert await http_reason(stack, ["not", "an", "object"], headers) == "API_KEY_INVALID"


async def test_timeout_before_the_request(stack: Stack) -> None:
    headers = {"x-api-key": API_KEY, "X-Request-Timeout": "-1"}
    assert await http_reason(stack, ["not", "an", "object"], headers) == "INVALID_TIMEOUT"


async def test_a_spent_deadline_reads_no_request_and_reaches_no_rpc(
    stack: Stack, gateway: FakeGateway
) -> None:
    headers = {"x-api-key": API_KEY, "grpc-timeout": "1n"}
    assert await http_reason(stack, ["not", "an", "object"], headers) == "DEADLINE_EXCEEDED"
    assert gateway.calls == []


async def test_validation_before_the_rpc(stack: Stack, stub: Stub, gateway: FakeGateway) -> None:
    auth = {"x-api-key": API_KEY}
    assert await grpc_reason(stub, BAD_EMAIL, tuple(auth.items())) == "VALIDATION_FAILED"
    assert await http_reason(stack, {"email": "not-an-email"}, auth) == "VALIDATION_FAILED"
    assert gateway.calls == []


@pytest.mark.parametrize("door", ["grpc", "http"])
async def test_the_rpc_gets_the_caller_request_id_and_deadline(
    door: str, stack: Stack, stub: Stub, gateway: FakeGateway
) -> None:
    if door == "grpc":
        await stub.CreateCustomer(GOOD, metadata=(("x-api-key", API_KEY),), timeout=7)
    else:
        body = {"email": GOOD.email, "requestId": GOOD.request_id}
        headers = {"x-api-key": API_KEY, "X-Request-Timeout": "7"}
        async with stack.client.post(
            stack.url + "/v1/customers", json=body, headers=headers
        ) as answer:
            assert answer.status == 200

    (write,) = gateway.writes
    assert write.request_id == "order-42"
    assert write.idempotency_key is not None  # derived from the caller and the request_id
    assert 6 < write.deadline.seconds_left() <= 7.1  # gRPC rounds the timeout it sends up


async def test_without_a_timeout_the_default_deadline_applies(
    stub: Stub, gateway: FakeGateway, service: Service
) -> None:
    await stub.CreateCustomer(GOOD, metadata=(("x-api-key", API_KEY),))

    (write,) = gateway.writes
    default = service.settings.default_deadline_seconds
    assert default - 1 < write.deadline.seconds_left() <= default
