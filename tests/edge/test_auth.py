"""API keys: rejected before validation and before any use case runs (no Stripe request)."""

from __future__ import annotations

import grpc
import pytest

from payments.v1 import payments_pb2
from tests.conftest import Stub, rich_details
from tests.fake_gateway import FakeGateway

REQUEST = payments_pb2.CreateCustomerRequest(email="jane@example.com")


@pytest.mark.parametrize(
    ("metadata", "reason", "message"),
    [
        pytest.param((), "API_KEY_MISSING", "missing API key", id="no-key"),
        pytest.param(
            (("x-api-key", "not-a-key-of-this-service"),),
            "API_KEY_INVALID",
            "invalid API key",
            id="wrong-key",
        ),
        pytest.param(
            (("authorization", "Bearer not-a-key-of-this-service"),),
            "API_KEY_INVALID",
            "invalid API key",
            id="wrong-bearer",
        ),
        pytest.param(
            (("authorization", "Basic dXNlcjpwYXNz"),), "API_KEY_MISSING", "x-api-key", id="basic"
        ),
    ],
)
async def test_rejected_before_any_work(
    stub: Stub,
    gateway: FakeGateway,
    metadata: tuple[tuple[str, str], ...],
    reason: str,
    message: str,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(REQUEST, metadata=metadata, timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert message in (raised.value.details() or "")
    assert rich_details(raised.value)["error_info"].reason == reason
    assert gateway.calls == []  # the use case never ran


async def test_auth_runs_before_validation(stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(payments_pb2.CreateCustomerRequest(), timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_error_never_echoes_the_presented_key(stub: Stub) -> None:
    secret = "wrong-but-secret-looking-key-123456"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(REQUEST, metadata=(("x-api-key", secret),), timeout=5)
    assert secret not in str(raised.value.details())
    assert secret not in str(raised.value.trailing_metadata())


async def test_second_key_accepted_during_rotation(stub: Stub, api_keys: tuple[str, str]) -> None:
    response = await stub.CreateCustomer(REQUEST, metadata=(("x-api-key", api_keys[1]),), timeout=5)
    assert response.customer.id.startswith("cus_")


async def test_bearer_authorization_accepted(stub: Stub, api_keys: tuple[str, str]) -> None:
    metadata = (("authorization", f"Bearer {api_keys[0]}"),)
    response = await stub.CreateCustomer(REQUEST, metadata=metadata, timeout=5)
    assert response.customer.id.startswith("cus_")


async def test_keys_scope_request_ids(stub: Stub, api_keys: tuple[str, str]) -> None:
    """Two callers using the same request_id get two customers, not each other's."""
    request = payments_pb2.CreateCustomerRequest(email="jane@example.com", request_id="same-id")
    first = await stub.CreateCustomer(request, metadata=(("x-api-key", api_keys[0]),), timeout=5)
    second = await stub.CreateCustomer(request, metadata=(("x-api-key", api_keys[1]),), timeout=5)
    assert first.customer.id != second.customer.id
