"""Errors over HTTP/JSON: google.rpc.Status JSON with grpc-gateway's HTTP status, never a 500."""

from __future__ import annotations

import io
from typing import Any

import pytest

from domain.call import WriteOptions
from domain.customer import Customer, NewCustomer
from service.composition import running_service
from service.errors import HTTP_STATUS_BY_CODE
from tests.conftest import API_KEY
from tests.edge.conftest import Stack, error_info, field_violations, settings_for
from tests.edge.test_routes import create_customer, create_product
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger
from tests.service.test_errors_doc import problems

STATUS_KEYS = {"code", "message", "details"}


async def raw(
    stack: Stack,
    method: str,
    path: str,
    *,
    data: bytes | io.BytesIO | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Sends bytes as they are (no JSON encoding by the client)."""
    all_headers = {"x-api-key": API_KEY, **(headers or {})}
    async with stack.client.request(
        method,
        stack.url + path,
        data=data,
        headers=all_headers,
        skip_auto_headers=["Content-Type"],
    ) as response:
        assert response.content_type == "application/json", await response.text()
        body: dict[str, Any] = await response.json()
        assert set(body) == STATUS_KEYS, body
        return response.status, body, dict(response.headers)


async def test_no_key_is_401_api_key_missing(stack: Stack) -> None:
    async with stack.client.post(
        stack.url + "/v1/customers", json={"email": "a@example.com"}
    ) as response:
        body = await response.json()

    assert response.status == 401
    assert body["code"] == 16
    info = error_info(body)
    assert info["reason"] == "API_KEY_MISSING"
    assert info["domain"] == "payments.internal"


async def test_wrong_key_is_401_api_key_invalid(stack: Stack) -> None:
    status, body = await stack.call(
        "GET", "/v1/products/prod_x", headers={"x-api-key": "not-a-key-of-this-service"}
    )

    assert status == 401
    assert error_info(body)["reason"] == "API_KEY_INVALID"


async def test_the_key_is_checked_before_the_body(stack: Stack) -> None:
    async with stack.client.post(
        stack.url + "/v1/customers",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    ) as response:
        body = await response.json()

    assert response.status == 401
    assert error_info(body)["reason"] == "API_KEY_MISSING"


async def test_validation_failure_is_400_with_bad_request(stack: Stack) -> None:
    status, body = await stack.call(
        "POST",
        "/v1/products",
        json={"name": "", "unitAmount": "0", "currency": "dollars", "externalProductId": "X"},
    )

    assert status == 400
    assert body["code"] == 3
    assert error_info(body)["reason"] == "VALIDATION_FAILED"
    assert set(field_violations(body)) == {"name", "unit_amount", "currency"}


async def test_wrong_field_types_and_unknown_fields_are_400_naming_each_field(stack: Stack) -> None:
    status, body = await stack.call(
        "POST",
        "/v1/products",
        json={
            "name": ["T-shirt"],
            "unitAmount": "twenty",
            "currency": "usd",
            "externalProductId": "SKU-1",
            "metadata": {"k": 1},
            "colour": "red",
        },
    )

    assert status == 400
    assert error_info(body)["reason"] == "INVALID_JSON"
    violations = field_violations(body)
    assert set(violations) == {"name", "unit_amount", "metadata", "colour"}
    assert violations["name"] == "must be a string, not an array"
    assert violations["unit_amount"].startswith("must be an integer")
    assert violations["colour"] == "unknown field of CreateProductRequest"


async def test_the_same_field_under_both_names_is_400(stack: Stack) -> None:
    status, body = await stack.call(
        "POST",
        "/v1/customers",
        json={"email": "a@example.com", "request_id": "a", "requestId": "b"},
    )

    assert status == 400
    assert "request_id" in field_violations(body)


@pytest.mark.parametrize(
    ("payload", "description"),
    [
        (b"{", "is not valid JSON"),
        (b'{"email": "a@example.com",}', "is not valid JSON"),
        (b"[]", "must be a JSON object, not an array"),
        (b'"text"', "must be a JSON object, not a string"),
        (b"null", "must be a JSON object, not null"),
        (b"42", "must be a JSON object, not a number"),
        (b"\xff\xfe{}", "is not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, ""),
        (b'{"email": "a@example.com", "name": ' + b"1" * 5000 + b"}", "is not acceptable JSON"),
    ],
)
async def test_malformed_bodies_are_400_invalid_json(
    stack: Stack, payload: bytes, description: str
) -> None:
    status, body, _ = await raw(
        stack, "POST", "/v1/customers", data=payload, headers={"Content-Type": "application/json"}
    )

    assert status == 400, body
    assert error_info(body)["reason"] == "INVALID_JSON"
    assert field_violations(body)["body"].startswith(description)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
    ],
)
async def test_wrong_content_types_are_415(stack: Stack, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}

    status, body, _ = await raw(
        stack, "POST", "/v1/customers", data=b'{"email": "a@example.com"}', headers=headers
    )

    assert status == 415
    assert body["code"] == 3
    assert error_info(body)["reason"] == "UNSUPPORTED_CONTENT_TYPE"
    assert "Content-Type" in field_violations(body)


async def test_json_with_a_suffix_content_type_is_accepted(stack: Stack) -> None:
    async with stack.client.post(
        stack.url + "/v1/customers",
        data=b'{"email": "a@example.com"}',
        headers={
            "x-api-key": API_KEY,
            "Content-Type": "application/merge-patch+json; charset=UTF-8",
        },
    ) as response:
        assert response.status == 200, await response.text()


async def test_an_empty_body_is_an_empty_message_that_fails_validation(stack: Stack) -> None:
    status, body, _ = await raw(stack, "POST", "/v1/customers", data=b"")

    assert status == 400
    assert error_info(body)["reason"] == "VALIDATION_FAILED"
    assert "email" in field_violations(body)


async def test_oversized_body_is_413(stack: Stack) -> None:
    # In a BytesIO: aiohttp warns (ResourceWarning) that raw bytes over 1 MiB block the loop.
    big = io.BytesIO(b'{"email": "a@example.com", "name": "' + b"x" * (1024 * 1024) + b'"}')

    status, body, _ = await raw(
        stack, "POST", "/v1/customers", data=big, headers={"Content-Type": "application/json"}
    )

    assert status == 413
    assert error_info(body)["reason"] == "BODY_TOO_LARGE"


async def test_unknown_route_is_404_status_json(stack: Stack) -> None:
    status, body, _ = await raw(stack, "GET", "/v2/anything")

    assert status == 404
    assert body["code"] == 5
    assert error_info(body)["reason"] == "ROUTE_NOT_FOUND"


async def test_wrong_method_is_405_with_allow(stack: Stack) -> None:
    status, body, headers = await raw(stack, "DELETE", "/v1/customers")

    assert status == 405
    assert body["code"] == 12
    assert error_info(body)["reason"] == "METHOD_NOT_ALLOWED"
    assert headers["Allow"] == "POST"


async def test_unknown_query_parameter_is_400(stack: Stack) -> None:
    status, body = await stack.call("GET", "/v1/products", params={"sku": "X"})

    assert status == 400
    assert error_info(body)["reason"] == "INVALID_QUERY_PARAMETER"
    assert "sku" in field_violations(body)


@pytest.mark.parametrize("size", ["ten", "1.5", "", "99999999999"])
async def test_an_integer_query_parameter_that_is_no_int32_is_400(stack: Stack, size: str) -> None:
    status, body = await stack.call(
        "GET", "/v1/payments", params={"customerId": "cus_1", "pageSize": size}
    )

    assert status == 400
    assert error_info(body)["reason"] == "INVALID_QUERY_PARAMETER"
    assert field_violations(body)["pageSize"].startswith("must be an integer")


async def test_the_expire_route_takes_post_only(stack: Stack) -> None:
    status, body, headers = await raw(stack, "GET", "/v1/payments/cs_test_1/expire")

    assert status == 405
    assert error_info(body)["reason"] == "METHOD_NOT_ALLOWED"
    assert headers["Allow"] == "POST"


async def test_query_parameters_on_a_body_route_are_400(stack: Stack) -> None:
    status, body = await stack.call(
        "POST", "/v1/customers?email=a@example.com", json={"email": "b@example.com"}
    )

    assert status == 400
    assert "email" in field_violations(body)


async def test_path_and_query_setting_both_oneof_members_is_400(stack: Stack) -> None:
    status, body = await stack.call(
        "GET", "/v1/products/prod_x", params={"external_product_id": "SKU-1"}
    )

    assert status == 400
    assert body["code"] == 3


async def test_neither_lookup_id_fails_validation(stack: Stack) -> None:
    status, body = await stack.call("GET", "/v1/products")

    assert status == 400
    assert error_info(body)["reason"] == "VALIDATION_FAILED"


async def test_unknown_customer_is_404(stack: Stack) -> None:
    product = await create_product(stack)

    status, body = await stack.call(
        "POST",
        "/v1/payments/checkout",
        json={"productId": product["id"], "customerId": "cus_doesnotexist"},
    )

    assert status == 404
    assert error_info(body)["reason"] == "CUSTOMER_NOT_FOUND"


async def test_unknown_product_is_404(stack: Stack) -> None:
    status, body = await stack.call("GET", "/v1/products/prod_doesnotexist")

    assert status == 404
    assert error_info(body)["reason"] == "PRODUCT_NOT_FOUND"
    assert error_info(body)["metadata"]["product_id"] == "prod_doesnotexist"


async def test_unknown_payment_is_404(stack: Stack) -> None:
    status, body = await stack.call("GET", "/v1/payments/cs_test_doesnotexist")

    assert status == 404
    assert body["code"] == 5


async def test_duplicate_external_product_id_is_409(stack: Stack) -> None:
    first = await create_product(stack, "SKU-DUP")

    status, body = await stack.call(
        "POST",
        "/v1/products",
        json={
            "name": "Other",
            "unitAmount": "1",
            "currency": "usd",
            "externalProductId": "SKU-DUP",
        },
    )

    assert status == 409
    assert body["code"] == 6
    info = error_info(body)
    assert info["reason"] == "EXTERNAL_PRODUCT_ID_TAKEN"
    assert info["metadata"]["product_id"] == first["id"]


async def test_request_id_reused_with_other_fields_is_400_failed_precondition(stack: Stack) -> None:
    await create_customer(stack, request_id="same-id")

    status, body = await stack.call(
        "POST", "/v1/customers", json={"email": "other@example.com", "request_id": "same-id"}
    )

    assert status == 400
    assert body["code"] == 9
    assert error_info(body)["reason"] == "REQUEST_ID_REUSED"


async def test_an_expired_deadline_is_504(stack: Stack) -> None:
    status, body = await stack.call("GET", "/v1/products/prod_x", headers={"grpc-timeout": "1n"})

    assert status == 504
    assert body["code"] == 4
    assert error_info(body)["reason"] == "DEADLINE_EXCEEDED"


@pytest.mark.parametrize(
    ("header", "value"), [("grpc-timeout", "5 seconds"), ("X-Request-Timeout", "-1")]
)
async def test_a_malformed_timeout_is_400(stack: Stack, header: str, value: str) -> None:
    status, body = await stack.call("GET", "/v1/products/prod_x", headers={header: value})

    assert status == 400
    assert error_info(body)["reason"] == "INVALID_TIMEOUT"


async def test_a_timeout_header_is_honoured(stack: Stack) -> None:
    status, body = await stack.call(
        "GET", "/v1/products/prod_x", headers={"X-Request-Timeout": "10"}
    )

    assert status == 404, body


class BrokenGateway(FakeGateway):
    async def create_customer(self, new: NewCustomer, options: WriteOptions) -> Customer:
        raise ZeroDivisionError("secret detail")


async def test_an_unexpected_failure_is_500_with_a_reference_only(stack: Stack) -> None:
    async with (
        running_service(
            settings_for(), gateway=BrokenGateway(), ledger=FakeLedger(), grace_seconds=0
        ) as service,
        stack.client.post(
            f"http://{service.http_address}/v1/customers",
            json={"email": "jane@example.com"},
            headers={"x-api-key": API_KEY},
        ) as response,
    ):
        body = await response.json()

    assert response.status == 500
    assert body["code"] == 13
    assert "secret" not in body["message"]
    assert error_info(body)["metadata"]["reference"] in body["message"]


async def test_a_call_while_the_service_drains_is_503_shutting_down(stack: Stack) -> None:
    # A request can reach the app after the stop began, on a connection opened before the
    # listener closed; it is refused like a gRPC call, before the key is even looked at.
    stack.service.drain.begin(grace_seconds=5)
    url = stack.url + "/v1/customers"
    async with stack.client.post(url, json={"email": "late@example.com"}) as response:
        body = await response.json()
    async with stack.client.get(stack.url + "/openapi.json") as document:
        assert document.status == 200  # not a call: still served while draining

    assert response.status == 503
    assert body["code"] == 14  # UNAVAILABLE
    assert body["message"] == "the service is shutting down; retry on another instance"
    assert error_info(body)["reason"] == "SHUTTING_DOWN"
    retry = [d for d in body["details"] if d["@type"].endswith("/google.rpc.RetryInfo")]
    assert retry == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}]
    assert stack.service.drain.in_flight == 0
    assert stack.gateway.calls == []


def test_http_status_per_code_matches_grpc_gateway() -> None:
    """The service's codes, each with grpc-gateway's runtime.HTTPStatusFromCode status; every
    code a Problem uses has one."""
    by_name = {code.name: status for code, status in HTTP_STATUS_BY_CODE.items()}
    used = {problem.code for problem in problems()}
    assert used <= set(HTTP_STATUS_BY_CODE)

    assert (
        by_name.items()
        <= {
            "OK": 200,
            "CANCELLED": 499,
            "UNKNOWN": 500,
            "INVALID_ARGUMENT": 400,
            "DEADLINE_EXCEEDED": 504,
            "NOT_FOUND": 404,
            "ALREADY_EXISTS": 409,
            "PERMISSION_DENIED": 403,
            "UNAUTHENTICATED": 401,
            "RESOURCE_EXHAUSTED": 429,
            "FAILED_PRECONDITION": 400,
            "ABORTED": 409,
            "OUT_OF_RANGE": 400,
            "UNIMPLEMENTED": 501,
            "INTERNAL": 500,
            "UNAVAILABLE": 503,
            "DATA_LOSS": 500,
        }.items()
    )


async def test_the_api_key_is_checked_before_the_timeout_header(stack: Stack) -> None:
    # The gRPC door's order: drain → API key → …; a keyless caller learns about its key first.
    async with stack.client.get(
        stack.url + "/v1/products/prod_x", headers={"X-Request-Timeout": "-1"}
    ) as response:
        body = await response.json()
    assert response.status == 401, body
    assert error_info(body)["reason"] == "API_KEY_MISSING"


async def test_both_ids_of_get_product_name_the_oneof(stack: Stack) -> None:
    status, body = await stack.call("GET", "/v1/products/prod_abc?externalProductId=x")

    assert status == 400, body
    assert body["code"] == 3  # INVALID_ARGUMENT
    assert field_violations(body) == {"lookup": "set only one of product_id, external_product_id"}
    assert "set only one of product_id, external_product_id" in body["message"]
