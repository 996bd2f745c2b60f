"""Stripe errors → domain errors: only documented reasons come out."""

from __future__ import annotations

import stripe

from domain.errors import (
    NOT_FOUND_KINDS,
    NotFound,
    ProductNotPurchasable,
    ProviderRejected,
    RequestConflict,
)
from stripe_adapter.errors import IN_PROGRESS_RETRY_AFTER_SECONDS, ErrorContext, to_domain_error


def missing(param: str | None) -> stripe.InvalidRequestError:
    return stripe.InvalidRequestError(  # type: ignore[no-untyped-call]
        "No such thing", param, code="resource_missing", http_status=404
    )


def test_missing_object_the_call_did_not_name_is_provider_rejected() -> None:
    error = to_domain_error(missing("line_items[0][tax_rates][0]"), ErrorContext("op"), 1.0)

    assert isinstance(error, ProviderRejected)
    assert error.provider.param == "line_items[0][tax_rates][0]"


def test_missing_object_without_param_is_provider_rejected() -> None:
    error = to_domain_error(missing(None), ErrorContext("op"), 1.0)

    assert isinstance(error, ProviderRejected)


def test_missing_price_of_a_checkout_is_product_not_purchasable() -> None:
    context = ErrorContext(
        "CreateCheckout", references={"customer": ("customer", "cus_1")}, sold="prod_1"
    )

    error = to_domain_error(missing("line_items[0][price]"), context, 1.0)

    assert isinstance(error, ProductNotPurchasable)
    assert error.metadata["product_id"] == "prod_1"


def test_missing_named_object_is_not_found_of_a_known_kind() -> None:
    context = ErrorContext("CreateCheckout", references={"customer": ("customer", "cus_1")})

    error = to_domain_error(missing("customer"), context, 1.0)

    assert isinstance(error, NotFound)
    assert error.kind in NOT_FOUND_KINDS
    assert error.kind == "customer"


def test_idempotency_key_in_use_is_retryable_shortly() -> None:
    exc = stripe.APIError(
        "in use",
        http_status=409,
        json_body={"error": {"code": "idempotency_key_in_use"}},
    )
    exc.code = "idempotency_key_in_use"

    error = to_domain_error(exc, ErrorContext("op"), 5.0)

    assert isinstance(error, RequestConflict)
    assert error.retry_after_seconds == IN_PROGRESS_RETRY_AFTER_SECONDS
