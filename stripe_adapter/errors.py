"""Stripe's failures that mean the same whatever the call: the runner's translations.

What an `InvalidRequestError` means depends on the call (a missing `customer` in a checkout, an
id taken by a product create), so each gateway method translates its own, with `rejected` as the
fallback. Everything here is generic:
- 409 `idempotency_key_in_use` (a concurrent request with the same key is still running, and the
  SDK's own retries did not outlast it) is RequestConflict, retryable after
  IN_PROGRESS_RETRY_AFTER_SECONDS; the caller retries and then gets the first request's result.
  Other 409s (e.g. lock timeouts), 5xx and connection failures are ProviderUnavailable.
- Authentication and permission errors become ProviderMisconfigured with a fixed message: Stripe's
  message quotes part of the API key.
- Any other 4xx is ProviderRejected: the use cases validate input before it gets here, and
  Stripe's `param` names Stripe's field, not one of our API's fields, so it travels in the
  ProviderContext for debugging instead of as a Violation.
"""

from __future__ import annotations

import re
from dataclasses import replace

import stripe

from domain.errors import (
    DomainError,
    ProviderContext,
    ProviderMisconfigured,
    ProviderRejected,
    ProviderUnavailable,
    RequestConflict,
)

_PARAM_WORDS = re.compile(r"[A-Za-z_]+")

IN_PROGRESS_RETRY_AFTER_SECONDS = 1.0
"""RetryInfo of REQUEST_IN_PROGRESS: the first request usually finishes within a second."""


def provider_context(exc: stripe.StripeError) -> ProviderContext:
    return ProviderContext(request_id=exc.request_id, error_code=error_code(exc))


def error_code(exc: stripe.StripeError) -> str | None:
    """Stripe's error code; the SDK sets `exc.code` only for some classes (not APIError or
    RateLimitError), but the parsed error body always has it."""
    if exc.code:
        return exc.code
    code = getattr(exc.error, "code", None)
    return code if isinstance(code, str) else None


def generic_error(exc: stripe.StripeError, retry_after_seconds: float) -> DomainError:
    """The domain error for a Stripe failure that means the same for every call."""
    provider = provider_context(exc)
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


def rejected(exc: stripe.InvalidRequestError) -> ProviderRejected:
    """An invalid request the call has no more specific meaning for, with the param Stripe
    blamed."""
    return ProviderRejected(
        f"Stripe refused the request: {exc.user_message}",
        provider=replace(provider_context(exc), param=exc.param or None),
    )


def is_missing(exc: stripe.InvalidRequestError, param: str | None = None) -> bool:
    """Stripe said an object does not exist; with `param`, the one that param named (by its
    last word: `price` for `line_items[0][price]`)."""
    if exc.code != "resource_missing":
        return False
    return param is None or blamed(exc.param) == param


def blamed(param: str | None) -> str:
    """The last name in Stripe's param (`price` for `line_items[0][price]`); "" for none."""
    words = _PARAM_WORDS.findall(param or "")
    return words[-1] if words else ""


def _is_client_error(exc: stripe.StripeError) -> bool:
    return exc.http_status is not None and 400 <= exc.http_status < 500


def _describe(exc: stripe.StripeError) -> str:
    if isinstance(exc, stripe.APIConnectionError):
        return "network error"
    return f"HTTP {exc.http_status}" if exc.http_status else type(exc).__name__
