"""Stripe's exceptions, turned into the domain's errors.

Decisions:
- `resource_missing` names the missing object by the request's own ids: the object a retrieve
  reads (param `id`), or the id a create references (param `customer`). Only the kinds in
  `NotFoundKind` are reported as NotFound, so every reason stays documented: a checkout's missing
  price (`line_items[0][price]`) means the product has no usable price, ProductNotPurchasable,
  and a missing object the call did not name is ProviderRejected (with Stripe's `param`).
- Any other InvalidRequestError is ProviderRejected, not InvalidInput: the use cases validate
  input before it gets here, and Stripe's `param` names Stripe's field, not one of our API's
  fields, so it travels in the ProviderContext (`param`; the edge publishes it as `stripe_param`)
  for debugging instead of as a Violation.
- 409 `idempotency_key_in_use` (a concurrent request with the same key is still running, and the
  SDK's own retries did not outlast it) is RequestConflict, retryable after
  IN_PROGRESS_RETRY_AFTER_SECONDS; the caller retries and then gets the first request's result.
  Other 409s (e.g. lock timeouts) and 5xx are ProviderUnavailable.
- Authentication and permission errors become ProviderMisconfigured with a fixed message: Stripe's
  message quotes part of the API key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import stripe

from domain.errors import (
    DomainError,
    ExternalProductIdTaken,
    NotFound,
    NotFoundKind,
    ProductNotPurchasable,
    ProviderContext,
    ProviderMisconfigured,
    ProviderRejected,
    ProviderUnavailable,
    RequestConflict,
    RequestIdReused,
)

_PARAM_WORDS = re.compile(r"[A-Za-z_]+")

IN_PROGRESS_RETRY_AFTER_SECONDS = 1.0
"""RetryInfo of REQUEST_IN_PROGRESS: the first request usually finishes within a second."""


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """What the failing call was about, so errors can name the objects involved.

    `references` maps a Stripe param's last name (`id` for the object a retrieve reads,
    `customer`, …) to the (kind, id) it carried. `taken` is (external id, product id)
    for a product create, where `resource_already_exists` means the external id is taken.
    `sold` is the product id of a checkout, whose price missing means the product cannot be sold.
    """

    operation: str
    request_id: str = ""
    references: Mapping[str, tuple[NotFoundKind, str]] = field(default_factory=dict)
    taken: tuple[str, str] | None = None
    sold: str | None = None


def provider_context(exc: stripe.StripeError) -> ProviderContext:
    return ProviderContext(request_id=exc.request_id, error_code=error_code(exc))


def error_code(exc: stripe.StripeError) -> str | None:
    """Stripe's error code; the SDK sets `exc.code` only for some classes (not APIError or
    RateLimitError), but the parsed error body always has it."""
    if exc.code:
        return exc.code
    code = getattr(exc.error, "code", None)
    return code if isinstance(code, str) else None


def to_domain_error(
    exc: stripe.StripeError, context: ErrorContext, retry_after_seconds: float
) -> DomainError:
    """The domain error for a Stripe failure that this adapter does not retry (any more)."""
    provider = provider_context(exc)
    if isinstance(exc, stripe.IdempotencyError):
        return RequestIdReused(context.operation, context.request_id, provider=provider)
    if isinstance(exc, stripe.InvalidRequestError):
        return _invalid_request(exc, context, provider)
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return ProviderMisconfigured(
            "Stripe refused the service's credentials "
            f"(HTTP {exc.http_status}); the service's Stripe configuration must be fixed",
            provider=provider,
        )
    if exc.http_status == 409 and error_code(exc) == "idempotency_key_in_use":
        return RequestConflict(
            "the same request is still being processed by Stripe; retry shortly",
            retry_after_seconds=IN_PROGRESS_RETRY_AFTER_SECONDS,
            provider=provider,
        )
    if isinstance(exc, stripe.CardError) or _is_client_error(exc):
        return ProviderRejected(
            f"Stripe refused the request: {exc.user_message}", provider=provider
        )
    return ProviderUnavailable(
        f"Stripe could not serve the request ({_describe(exc)})",
        retry_after_seconds=retry_after_seconds,
        provider=provider,
    )


def _invalid_request(
    exc: stripe.InvalidRequestError, context: ErrorContext, provider: ProviderContext
) -> DomainError:
    if exc.code == "resource_missing":
        missing = _missing_object(exc.param, context)
        if missing is not None:
            kind, object_id = missing
            return NotFound(kind, object_id, provider=provider)
        if context.sold is not None and _blamed(exc.param) == "price":
            return ProductNotPurchasable(
                context.sold, "its default price no longer exists", provider=provider
            )
    if exc.code == "resource_already_exists" and context.taken is not None:
        external_id, product_id = context.taken
        return ExternalProductIdTaken(external_id, product_id, provider=provider)
    return ProviderRejected(
        f"Stripe refused the request: {exc.user_message}",
        provider=replace(provider, param=exc.param or None),
    )


def _missing_object(param: str | None, context: ErrorContext) -> tuple[NotFoundKind, str] | None:
    """(kind, id) of the missing object, from the param Stripe blamed; the call's target else;
    None when the call named no object of a kind NotFound reports."""
    blamed = _blamed(param)
    if blamed in context.references:
        return context.references[blamed]
    return context.references.get("id")


def _blamed(param: str | None) -> str:
    """The last name in Stripe's param (`price` for `line_items[0][price]`); "" for none."""
    words = _PARAM_WORDS.findall(param or "")
    return words[-1] if words else ""


def _is_client_error(exc: stripe.StripeError) -> bool:
    return exc.http_status is not None and 400 <= exc.http_status < 500


def _describe(exc: stripe.StripeError) -> str:
    if isinstance(exc, stripe.APIConnectionError):
        return "network error"
    return f"HTTP {exc.http_status}" if exc.http_status else type(exc).__name__
