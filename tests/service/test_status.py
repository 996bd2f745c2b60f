"""Errors → google.rpc.Status with ErrorInfo, BadRequest, RetryInfo (service.errors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2

from domain import errors
from service.draining import shutting_down
from service.errors import API_KEY_MISSING, ERROR_DOMAIN, EdgeError, failure_of

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
        (EdgeError(API_KEY_MISSING, "missing"), "UNAUTHENTICATED", "API_KEY_MISSING"),
        (shutting_down(), "UNAVAILABLE", "SHUTTING_DOWN"),
    ],
)
def test_code_and_reason(error: Exception, code: str, reason: str) -> None:
    mapped = failure_of(error)
    assert mapped.problem.code.name == code
    assert mapped.status.code == getattr(grpc.StatusCode, code).value[0]
    info = unpack(mapped.status, error_details_pb2.ErrorInfo)
    assert (info.reason, info.domain) == (reason, ERROR_DOMAIN)


def test_metadata_carries_ids_and_stripe_context() -> None:
    mapped = failure_of(errors.NotFound("product", "prod_9", provider=STRIPE))
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
    retry = unpack(failure_of(error).status, error_details_pb2.RetryInfo)
    assert (retry.retry_delay.seconds, retry.retry_delay.nanos) == (1, 500_000_000)


def test_shutting_down_says_where_to_retry_and_when() -> None:
    status = failure_of(shutting_down()).status
    assert status.message == "the service is shutting down; retry on another instance"
    retry = unpack(status, error_details_pb2.RetryInfo)
    assert (retry.retry_delay.seconds, retry.retry_delay.nanos) == (1, 0)


def test_no_retry_info_where_retrying_cannot_help() -> None:
    status = failure_of(errors.NotFound("customer", "cus_1")).status
    assert unpack(status, error_details_pb2.RetryInfo) is None


def test_bad_request_lists_every_violation() -> None:
    violations = [errors.Violation("email", "bad"), errors.Violation('metadata["k"]', "long")]
    bad = unpack(failure_of(errors.InvalidInput(violations)).status, error_details_pb2.BadRequest)
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("email", "bad"),
        ('metadata["k"]', "long"),
    ]


def test_provider_misconfigured_message_is_safe() -> None:
    mapped = failure_of(errors.ProviderMisconfigured("Invalid API Key provided: sk_test_****"))
    assert "sk_test" not in mapped.status.message
    assert "credentials" in mapped.status.message


def test_unexpected_exception_is_internal_with_a_logged_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mapped = failure_of(KeyError("secret detail"))
    assert mapped.problem.code == grpc.StatusCode.INTERNAL
    info = unpack(mapped.status, error_details_pb2.ErrorInfo)
    reference = info.metadata["reference"]
    assert (info.reason, mapped.status.message) == (
        "INTERNAL",
        f"internal error; reference {reference}",
    )
    assert "secret detail" not in mapped.status.message
    assert [r.getMessage() for r in caplog.records] == [f"unexpected error; reference {reference}"]


SERVICE = Path(__file__).resolve().parents[2] / "service"


def _service_sources() -> dict[str, str]:
    return {str(p.relative_to(SERVICE)): p.read_text() for p in SERVICE.rglob("*.py")}


def test_one_error_domain_and_one_status_builder() -> None:
    """ErrorInfo.domain is spelled once, and only service/errors.py packs details."""
    sources = _service_sources()
    assert [n for n, text in sources.items() if '"payments.internal"' in text] == ["errors.py"]
    assert [n for n, text in sources.items() if ".Pack(" in text] == ["errors.py"]
