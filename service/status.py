"""Errors → google.rpc.Status with rich details; pure, so the HTTP gateway reuses it as is.

The one place that builds a Status and its details: the HTTP layer's own errors
(`service.http.status_json.make_status`) go through `build_status` and `error_info` too.

Every non-OK status carries an ErrorInfo (stable `reason`, fixed `domain`, dynamic `metadata`);
invalid input adds a BadRequest, and errors a retry can cure add a RetryInfo.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from domain import errors
from service.auth import Unauthenticated
from service.draining import ShuttingDown

ERROR_DOMAIN = "payments.internal"
"""ErrorInfo.domain of every error; the proto's service comment names the same value."""

INTERNAL_REASON = "INTERNAL"
PROVIDER_MISCONFIGURED_MESSAGE = (
    "the payment provider rejected the service's credentials; the service is misconfigured"
)

# Most specific first: the first matching class decides the code.
_CODES: tuple[tuple[type[errors.DomainError], grpc.StatusCode], ...] = (
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (errors.InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.ProviderRejected, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.ExternalProductIdTaken, grpc.StatusCode.ALREADY_EXISTS),
    (errors.RequestIdReused, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.ProductNotPurchasable, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.RequestConflict, grpc.StatusCode.ABORTED),
    (errors.RateLimited, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.ProviderUnavailable, grpc.StatusCode.UNAVAILABLE),
    (ShuttingDown, grpc.StatusCode.UNAVAILABLE),
    (errors.ProviderMisconfigured, grpc.StatusCode.INTERNAL),
    (errors.DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED),
)


class MappedStatus(NamedTuple):
    """The gRPC code and the google.rpc.Status (whose `code` is the same, as an int)."""

    code: grpc.StatusCode
    status: status_pb2.Status


def new_reference() -> str:
    """An id for one unexpected failure, shown to the caller and logged with the traceback."""
    return str(uuid.uuid4())


def to_rpc_status(error: BaseException, *, reference: str | None = None) -> MappedStatus:
    """Maps any exception; one that is not a DomainError becomes a safe INTERNAL status."""
    if isinstance(error, errors.DomainError):
        return _from_domain_error(error)
    return internal_status(reference or new_reference())


def internal_status(reference: str) -> MappedStatus:
    """INTERNAL that says nothing about the failure except where to find it in the logs."""
    info = error_info(INTERNAL_REASON, {"reference": reference})
    return build_status(grpc.StatusCode.INTERNAL, f"internal error; reference {reference}", [info])


def grpc_code_of(error: errors.DomainError) -> grpc.StatusCode:
    for error_type, code in _CODES:
        if isinstance(error, error_type):
            return code
    return grpc.StatusCode.INTERNAL  # a DomainError subclass nobody mapped yet: a bug here


def _from_domain_error(error: errors.DomainError) -> MappedStatus:
    code = grpc_code_of(error)
    details: list[Message] = [error_info(error.reason, error.metadata)]
    if isinstance(error, errors.InvalidInput):
        details.append(bad_request(error.violations))
    if isinstance(error, errors.RetryableError):
        details.append(_retry_info(error.retry_after_seconds))
    message = error.message
    if isinstance(error, errors.ProviderMisconfigured):
        # The provider's own words may mention our key's prefix; the caller needs none of it.
        message = PROVIDER_MISCONFIGURED_MESSAGE
    return build_status(code, message, details)


def build_status(
    code: grpc.StatusCode,
    message: str,
    details: Iterable[Message],
) -> MappedStatus:
    """The Status with `code` (as its number), `message` and each detail packed in an Any."""
    packed = []
    for detail in details:
        holder = any_pb2.Any()
        holder.Pack(detail)
        packed.append(holder)
    rpc_code: int = code.value[0]
    return MappedStatus(code, status_pb2.Status(code=rpc_code, message=message, details=packed))


def error_info(reason: str, metadata: Mapping[str, str]) -> error_details_pb2.ErrorInfo:
    """The ErrorInfo every non-OK status carries, in the service's one ErrorInfo.domain."""
    return error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata)


def bad_request(violations: Iterable[errors.Violation]) -> error_details_pb2.BadRequest:
    return error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in violations
        ]
    )


def _retry_info(retry_after_seconds: float) -> error_details_pb2.RetryInfo:
    seconds = max(0.0, retry_after_seconds)
    whole = math.floor(seconds)
    delay = duration_pb2.Duration(seconds=whole, nanos=round((seconds - whole) * 1e9))
    return error_details_pb2.RetryInfo(retry_delay=delay)
