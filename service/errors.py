"""The one error vocabulary: every ErrorInfo reason with its gRPC code and HTTP status (the rows
of docs/errors.md), and any failure as a google.rpc.Status. The domain's errors are published by
class (`DOMAIN_PROBLEMS`); the edge's own are `EdgeError`s naming their `Problem`; anything else
is a bug: INTERNAL with a reference, logged with its traceback under it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from domain import errors

log = logging.getLogger("service.errors")

ERROR_DOMAIN = "payments.internal"
"""ErrorInfo.domain of every error; the proto's service comment names the same value."""

# grpc-gateway's runtime.HTTPStatusFromCode for the codes the service answers with.
HTTP_STATUS_BY_CODE: Mapping[grpc.StatusCode, int] = {
    grpc.StatusCode[name]: status
    for status, names in {
        400: "INVALID_ARGUMENT FAILED_PRECONDITION",
        401: "UNAUTHENTICATED",
        404: "NOT_FOUND",
        409: "ALREADY_EXISTS ABORTED",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        501: "UNIMPLEMENTED",
        503: "UNAVAILABLE",
        504: "DEADLINE_EXCEEDED",
    }.items()
    for name in names.split()
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
# The domain's errors: these two, and the rest in DOMAIN_PROBLEMS below.
VALIDATION_FAILED = Problem("VALIDATION_FAILED", _C.INVALID_ARGUMENT)
NOT_FOUND: Mapping[errors.NotFoundKind, Problem] = {
    "customer": Problem("CUSTOMER_NOT_FOUND", _C.NOT_FOUND),
    "product": Problem("PRODUCT_NOT_FOUND", _C.NOT_FOUND),
    "checkout_session": Problem("CHECKOUT_SESSION_NOT_FOUND", _C.NOT_FOUND),
    "payment_intent": Problem("PAYMENT_INTENT_NOT_FOUND", _C.NOT_FOUND),
}
# The edge's own.
API_KEY_MISSING = Problem("API_KEY_MISSING", _C.UNAUTHENTICATED)
API_KEY_INVALID = Problem("API_KEY_INVALID", _C.UNAUTHENTICATED)
SHUTTING_DOWN = Problem("SHUTTING_DOWN", _C.UNAVAILABLE)
TOO_MANY_STREAMS = Problem("TOO_MANY_STREAMS", _C.RESOURCE_EXHAUSTED)
TOO_MANY_CALLS = Problem("TOO_MANY_CALLS", _C.RESOURCE_EXHAUSTED)
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
    (errors.ProviderRejected, Problem("STRIPE_INVALID_REQUEST", _C.INVALID_ARGUMENT)),
    (errors.ExternalProductIdTaken, Problem("EXTERNAL_PRODUCT_ID_TAKEN", _C.ALREADY_EXISTS)),
    (errors.RequestIdReused, Problem("REQUEST_ID_REUSED", _C.FAILED_PRECONDITION)),
    (errors.ProductNotPurchasable, Problem("PRODUCT_NOT_PURCHASABLE", _C.FAILED_PRECONDITION)),
    (errors.CheckoutNotOpen, Problem("CHECKOUT_NOT_OPEN", _C.FAILED_PRECONDITION)),
    (errors.CursorExpired, Problem("CURSOR_EXPIRED", _C.FAILED_PRECONDITION)),
    (errors.WebhookRefused, Problem("WEBHOOK_REFUSED", _C.INVALID_ARGUMENT)),
    (errors.LedgerUnavailable, Problem("LEDGER_UNAVAILABLE", _C.UNAVAILABLE)),
    (errors.RequestConflict, Problem("REQUEST_IN_PROGRESS", _C.ABORTED)),
    (errors.RateLimited, Problem("STRIPE_RATE_LIMITED", _C.RESOURCE_EXHAUSTED)),
    (errors.ProviderUnavailable, Problem("STRIPE_UNAVAILABLE", _C.UNAVAILABLE)),
    (errors.ProviderMisconfigured, Problem("STRIPE_AUTHENTICATION_FAILED", _C.INTERNAL)),
    (errors.DeadlineExceeded, Problem("DEADLINE_EXCEEDED", _C.DEADLINE_EXCEEDED)),
)

PROVIDER_MISCONFIGURED_MESSAGE = (
    "the payment provider rejected the service's credentials; the service is misconfigured"
)


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
    if isinstance(error, errors.DomainError):
        error = _published(error)
    elif not isinstance(error, EdgeError):
        reference = str(uuid.uuid4())
        log.error("unexpected error; reference %s", reference, exc_info=error)
        message = f"internal error; reference {reference}"
        error = EdgeError(INTERNAL, message, metadata={"reference": reference})
    return Failure(error.problem, _status(error))


def problem_of(error: errors.DomainError) -> Problem:
    if isinstance(error, errors.NotFound):
        return NOT_FOUND[error.kind]
    for error_type, problem in DOMAIN_PROBLEMS:
        if isinstance(error, error_type):
            return problem
    raise TypeError(f"{type(error).__name__} has no row in DOMAIN_PROBLEMS")


def _published(error: errors.DomainError) -> EdgeError:
    """A domain error as the edge publishes it: its Problem, and the provider's context as
    ErrorInfo metadata under the documented `stripe_*` keys."""
    message = error.message
    if isinstance(error, errors.ProviderMisconfigured):
        # The provider's own words may mention our key's prefix; the caller needs none of it.
        message = PROVIDER_MISCONFIGURED_MESSAGE
    provider = {
        "stripe_param": error.provider.param,
        "stripe_request_id": error.provider.request_id,
        "stripe_error_code": error.provider.error_code,
    }
    return EdgeError(
        problem_of(error),
        message,
        metadata={**error.metadata, **{key: value for key, value in provider.items() if value}},
        violations=error.violations if isinstance(error, errors.InvalidInput) else (),
        retry_after_seconds=(
            error.retry_after_seconds if isinstance(error, errors.RetryableError) else None
        ),
    )


def _text(value: str) -> str:
    """`value` as valid UTF-8: bytes a request held that are not (decoded by the web server as
    lone surrogates) become U+FFFD, so echoing a bad header never fails the answer itself."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _status(error: EdgeError) -> status_pb2.Status:
    metadata = {_text(key): _text(value) for key, value in error.metadata.items()}
    details: list[Message] = [
        error_details_pb2.ErrorInfo(
            reason=error.problem.reason, domain=ERROR_DOMAIN, metadata=metadata
        )
    ]
    if error.violations:
        bad = [
            error_details_pb2.BadRequest.FieldViolation(
                field=_text(v.field), description=_text(v.description)
            )
            for v in error.violations
        ]
        details.append(error_details_pb2.BadRequest(field_violations=bad))
    if error.retry_after_seconds is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(round(max(0.0, error.retry_after_seconds) * 1e9))
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
    packed = [any_pb2.Any() for _ in details]
    for holder, detail in zip(packed, details, strict=True):
        holder.Pack(detail)
    return status_pb2.Status(
        code=error.problem.code.value[0], message=_text(error.message), details=packed
    )
