"""ExpireCheckout through both doors over a fake gateway that can expire a checkout: the page
stops taking payment, the ledger says EXPIRED, and the documented refusals."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import Stub
from tests.edge.conftest import Stack
from tests.edge.doors import call
from tests.edge.test_routes import create_customer, create_product
from tests.fake_gateway import FakeGateway


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


async def open_checkout(stack: Stack, **fields: Any) -> str:
    customer = await create_customer(stack)
    product = await create_product(stack, f"SKU-{uuid.uuid4()}")
    status, body = await stack.call(
        "POST",
        "/v1/payments/checkout",
        json={"productId": product["id"], "customerId": customer["id"], **fields},
    )
    assert status == 200, body
    session_id: str = body["checkoutSessionId"]
    return session_id


async def test_an_open_checkout_expires_and_stays_expired(
    door: str, stack: Stack, stub: Stub
) -> None:
    session_id = await open_checkout(stack, clientReferenceId="order-7")

    answer = await call(door, stack, stub, "ExpireCheckout", checkout_session_id=session_id)

    assert answer.reason == "OK", answer
    payment = answer.body["payment"]
    assert payment["id"] == session_id
    assert payment["status"] == "PAYMENT_STATUS_EXPIRED"
    assert payment["clientReferenceId"] == "order-7"
    assert payment["stripeStatus"] == "expired"
    assert "updateTime" in payment
    listed = await call(door, stack, stub, "ListPayments", client_reference_id="order-7")
    assert [p["status"] for p in listed.body["payments"]] == ["PAYMENT_STATUS_EXPIRED"]
    assert stack.gateway.calls.count("expire_checkout") == 1


async def test_a_paid_checkout_is_checkout_not_open(door: str, stack: Stack, stub: Stub) -> None:
    session_id = await open_checkout(stack)
    stack.gateway.pay(session_id)

    answer = await call(door, stack, stub, "ExpireCheckout", checkout_session_id=session_id)

    assert answer.reason == "CHECKOUT_NOT_OPEN", answer
    assert answer.metadata == {"checkout_session_id": session_id}


async def test_an_unknown_checkout_is_not_found(door: str, stack: Stack, stub: Stub) -> None:
    answer = await call(door, stack, stub, "ExpireCheckout", checkout_session_id="cs_test_nope")

    assert answer.reason == "CHECKOUT_SESSION_NOT_FOUND", answer
    assert answer.metadata == {"checkout_session_id": "cs_test_nope"}


async def test_a_retry_with_the_request_id_answers_the_same(
    door: str, stack: Stack, stub: Stub
) -> None:
    session_id = await open_checkout(stack)
    request_id = str(uuid.uuid4())

    first = await call(
        door, stack, stub, "ExpireCheckout", checkout_session_id=session_id, request_id=request_id
    )
    again = await call(
        door, stack, stub, "ExpireCheckout", checkout_session_id=session_id, request_id=request_id
    )
    without = await call(door, stack, stub, "ExpireCheckout", checkout_session_id=session_id)

    assert first.reason == again.reason == "OK", (first, again)
    assert again.body["payment"]["status"] == "PAYMENT_STATUS_EXPIRED"
    keys = [w.idempotency_key for w in stack.gateway.writes if w.operation == "ExpireCheckout"]
    assert keys[0] is not None
    assert keys[0] == keys[1]
    assert without.reason == "CHECKOUT_NOT_OPEN"


@pytest.mark.parametrize("session_id", ["pi_123", "cs_", "cs_a-b"])
async def test_a_checkout_id_that_is_not_one_fails_validation(
    door: str, stack: Stack, stub: Stub, session_id: str
) -> None:
    answer = await call(door, stack, stub, "ExpireCheckout", checkout_session_id=session_id)

    assert answer.reason == "VALIDATION_FAILED", answer
    assert set(answer.violations) == {"checkout_session_id"}
    assert "expire_checkout" not in stack.gateway.calls


async def test_the_http_route_needs_no_body(stack: Stack) -> None:
    session_id = await open_checkout(stack)

    async with stack.client.post(
        f"{stack.url}/v1/payments/{session_id}/expire", headers=stack.auth
    ) as response:
        body = await response.json()

    assert response.status == 200, body
    assert body["payment"]["status"] == "PAYMENT_STATUS_EXPIRED"
