"""Idempotent requests, as Stripe documents them, through the official SDK."""

from __future__ import annotations

import asyncio

import pytest
import stripe

from stripe_emulator.testing import EmulatorHandle
from tests.emulator.helpers import async_stripe_client, stripe_client


def test_replay_returns_the_stored_response(client: stripe.StripeClient) -> None:
    first = client.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "k1"})
    second = client.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "k1"})
    assert second.id == first.id
    assert first.last_response is not None
    assert second.last_response is not None
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert second.last_response.headers["Original-Request"] == first.last_response.request_id
    assert second.last_response.body == first.last_response.body


def test_same_key_other_params_is_idempotency_error(client: stripe.StripeClient) -> None:
    client.v1.customers.create(params={"name": "A"}, options={"idempotency_key": "k2"})
    with pytest.raises(stripe.IdempotencyError) as raised:
        client.v1.customers.create(params={"name": "B"}, options={"idempotency_key": "k2"})
    assert raised.value.http_status == 400
    assert raised.value.user_message is not None
    assert raised.value.user_message.startswith(
        "Keys for idempotent requests can only be used with the same parameters"
    )


def test_same_key_other_endpoint_is_idempotency_error(client: stripe.StripeClient) -> None:
    client.v1.customers.create(options={"idempotency_key": "k3"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.products.create(params={"name": "x"}, options={"idempotency_key": "k3"})


def test_keys_are_scoped_per_api_key(emulator: EmulatorHandle) -> None:
    first = stripe_client(emulator, api_key="sk_test_alice").v1.customers.create(
        options={"idempotency_key": "shared"}
    )
    second = stripe_client(emulator, api_key="sk_test_bob").v1.customers.create(
        options={"idempotency_key": "shared"}
    )
    assert first.id != second.id


def test_errors_from_execution_are_replayed(client: stripe.StripeClient) -> None:
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.prices.create(
                params={"product": "prod_gone", "currency": "usd", "unit_amount": 5},
                options={"idempotency_key": "k4"},
            )
    assert raised.value.headers is not None
    assert raised.value.headers["Idempotent-Replayed"] == "true"


def test_validation_errors_are_not_stored(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.products.create(params={"name": ""}, options={"idempotency_key": "k5"})
    # The key was not used up: a corrected request with other params goes through.
    product = client.v1.products.create(params={"name": "ok"}, options={"idempotency_key": "k5"})
    assert product.name == "ok"


def test_injected_faults_are_not_stored(emulator: EmulatorHandle) -> None:
    emulator.add_fault(path="/v1/customers", status=500)
    client = stripe_client(emulator)
    with pytest.raises(stripe.APIError):
        client.v1.customers.create(options={"idempotency_key": "k6"})
    customer = client.v1.customers.create(options={"idempotency_key": "k6"})
    assert customer.last_response is not None
    assert "Idempotent-Replayed" not in customer.last_response.headers


async def test_concurrent_duplicate_gets_409_and_creates_once(emulator: EmulatorHandle) -> None:
    # Latency keeps the first request in flight while the duplicate arrives.
    emulator.add_fault(latency_ms=300)
    async with async_stripe_client(emulator) as client:

        async def create() -> stripe.Customer:
            return await client.v1.customers.create_async(options={"idempotency_key": "race"})

        results = await asyncio.gather(create(), create(), return_exceptions=True)
    conflicts = [r for r in results if isinstance(r, stripe.APIError)]
    created = [r for r in results if isinstance(r, stripe.Customer)]
    assert len(created) == 1
    assert len(conflicts) == 1
    assert conflicts[0].http_status == 409
    assert conflicts[0].error is not None
    assert conflicts[0].error.code == "idempotency_key_in_use"
    assert emulator.stats()["objects"]["customer"] == 1
