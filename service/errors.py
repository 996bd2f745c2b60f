"""The one error vocabulary: every ErrorInfo reason the service answers with, its gRPC code and
its HTTP status, and the translation of any failure into a google.rpc.Status.

docs/errors.md is the user-facing table of the same rows (tests/e2e/test_error_table.py reads it
and provokes each). Two families of errors reach the edge:
- the domain's (`domain.errors`), each class published under one `Problem` (`DOMAIN_PROBLEMS`);
- the edge's own (`EdgeError`): a missing key, a body that is not JSON, a drain in progress, …,
  each naming its `Problem` as data.
Anything else is a bug: INTERNAL with a reference, logged with its traceback under it.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from domain import errors

log = logging.getLogger("service.errors")

ERROR_DOMAIN = "payments.internal"
"""ErrorInfo.domain of every error; the proto's service comment names the same value."""

# grpc-gateway's runtime.HTTPStatusFromCode: the HTTP status of each code on the HTTP door.
HTTP_STATUS_BY_CODE: Mapping[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One documented error: its ErrorInfo reason, gRPC code, and HTTP status where it is not
    grpc-gateway's for the code."""

    reason: str
    code: grpc.StatusCode
    http_status_override: int | None = None

    @property
    def http_status(self) -> int:
        return self.http_status_override or HTTP_STATUS_BY_CODE[self.code]


_C = grpc.StatusCode
# The domain's errors.
VALIDATION_FAILED = Problem("VALIDATION_FAILED", _C.INVALID_ARGUMENT)
STRIPE_INVALID_REQUEST = Problem("STRIPE_INVALID_REQUEST", _C.INVALID_ARGUMENT)
NOT_FOUND: Mapping[errors.NotFoundKind, Problem] = {
    "customer": Problem("CUSTOMER_NOT_FOUND", _C.NOT_FOUND),
    "product": Problem("PRODUCT_NOT_FOUND", _C.NOT_FOUND),
    "checkout_session": Problem("CHECKOUT_SESSION_NOT_FOUND", _C.NOT_FOUND),
    "payment_intent": Problem("PAYMENT_INTENT_NOT_FOUND", _C.NOT_FOUND),
}
EXTERNAL_PRODUCT_ID_TAKEN = Problem("EXTERNAL_PRODUCT_ID_TAKEN", _C.ALREADY_EXISTS)
REQUEST_ID_REUSED = Problem("REQUEST_ID_REUSED", _C.FAILED_PRECONDITION)
PRODUCT_NOT_PURCHASABLE = Problem("PRODUCT_NOT_PURCHASABLE", _C.FAILED_PRECONDITION)
REQUEST_IN_PROGRESS = Problem("REQUEST_IN_PROGRESS", _C.ABORTED)
STRIPE_RATE_LIMITED = Problem("STRIPE_RATE_LIMITED", _C.RESOURCE_EXHAUSTED)
STRIPE_UNAVAILABLE = Problem("STRIPE_UNAVAILABLE", _C.UNAVAILABLE)
STRIPE_AUTHENTICATION_FAILED = Problem("STRIPE_AUTHENTICATION_FAILED", _C.INTERNAL)
DEADLINE_EXCEEDED = Problem("DEADLINE_EXCEEDED", _C.DEADLINE_EXCEEDED)
# The edge's own.
API_KEY_MISSING = Problem("API_KEY_MISSING", _C.UNAUTHENTICATED)
API_KEY_INVALID = Problem("API_KEY_INVALID", _C.UNAUTHENTICATED)
SHUTTING_DOWN = Problem("SHUTTING_DOWN", _C.UNAVAILABLE)
MALFORMED_REQUEST = Problem("MALFORMED_REQUEST", _C.INVALID_ARGUMENT)
INVALID_JSON = Problem("INVALID_JSON", _C.INVALID_ARGUMENT)
INVALID_QUERY_PARAMETER = Problem("INVALID_QUERY_PARAMETER", _C.INVALID_ARGUMENT)
INVALID_TIMEOUT = Problem("INVALID_TIMEOUT", _C.INVALID_ARGUMENT)
UNSUPPORTED_CONTENT_TYPE = Problem("UNSUPPORTED_CONTENT_TYPE", _C.INVALID_ARGUMENT, 415)
BODY_TOO_LARGE = Problem("BODY_TOO_LARGE", _C.INVALID_ARGUMENT, 413)
ROUTE_NOT_FOUND = Problem("ROUTE_NOT_FOUND", _C.NOT_FOUND)
METHOD_NOT_ALLOWED = Problem("METHOD_NOT_ALLOWED", _C.UNIMPLEMENTED, 405)
INTERNAL = Problem("INTERNAL", _C.INTERNAL)


def http_refusal(http_status: int) -> Problem:
    """Any other refusal by the web server itself: `HTTP_<status>`."""
    code = _C.INVALID_ARGUMENT if http_status < 500 else _C.INTERNAL
    return Problem(f"HTTP_{http_status}", code, http_status)


# Most specific first: the first matching class decides. NotFound is published by its kind.
DOMAIN_PROBLEMS: tuple[tuple[type[errors.DomainError], Problem], ...] = (
    (errors.InvalidInput, VALIDATION_FAILED),
    (errors.ProviderRejected, STRIPE_INVALID_REQUEST),
    (errors.ExternalProductIdTaken, EXTERNAL_PRODUCT_ID_TAKEN),
    (errors.RequestIdReused, REQUEST_ID_REUSED),
    (errors.ProductNotPurchasable, PRODUCT_NOT_PURCHASABLE),
    (errors.RequestConflict, REQUEST_IN_PROGRESS),
    (errors.RateLimited, STRIPE_RATE_LIMITED),
    (errors.ProviderUnavailable, STRIPE_UNAVAILABLE),
    (errors.ProviderMisconfigured, STRIPE_AUTHENTICATION_FAILED),
    (errors.DeadlineExceeded, DEADLINE_EXCEEDED),
)

PROVIDER_MISCONFIGURED_MESSAGE = (
    "the payment provider rejected the service's credentials; the service is misconfigured"
)
STRIPE_REQUEST_ID_KEY = "stripe_request_id"
STRIPE_ERROR_CODE_KEY = "stripe_error_code"
STRIPE_PARAM_KEY = "stripe_param"


class EdgeError(Exception):
    """An error the edge finds itself, before or around the use case: its Problem, a message,
    and the details the caller needs (metadata, field violations, a retry delay)."""

    def __init__(
        self,
        problem: Problem,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        violations: Sequence[errors.Violation] = (),
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.metadata = dict(metadata or {})
        self.violations = tuple(violations)
        self.retry_after_seconds = retry_after_seconds


def invalid(problem: Problem, violations: Sequence[errors.Violation], subject: str) -> EdgeError:
    """Invalid input found by the edge: "invalid <subject>: field: what; …"."""
    summary = "; ".join(f"{v.field}: {v.description}" for v in violations)
    return EdgeError(problem, f"invalid {subject}: {summary}", violations=violations)


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed call as both doors answer it."""

    problem: Problem
    status: status_pb2.Status


def failure_of(error: BaseException) -> Failure:
    """The answer to any exception; one that is neither an EdgeError nor a DomainError is a bug,
    logged with its traceback under the reference the caller is given."""
    if isinstance(error, EdgeError):
        return _failure(
            error.problem,
            error.message,
            error.metadata,
            error.violations,
            error.retry_after_seconds,
        )
    if isinstance(error, errors.DomainError):
        return _from_domain_error(error)
    reference = str(uuid.uuid4())
    log.error("unexpected error; reference %s", reference, exc_info=error)
    return _failure(INTERNAL, f"internal error; reference {reference}", {"reference": reference})


def problem_of(error: errors.DomainError) -> Problem:
    if isinstance(error, errors.NotFound):
        return NOT_FOUND[error.kind]
    for error_type, problem in DOMAIN_PROBLEMS:
        if isinstance(error, error_type):
            return problem
    raise TypeError(f"{type(error).__name__} has no row in DOMAIN_PROBLEMS")


def _from_domain_error(error: errors.DomainError) -> Failure:
    message = error.message
    if isinstance(error, errors.ProviderMisconfigured):
        # The provider's own words may mention our key's prefix; the caller needs none of it.
        message = PROVIDER_MISCONFIGURED_MESSAGE
    violations = error.violations if isinstance(error, errors.InvalidInput) else ()
    retry = error.retry_after_seconds if isinstance(error, errors.RetryableError) else None
    metadata = {**error.metadata, **provider_metadata(error.provider)}
    return _failure(problem_of(error), message, metadata, violations, retry)


def provider_metadata(provider: errors.ProviderContext) -> dict[str, str]:
    """The provider's context as ErrorInfo metadata, under the documented `stripe_*` keys."""
    metadata: dict[str, str] = {}
    if provider.param:
        metadata[STRIPE_PARAM_KEY] = provider.param
    if provider.request_id:
        metadata[STRIPE_REQUEST_ID_KEY] = provider.request_id
    if provider.error_code:
        metadata[STRIPE_ERROR_CODE_KEY] = provider.error_code
    return metadata


def _failure(
    problem: Problem,
    message: str,
    metadata: Mapping[str, str],
    violations: Iterable[errors.Violation] = (),
    retry_after_seconds: float | None = None,
) -> Failure:
    info = error_details_pb2.ErrorInfo(
        reason=problem.reason, domain=ERROR_DOMAIN, metadata=metadata
    )
    details: list[Message] = [info]
    field_violations = [
        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
        for v in violations
    ]
    if field_violations:
        details.append(error_details_pb2.BadRequest(field_violations=field_violations))
    if retry_after_seconds is not None:
        details.append(_retry_info(retry_after_seconds))
    status = status_pb2.Status(code=problem.code.value[0], message=message, details=_pack(details))
    return Failure(problem, status)


def _pack(details: Iterable[Message]) -> list[any_pb2.Any]:
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    return packed


def _retry_info(retry_after_seconds: float) -> error_details_pb2.RetryInfo:
    seconds = max(0.0, retry_after_seconds)
    whole = math.floor(seconds)
    delay = duration_pb2.Duration(seconds=whole, nanos=round((seconds - whole) * 1e9))
    return error_details_pb2.RetryInfo(retry_delay=delay)
