"""Each RPC's success path over HTTP/JSON, through the real service over a fake gateway."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import API_KEY
from tests.edge.conftest import Stack

REPO = Path(__file__).resolve().parents[2]


async def create_customer(stack: Stack, **fields: Any) -> dict[str, Any]:
    status, body = await stack.call(
        "POST", "/v1/customers", json={"email": "jane@example.com", "name": "Jane", **fields}
    )
    assert status == 200, body
    customer: dict[str, Any] = body["customer"]
    return customer


async def create_product(stack: Stack, sku: str = "SKU-1", **fields: Any) -> dict[str, Any]:
    request = {
        "name": "T-shirt",
        "unitAmount": "2500",
        "currency": "usd",
        "externalProductId": sku,
        **fields,
    }
    status, body = await stack.call("POST", "/v1/products", json=request)
    assert status == 200, body
    product: dict[str, Any] = body["product"]
    return product


async def test_create_customer_answers_lower_camel_case_json(stack: Stack) -> None:
    customer = await create_customer(stack, metadata={"crm_id": "4711"})

    assert customer["id"].startswith("cus_")
    assert customer["email"] == "jane@example.com"
    assert customer["metadata"] == {"crm_id": "4711"}
    assert "createTime" in customer
    assert "create_time" not in customer


async def test_request_id_makes_create_customer_safe_to_retry(stack: Stack) -> None:
    request_id = str(uuid.uuid4())
    first = await create_customer(stack, request_id=request_id)
    again = await create_customer(stack, requestId=request_id)  # the JSON name, too

    assert again["id"] == first["id"]


async def test_create_product_accepts_proto_and_json_field_names(stack: Stack) -> None:
    status, body = await stack.call(
        "POST",
        "/v1/products",
        json={
            "name": "Mug",
            "description": "Stoneware",
            "unit_amount": 1200,  # proto name, a JSON number
            "currency": "EUR",
            "external_product_id": "SKU-MUG",
        },
    )

    assert status == 200, body
    product = body["product"]
    assert product["id"].startswith("prod_")
    assert product["unitAmount"] == "1200"  # int64 is a string in the JSON mapping
    assert product["currency"] == "eur"
    assert product["externalProductId"] == "SKU-MUG"
    assert product["priceId"].startswith("price_")


async def test_get_product_by_path_id(stack: Stack) -> None:
    created = await create_product(stack)

    status, body = await stack.call("GET", f"/v1/products/{created['id']}")

    assert status == 200, body
    assert body["product"] == created


@pytest.mark.parametrize("param", ["external_product_id", "externalProductId"])
async def test_get_product_by_query_external_id(stack: Stack, param: str) -> None:
    sku = "SKU/A&B?=1+%"  # characters that need escaping in a query string
    created = await create_product(stack, sku)

    status, body = await stack.call("GET", "/v1/products", params={param: sku})

    assert status == 200, body
    assert body["product"] == created


async def test_checkout_then_payment_status_by_session_and_intent(stack: Stack) -> None:
    customer = await create_customer(stack)
    product = await create_product(stack)

    status, checkout = await stack.call(
        "POST",
        "/v1/payments/checkout",
        json={
            "productId": product["id"],
            "customerId": customer["id"],
            "quantity": 2,
            "successUrl": "https://shop.example.com/paid",
        },
    )
    assert status == 200, checkout
    session_id = checkout["checkoutSessionId"]
    assert session_id.startswith("cs_")
    assert checkout["amountTotal"] == "5000"
    assert checkout["url"]

    status, report = await stack.call("GET", f"/v1/payments/{session_id}")
    assert status == 200, report
    assert report["status"] == "PAYMENT_STATUS_OPEN"

    stack.gateway.pay(session_id)
    status, report = await stack.call("GET", f"/v1/payments/{session_id}")
    assert status == 200, report
    assert report["status"] == "PAYMENT_STATUS_SUCCEEDED"
    intent_id = report["paymentIntentId"]

    status, by_intent = await stack.call("GET", f"/v1/payments/{intent_id}")
    assert status == 200, by_intent
    assert by_intent["status"] == "PAYMENT_STATUS_SUCCEEDED"
    assert by_intent["customerId"] == customer["id"]


async def test_bearer_authorization_is_accepted(stack: Stack) -> None:
    async with stack.client.post(
        stack.url + "/v1/customers",
        json={"email": "bob@example.com"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    ) as response:
        assert response.status == 200, await response.text()


async def test_openapi_document_is_served_without_a_key(stack: Stack) -> None:
    async with stack.client.get(stack.url + "/openapi.json") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        document = await response.json()

    on_disk = json.loads((REPO / "generated/payments/v1/payments.swagger.json").read_text())
    here = stack.url.removeprefix("http://")
    assert document == {**on_disk, "host": here, "schemes": ["http"]}  # where it is read from
    assert document["swagger"] == "2.0"


async def test_one_access_log_line_per_request_without_the_key(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="service.http.access")

    await create_customer(stack)
    await stack.call("GET", "/v1/products/prod_missing")

    lines = [r.getMessage() for r in caplog.records if r.name == "service.http.access"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("POST /v1/customers 200 rpc=CreateCustomer")
    assert lines[1].startswith("GET /v1/products/prod_missing 404 rpc=GetProduct")
    assert "reason=PRODUCT_NOT_FOUND" in lines[1]
    assert all(API_KEY not in r.getMessage() for r in caplog.records)
