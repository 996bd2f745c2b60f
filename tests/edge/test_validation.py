"""One test per protovalidate rule in the proto: INVALID_ARGUMENT, a BadRequest entry for the
field, reason VALIDATION_FAILED, and no Stripe request."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from payments.v1 import payments_pb2
from tests.conftest import Stub, rich_details
from tests.fake_gateway import FakeGateway

Metadata = tuple[tuple[str, str], ...]

VALID_CUSTOMER: dict[str, Any] = {"email": "jane@example.com"}
VALID_PRODUCT: dict[str, Any] = {
    "name": "T-shirt",
    "unit_amount": 2500,
    "currency": "usd",
    "external_product_id": "SKU-1",
}
VALID_CHECKOUT: dict[str, Any] = {"product_id": "prod_1", "customer_id": "cus_1"}
VALID_EXPIRE: dict[str, Any] = {"checkout_session_id": "cs_test_1"}
VALID_LIST: dict[str, Any] = {"customer_id": "cus_1"}


def _case(rpc: str, base: dict[str, Any], field: str, **override: Any) -> Any:
    request_type = getattr(payments_pb2, f"{rpc}Request")
    return pytest.param(rpc, request_type(**{**base, **override}), field, id=f"{rpc}-{field}")


def _metadata_cases(rpc: str, base: dict[str, Any], max_pairs: int) -> list[Any]:
    too_many = {f"k{i}": "v" for i in range(max_pairs + 1)}
    return [
        _case(rpc, base, "metadata", metadata=too_many),
        _case(rpc, base, 'metadata[""]', metadata={"": "v"}),
        _case(rpc, base, f'metadata["{"k" * 41}"]', metadata={"k" * 41: "v"}),
        _case(rpc, base, 'metadata["k"]', metadata={"k": "v" * 501}),
        # Stripe refuses keys with brackets (STRIPE_INVALID_REQUEST) and drops empty values.
        pytest.param(
            rpc,
            getattr(payments_pb2, f"{rpc}Request")(**{**base, "metadata": {"a[b]": "v"}}),
            'metadata["a[b]"]',
            id=f"{rpc}-metadata-key-no_brackets-open",
        ),
        pytest.param(
            rpc,
            getattr(payments_pb2, f"{rpc}Request")(**{**base, "metadata": {"ab]": "v"}}),
            'metadata["ab]"]',
            id=f"{rpc}-metadata-key-no_brackets-close",
        ),
        pytest.param(
            rpc,
            getattr(payments_pb2, f"{rpc}Request")(**{**base, "metadata": {"k": ""}}),
            'metadata["k"]',
            id=f"{rpc}-metadata-value-min_len",
        ),
    ]


def _request_id_cases(rpc: str, base: dict[str, Any]) -> list[Any]:
    return [
        pytest.param(
            rpc,
            getattr(payments_pb2, f"{rpc}Request")(**{**base, "request_id": "x" * 37}),
            "request_id",
            id=f"{rpc}-request_id-max_len",
        ),
        pytest.param(
            rpc,
            getattr(payments_pb2, f"{rpc}Request")(**{**base, "request_id": "has space"}),
            "request_id",
            id=f"{rpc}-request_id-pattern",
        ),
    ]


RULES = [
    # CreateCustomerRequest
    _case("CreateCustomer", VALID_CUSTOMER, "email", email=""),
    pytest.param(
        "CreateCustomer",
        payments_pb2.CreateCustomerRequest(email="not-an-email"),
        "email",
        id="CreateCustomer-email-format",
    ),
    pytest.param(
        "CreateCustomer",
        payments_pb2.CreateCustomerRequest(email="jane@localhost"),
        "email",
        id="CreateCustomer-email-dotted_domain",
    ),
    pytest.param(
        "CreateCustomer",
        payments_pb2.CreateCustomerRequest(email=f"{'a' * 64}@{'b' * 60}.{'c' * 390}.com"),
        "email",
        id="CreateCustomer-email-max_len",
    ),
    _case("CreateCustomer", VALID_CUSTOMER, "name", name="n" * 257),
    *_metadata_cases("CreateCustomer", VALID_CUSTOMER, 50),
    *_request_id_cases("CreateCustomer", VALID_CUSTOMER),
    # CreateProductRequest
    _case("CreateProduct", VALID_PRODUCT, "name", name=""),
    pytest.param(
        "CreateProduct",
        payments_pb2.CreateProductRequest(**{**VALID_PRODUCT, "name": "n" * 251}),
        "name",
        id="CreateProduct-name-max_len",
    ),
    _case("CreateProduct", VALID_PRODUCT, "description", description="d" * 5001),
    _case("CreateProduct", VALID_PRODUCT, "unit_amount", unit_amount=0),
    pytest.param(
        "CreateProduct",
        payments_pb2.CreateProductRequest(**{**VALID_PRODUCT, "unit_amount": 100_000_000}),
        "unit_amount",
        id="CreateProduct-unit_amount-lte",
    ),
    _case("CreateProduct", VALID_PRODUCT, "currency", currency=""),
    pytest.param(
        "CreateProduct",
        payments_pb2.CreateProductRequest(**{**VALID_PRODUCT, "currency": "us1"}),
        "currency",
        id="CreateProduct-currency-pattern",
    ),
    _case("CreateProduct", VALID_PRODUCT, "external_product_id", external_product_id=""),
    pytest.param(
        "CreateProduct",
        payments_pb2.CreateProductRequest(**{**VALID_PRODUCT, "external_product_id": "x" * 101}),
        "external_product_id",
        id="CreateProduct-external_product_id-max_len",
    ),
    pytest.param(
        "CreateProduct",
        payments_pb2.CreateProductRequest(**{**VALID_PRODUCT, "external_product_id": "a b"}),
        "external_product_id",
        id="CreateProduct-external_product_id-pattern",
    ),
    *_metadata_cases("CreateProduct", VALID_PRODUCT, 49),
    pytest.param(
        "CreateProduct",
        payments_pb2.CreateProductRequest(
            **{**VALID_PRODUCT, "metadata": {"external_product_id": "x"}}
        ),
        'metadata["external_product_id"]',
        id="CreateProduct-metadata-key-not_in",
    ),
    *_request_id_cases("CreateProduct", VALID_PRODUCT),
    # GetProductRequest
    pytest.param("GetProduct", payments_pb2.GetProductRequest(), "lookup", id="GetProduct-oneof"),
    pytest.param(
        "GetProduct",
        payments_pb2.GetProductRequest(product_id="xx_1"),
        "product_id",
        id="GetProduct-product_id-prefix",
    ),
    pytest.param(
        "GetProduct",
        payments_pb2.GetProductRequest(product_id="prod_" + "x" * 251),
        "product_id",
        id="GetProduct-product_id-max_len",
    ),
    pytest.param(
        "GetProduct",
        payments_pb2.GetProductRequest(external_product_id="x" * 101),
        "external_product_id",
        id="GetProduct-external_product_id-max_len",
    ),
    pytest.param(
        "GetProduct",
        payments_pb2.GetProductRequest(external_product_id="a b"),
        "external_product_id",
        id="GetProduct-external_product_id-pattern",
    ),
    # CreateCheckoutRequest
    _case("CreateCheckout", VALID_CHECKOUT, "product_id", product_id=""),
    pytest.param(
        "CreateCheckout",
        payments_pb2.CreateCheckoutRequest(**{**VALID_CHECKOUT, "product_id": "cus_1"}),
        "product_id",
        id="CreateCheckout-product_id-prefix",
    ),
    pytest.param(
        "CreateCheckout",
        payments_pb2.CreateCheckoutRequest(**{**VALID_CHECKOUT, "product_id": "prod_" + "x" * 251}),
        "product_id",
        id="CreateCheckout-product_id-max_len",
    ),
    _case("CreateCheckout", VALID_CHECKOUT, "customer_id", customer_id=""),
    pytest.param(
        "CreateCheckout",
        payments_pb2.CreateCheckoutRequest(**{**VALID_CHECKOUT, "customer_id": "prod_1"}),
        "customer_id",
        id="CreateCheckout-customer_id-prefix",
    ),
    pytest.param(
        "CreateCheckout",
        payments_pb2.CreateCheckoutRequest(**{**VALID_CHECKOUT, "customer_id": "cus_" + "x" * 252}),
        "customer_id",
        id="CreateCheckout-customer_id-max_len",
    ),
    _case("CreateCheckout", VALID_CHECKOUT, "quantity", quantity=-1),
    pytest.param(
        "CreateCheckout",
        payments_pb2.CreateCheckoutRequest(**{**VALID_CHECKOUT, "quantity": 1000}),
        "quantity",
        id="CreateCheckout-quantity-lte",
    ),
    _case("CreateCheckout", VALID_CHECKOUT, "success_url", success_url="ftp://x"),
    pytest.param(
        "CreateCheckout",
        payments_pb2.CreateCheckoutRequest(
            **{**VALID_CHECKOUT, "success_url": "https://e.com/" + "p" * 2040}
        ),
        "success_url",
        id="CreateCheckout-success_url-max_len",
    ),
    _case("CreateCheckout", VALID_CHECKOUT, "cancel_url", cancel_url="https:// x"),
    pytest.param(
        "CreateCheckout",
        payments_pb2.CreateCheckoutRequest(
            **{**VALID_CHECKOUT, "cancel_url": "https://e.com/" + "p" * 2040}
        ),
        "cancel_url",
        id="CreateCheckout-cancel_url-max_len",
    ),
    *_metadata_cases("CreateCheckout", VALID_CHECKOUT, 50),
    *_request_id_cases("CreateCheckout", VALID_CHECKOUT),
    _case("CreateCheckout", VALID_CHECKOUT, "client_reference_id", client_reference_id="o" * 201),
    pytest.param(
        "CreateCheckout",
        payments_pb2.CreateCheckoutRequest(
            **VALID_CHECKOUT, expire_time=timestamp_pb2.Timestamp(seconds=1)
        ),
        "expire_time",
        id="CreateCheckout-expire_time-stripe_window",
    ),
    # ExpireCheckoutRequest
    _case("ExpireCheckout", VALID_EXPIRE, "checkout_session_id", checkout_session_id=""),
    pytest.param(
        "ExpireCheckout",
        payments_pb2.ExpireCheckoutRequest(checkout_session_id="cs_" + "x" * 253),
        "checkout_session_id",
        id="ExpireCheckout-checkout_session_id-max_len",
    ),
    pytest.param(
        "ExpireCheckout",
        payments_pb2.ExpireCheckoutRequest(checkout_session_id="pi_1"),
        "checkout_session_id",
        id="ExpireCheckout-checkout_session_id-kind",
    ),
    *_request_id_cases("ExpireCheckout", VALID_EXPIRE),
    # ListPaymentsRequest
    pytest.param(
        "ListPayments",
        payments_pb2.ListPaymentsRequest(),
        "customer_id",
        id="ListPayments-oneof",
    ),
    _case("ListPayments", {}, "client_reference_id", client_reference_id="o" * 201),
    _case("ListPayments", VALID_LIST, "customer_id", customer_id="prod_1"),
    pytest.param(
        "ListPayments",
        payments_pb2.ListPaymentsRequest(customer_id="cus_" + "x" * 252),
        "customer_id",
        id="ListPayments-customer_id-max_len",
    ),
    _case("ListPayments", VALID_LIST, "page_size", page_size=-1),
    _case("ListPayments", VALID_LIST, "page_token", page_token="t" * 1025),
    # GetPaymentStatusRequest
    pytest.param(
        "GetPaymentStatus", payments_pb2.GetPaymentStatusRequest(), "id", id="GetPaymentStatus-id"
    ),
    pytest.param(
        "GetPaymentStatus",
        payments_pb2.GetPaymentStatusRequest(id="cs_" + "x" * 253),
        "id",
        id="GetPaymentStatus-id-max_len",
    ),
    pytest.param(
        "GetPaymentStatus",
        payments_pb2.GetPaymentStatusRequest(id="xx_1"),
        "id",
        id="GetPaymentStatus-id-pattern",
    ),
]


@pytest.mark.parametrize(("rpc", "request_message", "field"), RULES)
async def test_each_rule_reports_its_field(
    stub: Stub,
    auth: Metadata,
    gateway: FakeGateway,
    rpc: str,
    request_message: Message,
    field: str,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await getattr(stub, rpc)(request_message, metadata=auth, timeout=5)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = rich_details(raised.value)
    assert details["error_info"].reason == "VALIDATION_FAILED"
    fields = [v.field for v in details["bad_request"].field_violations]
    assert field in fields
    assert all(v.description for v in details["bad_request"].field_violations)
    assert (raised.value.details() or "").startswith(f"invalid {rpc}Request: ")
    assert gateway.calls == []


async def test_bracket_key_and_empty_value_say_why(stub: Stub, auth: Metadata) -> None:
    request = payments_pb2.CreateCustomerRequest(
        email="jane@example.com", metadata={"items[0]": "v", "k": ""}
    )
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(request, metadata=auth, timeout=5)
    details = rich_details(raised.value)
    violations = {v.field: v.description for v in details["bad_request"].field_violations}
    assert set(violations) == {'metadata["items[0]"]', 'metadata["k"]'}
    assert "must not contain '[' or ']'" in violations['metadata["items[0]"]']


async def test_every_violation_in_one_answer(
    stub: Stub, auth: Metadata, gateway: FakeGateway
) -> None:
    request = payments_pb2.CreateProductRequest(
        name="",
        unit_amount=0,
        currency="dollars",
        external_product_id="has space",
        metadata={"": "v", "external_product_id": "x", "k": "v" * 501},
        request_id="x" * 37,
    )
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateProduct(request, metadata=auth, timeout=5)
    details = rich_details(raised.value)
    violations = {v.field: v.description for v in details["bad_request"].field_violations}
    assert set(violations) == {
        "name",
        "unit_amount",
        "currency",
        "external_product_id",
        'metadata[""]',
        'metadata["external_product_id"]',
        'metadata["k"]',
        "request_id",
    }
    assert violations['metadata[""]'].startswith("key: ")
    assert violations["unit_amount"].startswith("must be greater than 0")
    message = raised.value.details() or ""
    assert message.startswith("invalid CreateProductRequest: name: value is required; ")
    assert "unit_amount: must be greater than 0" in message
    assert gateway.calls == []
