"""Errors → google.rpc.Status with rich details; pure, so the HTTP gateway reuses it as is.

The one place that builds a Status and its details: the HTTP layer's own errors
(`service.http.status_json.make_status`) go through `build_status` and `error_info` too.

Every non-OK status carries an ErrorInfo (stable `reason`, fixed `domain`, dynamic `metadata`);
invalid input adds a BadRequest, and errors a retry can cure add a RetryInfo.

The wire vocabulary lives here, not in the domain: `ERROR_TABLE` maps each error class to its gRPC
code and ErrorInfo reason (the public contract of docs/errors.md), and `provider_metadata`
publishes the provider's context (a neutral `ProviderContext` in the domain) under the
documented `stripe_*` keys.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
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

VALIDATION_FAILED_REASON = "VALIDATION_FAILED"
NOT_FOUND_REASON = "{KIND}_NOT_FOUND"
"""The reason of a NotFound: `{KIND}` is its kind in upper case (see `not_found_reason`)."""

STRIPE_REQUEST_ID_KEY = "stripe_request_id"
STRIPE_ERROR_CODE_KEY = "stripe_error_code"
STRIPE_PARAM_KEY = "stripe_param"


class WireError(NamedTuple):
    """How one error class is published: its gRPC code and its ErrorInfo reason."""

    error_type: type[errors.DomainError]
    code: grpc.StatusCode
    reason: str


# Most specific first: the first matching class decides the code and reason. Some name their
# reason per instance (see `reason_of`): NotFound (NOT_FOUND_REASON by kind), Unauthenticated
# (API_KEY_MISSING or API_KEY_INVALID, its own) and InputRejected (the edge's own reason, when it
# names one, instead of VALIDATION_FAILED).
ERROR_TABLE: tuple[WireError, ...] = (
    WireError(Unauthenticated, grpc.StatusCode.UNAUTHENTICATED, "API_KEY_INVALID"),
    WireError(errors.InvalidInput, grpc.StatusCode.INVALID_ARGUMENT, VALIDATION_FAILED_REASON),
    WireError(errors.ProviderRejected, grpc.StatusCode.INVALID_ARGUMENT, "STRIPE_INVALID_REQUEST"),
    WireError(errors.NotFound, grpc.StatusCode.NOT_FOUND, NOT_FOUND_REASON),
    WireError(
        errors.ExternalProductIdTaken, grpc.StatusCode.ALREADY_EXISTS, "EXTERNAL_PRODUCT_ID_TAKEN"
    ),
    WireError(errors.RequestIdReused, grpc.StatusCode.FAILED_PRECONDITION, "REQUEST_ID_REUSED"),
    WireError(
        errors.ProductNotPurchasable, grpc.StatusCode.FAILED_PRECONDITION, "PRODUCT_NOT_PURCHASABLE"
    ),
    WireError(errors.RequestConflict, grpc.StatusCode.ABORTED, "REQUEST_IN_PROGRESS"),
    WireError(errors.RateLimited, grpc.StatusCode.RESOURCE_EXHAUSTED, "STRIPE_RATE_LIMITED"),
    WireError(errors.ProviderUnavailable, grpc.StatusCode.UNAVAILABLE, "STRIPE_UNAVAILABLE"),
    WireError(ShuttingDown, grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN"),
    WireError(
        errors.ProviderMisconfigured, grpc.StatusCode.INTERNAL, "STRIPE_AUTHENTICATION_FAILED"
    ),
    WireError(errors.DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"),
)

_UNMAPPED = WireError(errors.DomainError, grpc.StatusCode.INTERNAL, "DOMAIN_ERROR")
"""A DomainError subclass nobody mapped yet: a bug here."""


class InputRejected(errors.InvalidInput):
    """Invalid input the edge itself finds (unparseable bytes, JSON, path or query, a bad
    timeout header), published under the edge's own `reason` instead of VALIDATION_FAILED."""

    def __init__(
        self,
        violations: Sequence[errors.Violation],
        *,
        reason: str | None = None,
        provider: errors.ProviderContext | None = None,
    ) -> None:
        super().__init__(violations, provider=provider)
        self.reason = reason


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


def wire_error_of(error: errors.DomainError) -> WireError:
    """The table's row for `error`'s class (the first, most specific, that matches)."""
    for row in ERROR_TABLE:
        if isinstance(error, row.error_type):
            return row
    return _UNMAPPED


def grpc_code_of(error: errors.DomainError) -> grpc.StatusCode:
    return wire_error_of(error).code


def not_found_reason(kind: errors.NotFoundKind) -> str:
    return NOT_FOUND_REASON.replace("{KIND}", kind.upper())


def reason_of(error: errors.DomainError) -> str:
    """The ErrorInfo reason of `error`: its class's row, or what the error names per instance."""
    if isinstance(error, errors.NotFound):
        return not_found_reason(error.kind)
    if isinstance(error, Unauthenticated):
        return error.reason
    if isinstance(error, InputRejected) and error.reason:
        return error.reason
    return wire_error_of(error).reason


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


def metadata_of(error: errors.DomainError) -> dict[str, str]:
    """The error's own metadata (ids, …), then the provider's context."""
    return {**error.metadata, **provider_metadata(error.provider)}


def _from_domain_error(error: errors.DomainError) -> MappedStatus:
    code = grpc_code_of(error)
    details: list[Message] = [error_info(reason_of(error), metadata_of(error))]
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
