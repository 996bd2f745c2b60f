"""Domain errors → gRPC code + google.rpc.Status with ErrorInfo, BadRequest, RetryInfo."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2

from domain import errors
from service.auth import Unauthenticated
from service.draining import ShuttingDown
from service.http import status_json
from service.status import ERROR_DOMAIN, to_rpc_status

STRIPE = errors.ProviderContext(request_id="req_123", error_code="resource_missing")


def unpack(status: Any, kind: Any) -> Any:
    for detail in status.details:
        if detail.Is(kind.DESCRIPTOR):
            message = kind()
            detail.Unpack(message)
            return message
    return None


@pytest.mark.parametrize(
    ("error", "code", "reason"),
    [
        (
            errors.InvalidInput([errors.Violation("email", "bad")]),
            "INVALID_ARGUMENT",
            "VALIDATION_FAILED",
        ),
        (errors.ProviderRejected("no"), "INVALID_ARGUMENT", "STRIPE_INVALID_REQUEST"),
        (errors.NotFound("customer", "cus_1"), "NOT_FOUND", "CUSTOMER_NOT_FOUND"),
        (
            errors.ExternalProductIdTaken("SKU", "prod_1"),
            "ALREADY_EXISTS",
            "EXTERNAL_PRODUCT_ID_TAKEN",
        ),
        (
            errors.RequestIdReused("CreateCustomer", "r1"),
            "FAILED_PRECONDITION",
            "REQUEST_ID_REUSED",
        ),
        (
            errors.ProductNotPurchasable("prod_1", "archived"),
            "FAILED_PRECONDITION",
            "PRODUCT_NOT_PURCHASABLE",
        ),
        (errors.RequestConflict("busy", retry_after_seconds=1), "ABORTED", "REQUEST_IN_PROGRESS"),
        (
            errors.RateLimited("slow", retry_after_seconds=1.5),
            "RESOURCE_EXHAUSTED",
            "STRIPE_RATE_LIMITED",
        ),
        (
            errors.ProviderUnavailable("down", retry_after_seconds=2),
            "UNAVAILABLE",
            "STRIPE_UNAVAILABLE",
        ),
        (
            errors.ProviderMisconfigured("Invalid API Key provided: sk_test_****"),
            "INTERNAL",
            "STRIPE_AUTHENTICATION_FAILED",
        ),
        (errors.DeadlineExceeded("late"), "DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED"),
        (Unauthenticated("missing", "API_KEY_MISSING"), "UNAUTHENTICATED", "API_KEY_MISSING"),
        (ShuttingDown(), "UNAVAILABLE", "SHUTTING_DOWN"),
    ],
)
def test_code_and_reason(error: errors.DomainError, code: str, reason: str) -> None:
    mapped = to_rpc_status(error)
    assert mapped.code.name == code
    assert mapped.status.code == getattr(grpc.StatusCode, code).value[0]
    info = unpack(mapped.status, error_details_pb2.ErrorInfo)
    assert (info.reason, info.domain) == (reason, ERROR_DOMAIN)


def test_metadata_carries_ids_and_stripe_context() -> None:
    mapped = to_rpc_status(errors.NotFound("product", "prod_9", provider=STRIPE))
    info = unpack(mapped.status, error_details_pb2.ErrorInfo)
    assert dict(info.metadata) == {
        "product_id": "prod_9",
        "stripe_request_id": "req_123",
        "stripe_error_code": "resource_missing",
    }


@pytest.mark.parametrize(
    "error",
    [
        errors.RateLimited("slow", retry_after_seconds=1.5),
        errors.ProviderUnavailable("down", retry_after_seconds=1.5),
        errors.RequestConflict("busy", retry_after_seconds=1.5),
    ],
)
def test_retry_info_from_retry_after(error: errors.RetryableError) -> None:
    retry = unpack(to_rpc_status(error).status, error_details_pb2.RetryInfo)
    assert (retry.retry_delay.seconds, retry.retry_delay.nanos) == (1, 500_000_000)


def test_shutting_down_says_where_to_retry_and_when() -> None:
    status = to_rpc_status(ShuttingDown()).status
    assert status.message == "the service is shutting down; retry on another instance"
    retry = unpack(status, error_details_pb2.RetryInfo)
    assert (retry.retry_delay.seconds, retry.retry_delay.nanos) == (1, 0)


def test_no_retry_info_where_retrying_cannot_help() -> None:
    status = to_rpc_status(errors.NotFound("customer", "cus_1")).status
    assert unpack(status, error_details_pb2.RetryInfo) is None


def test_bad_request_lists_every_violation() -> None:
    violations = [errors.Violation("email", "bad"), errors.Violation('metadata["k"]', "long")]
    bad = unpack(
        to_rpc_status(errors.InvalidInput(violations)).status, error_details_pb2.BadRequest
    )
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("email", "bad"),
        ('metadata["k"]', "long"),
    ]


def test_provider_misconfigured_message_is_safe() -> None:
    mapped = to_rpc_status(errors.ProviderMisconfigured("Invalid API Key provided: sk_test_****"))
    assert "sk_test" not in mapped.status.message
    assert "credentials" in mapped.status.message


def test_unexpected_exception_is_internal_with_a_reference() -> None:
    mapped = to_rpc_status(KeyError("secret detail"), reference="ref-1")
    assert mapped.code == grpc.StatusCode.INTERNAL
    assert mapped.status.message == "internal error; reference ref-1"
    info = unpack(mapped.status, error_details_pb2.ErrorInfo)
    assert (info.reason, info.metadata["reference"]) == ("INTERNAL", "ref-1")


SERVICE = Path(__file__).resolve().parents[2] / "service"


def _service_sources() -> dict[str, str]:
    return {str(p.relative_to(SERVICE)): p.read_text() for p in SERVICE.rglob("*.py")}


def test_one_error_domain_and_one_status_builder() -> None:
    """ErrorInfo.domain is spelled once, and only service/status.py packs details."""
    sources = _service_sources()
    assert [n for n, text in sources.items() if '"payments.internal"' in text] == ["status.py"]
    assert [n for n, text in sources.items() if ".Pack(" in text] == ["status.py"]
    assert status_json.ERROR_DOMAIN is ERROR_DOMAIN


def test_one_grpc_code_lookup() -> None:
    """A google.rpc.Code number becomes a grpc.StatusCode only in status_json.code_of."""
    sources = _service_sources()
    lookups = [n for n, text in sources.items() if re.search(r"in grpc\.StatusCode\b", text)]
    assert lookups == [str(Path("http") / "status_json.py")]


def test_http_layer_status_matches_the_domain_mapping() -> None:
    """The HTTP layer's own errors are built like the domain's: same details, same bytes."""
    from_http = status_json.make_status(
        grpc.StatusCode.INVALID_ARGUMENT,
        "invalid request: email: bad",
        reason="VALIDATION_FAILED",
        field_violations={"email": "bad"},
    )
    from_domain = to_rpc_status(errors.InvalidInput([errors.Violation("email", "bad")])).status
    assert from_http.SerializeToString() == from_domain.SerializeToString()
    assert status_json.code_of(from_http.code) is grpc.StatusCode.INVALID_ARGUMENT
    assert status_json.code_of(99) is grpc.StatusCode.UNKNOWN
