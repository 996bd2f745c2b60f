"""Nothing half-created is lost track of: under injected faults a product and its price are
created together or not at all, a checkout whose session create fails leaves nothing behind, and
a retry (the SDK's, or the caller's with the same request_id) never makes a second object. And a
call whose deadline has passed does no Stripe work, through the HTTP door too."""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import grpc
import pytest

from payments.v1 import payments_pb2
from service.composition import running_service
from service.config import Settings
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, Stub, objects, rich_details, v1_requests
from tests.e2e.test_rpcs import create_customer, create_product

Metadata = tuple[tuple[str, str], ...]


def product_request(request_id: str = "") -> payments_pb2.CreateProductRequest:
    return payments_pb2.CreateProductRequest(
        name="Mug",
        unit_amount=1200,
        currency="eur",
        external_product_id="SKU-MUG",
        request_id=request_id,
    )


def counts(emulator: EmulatorHandle) -> tuple[int, int, int]:
    stats = emulator.stats()
    return objects(stats, "product"), objects(stats, "price"), objects(stats, "checkout.session")


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 503, "times": 2},
        {"drop": "after", "times": 1},
        {"drop": "before", "times": 1},
    ],
    ids=["two-503s", "response-lost", "request-lost"],
)
async def test_product_and_price_once_despite_sdk_retries_without_request_id(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle, fault: dict[str, object]
) -> None:
    emulator.add_fault(path="/v1/products", method="POST", **fault)
    response = await stub.CreateProduct(product_request(), metadata=auth, timeout=10)
    assert response.product.price_id.startswith("price_")  # not ALREADY_EXISTS for itself
    assert counts(emulator) == (1, 1, 0)


async def test_failed_product_create_leaves_nothing_and_a_retry_makes_one(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/products", method="POST", status=500, times=100)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateProduct(product_request("rid-p"), metadata=auth, timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert counts(emulator) == (0, 0, 0)

    emulator.clear_faults()
    first = await stub.CreateProduct(product_request("rid-p"), metadata=auth, timeout=10)
    again = await stub.CreateProduct(product_request("rid-p"), metadata=auth, timeout=10)
    assert again.product == first.product
    assert counts(emulator) == (1, 1, 0)


def checkout_request(
    product_id: str, customer_id: str, request_id: str
) -> payments_pb2.CreateCheckoutRequest:
    return payments_pb2.CreateCheckoutRequest(
        product_id=product_id, customer_id=customer_id, request_id=request_id
    )


async def test_checkout_whose_session_create_fails_leaves_no_session(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    customer = await create_customer(stub, auth)
    product = await create_product(stub, auth)
    emulator.add_fault(path="/v1/checkout/sessions", method="POST", status=500, times=100)
    request = checkout_request(product.id, customer.id, "rid-c")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCheckout(request, metadata=auth, timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert rich_details(raised.value)["error_info"].reason == "STRIPE_UNAVAILABLE"
    stats = emulator.stats()
    # The product was known (created here): no lookup, only the create, which failed.
    assert "GET /v1/products/{id}" not in stats["requests"]
    assert stats["requests"]["POST /v1/checkout/sessions"] >= 1
    assert counts(emulator) == (1, 1, 0)

    emulator.clear_faults()
    first = await stub.CreateCheckout(request, metadata=auth, timeout=10)
    again = await stub.CreateCheckout(request, metadata=auth, timeout=10)
    assert again.checkout_session_id == first.checkout_session_id
    assert counts(emulator) == (1, 1, 1)


async def test_checkout_response_lost_is_one_session(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    customer = await create_customer(stub, auth)
    product = await create_product(stub, auth)
    emulator.add_fault(path="/v1/checkout/sessions", method="POST", drop="after", times=1)
    response = await stub.CreateCheckout(
        checkout_request(product.id, customer.id, ""), metadata=auth, timeout=10
    )
    assert response.checkout_session_id.startswith("cs_")
    assert counts(emulator) == (1, 1, 1)


@pytest.mark.parametrize(
    "header", [{"grpc-timeout": "1n"}, {"X-Request-Timeout": "0.000001"}], ids=["grpc", "x"]
)
async def test_http_call_whose_deadline_passed_does_no_stripe_work(
    settings: Settings, emulator: EmulatorHandle, header: dict[str, str]
) -> None:
    async with (
        running_service(replace(settings, http_addr="127.0.0.1:0")) as service,
        aiohttp.ClientSession() as client,
        client.post(
            f"http://{service.http_address}/v1/customers",
            json={"email": "a@example.com"},
            headers={"x-api-key": API_KEY, **header},
        ) as response,
    ):
        body = await response.json()
    assert response.status == 504, body
    assert v1_requests(emulator.stats()) == 0
