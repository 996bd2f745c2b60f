"""Injected faults, seen through the official SDK and its retry logic."""

from __future__ import annotations

import time

import pytest
import stripe

from stripe_emulator.testing import EmulatorError, EmulatorHandle
from tests.emulator.helpers import stripe_client


def test_429_fault_raises_rate_limit_error(emulator: EmulatorHandle) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=429, retry_after=1)
    client = stripe_client(emulator)
    with pytest.raises(stripe.RateLimitError) as raised:
        client.v1.customers.create()
    assert raised.value.http_status == 429
    assert raised.value.error is not None
    assert raised.value.error.code == "rate_limit"
    assert raised.value.headers is not None
    assert raised.value.headers["Retry-After"] == "1"
    # times defaults to 1: the next call goes through.
    assert client.v1.customers.create().id.startswith("cus_")


def test_500_fault_raises_api_error(emulator: EmulatorHandle) -> None:
    emulator.add_fault(path="/v1/customers", status=500)
    with pytest.raises(stripe.APIError) as raised:
        stripe_client(emulator).v1.customers.create()
    assert raised.value.http_status == 500
    assert raised.value.error is not None
    assert raised.value.error.type == "api_error"
    assert emulator.stats()["objects"]["customer"] == 0


def test_sdk_retries_through_503s(emulator: EmulatorHandle) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=503, times=2)
    customer = stripe_client(emulator, max_network_retries=2).v1.customers.create()
    assert customer.id.startswith("cus_")
    stats = emulator.stats()
    assert stats["requests"]["POST /v1/customers"] == 3
    assert stats["objects"]["customer"] == 1


def test_wildcard_path_and_method_filter(emulator: EmulatorHandle) -> None:
    client = stripe_client(emulator)
    product = client.v1.products.create(params={"name": "x"})
    emulator.add_fault(path="/v1/products/*", method="GET", status=502)
    client.v1.products.create(params={"name": "POSTs are not matched"})
    with pytest.raises(stripe.APIError):
        client.v1.products.retrieve(product.id)
    assert client.v1.products.retrieve(product.id).id == product.id


def test_drop_before_is_retried_by_the_sdk(emulator: EmulatorHandle) -> None:
    emulator.add_fault(path="/v1/customers", drop="before")
    customer = stripe_client(emulator, max_network_retries=2).v1.customers.create()
    assert customer.id.startswith("cus_")
    stats = emulator.stats()
    assert stats["objects"]["customer"] == 1
    assert stats["connections"] >= 2  # the dropped connection, then a fresh one


def test_drop_before_without_retries_is_a_connection_error(emulator: EmulatorHandle) -> None:
    emulator.add_fault(path="/v1/customers", drop="before")
    with pytest.raises(stripe.APIConnectionError):
        stripe_client(emulator).v1.customers.create()
    assert emulator.stats()["objects"]["customer"] == 0


def test_lost_response_is_recovered_by_idempotent_retry(emulator: EmulatorHandle) -> None:
    """drop=after: the customer is created but the answer is lost; the retry replays it."""
    emulator.add_fault(path="/v1/customers", drop="after")
    client = stripe_client(emulator, max_network_retries=2)
    customer = client.v1.customers.create(
        params={"email": "once@example.com"}, options={"idempotency_key": "create-once"}
    )
    assert customer.last_response is not None
    assert customer.last_response.headers["Idempotent-Replayed"] == "true"
    assert emulator.stats()["objects"]["customer"] == 1
    again = client.v1.customers.create(
        params={"email": "once@example.com"}, options={"idempotency_key": "create-once"}
    )
    assert again.id == customer.id


def test_lost_response_without_a_key_creates_twice(emulator: EmulatorHandle) -> None:
    """Why keys matter: the SDK's own generated key is per call, so this duplicates."""
    emulator.add_fault(path="/v1/customers", drop="after")
    with pytest.raises(stripe.APIConnectionError):
        stripe_client(emulator).v1.customers.create()
    stripe_client(emulator).v1.customers.create()
    assert emulator.stats()["objects"]["customer"] == 2


def test_latency_is_added_and_cleared(emulator: EmulatorHandle) -> None:
    client = stripe_client(emulator)
    emulator.add_fault(latency_ms=250, jitter_ms=20)
    started = time.perf_counter()
    client.v1.customers.create()
    assert time.perf_counter() - started >= 0.23
    emulator.add_fault(latency_ms=0)
    started = time.perf_counter()
    client.v1.customers.create()
    assert time.perf_counter() - started < 0.2


def test_clear_faults(emulator: EmulatorHandle) -> None:
    emulator.add_fault(path="/v1/customers", status=500, times=5)
    emulator.add_fault(latency_ms=100)
    cleared = emulator.clear_faults()
    assert cleared == {"faults": [], "latency_ms": 0, "jitter_ms": 0}
    stripe_client(emulator).v1.customers.create()


@pytest.mark.parametrize(
    "fault",
    [
        {"path": "v1/customers", "status": 500},
        {"path": "/v1/customers"},
        {"path": "/v1/customers", "status": 200},
        {"path": "/v1/customers", "status": 500, "drop": "before"},
        {"path": "/v1/customers", "drop": "sometimes"},
        {"path": "/v1/customers", "status": 500, "times": 0},
        {"latency_ms": -1},
        {"latency_ms": "slow"},
        {"bogus": 1},
    ],
)
def test_malformed_faults_are_400(emulator: EmulatorHandle, fault: dict[str, object]) -> None:
    with pytest.raises(EmulatorError) as raised:
        emulator.add_fault(**fault)
    assert raised.value.status == 400
    assert raised.value.body["error"]["type"] == "invalid_request_error"
