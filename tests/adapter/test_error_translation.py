"""Stripe errors → domain errors: the runner's generic translations and a checkout's own; only
documented reasons come out. (The gateway tests provoke the same over HTTP.)"""

from __future__ import annotations

import pytest
import stripe

from domain.checkout import NewCheckout
from domain.errors import (
    CheckoutNotOpen,
    NotFound,
    ProductNotPurchasable,
    ProviderMisconfigured,
    ProviderRejected,
    ProviderUnavailable,
    RequestConflict,
)
from stripe_adapter.errors import IN_PROGRESS_RETRY_AFTER_SECONDS, generic_error, is_missing
from stripe_adapter.gateway import _checkout_refused, _expire_refused

CHECKOUT = NewCheckout("price_1", "prod_1", "cus_1", 1, "https://s.example", "https://c.example")


def missing(param: str | None) -> stripe.InvalidRequestError:
    return stripe.InvalidRequestError(  # type: ignore[no-untyped-call]
        "No such thing", param, code="resource_missing", http_status=404
    )


def test_missing_object_the_checkout_did_not_name_is_provider_rejected() -> None:
    error = _checkout_refused(missing("line_items[0][tax_rates][0]"), CHECKOUT)

    assert isinstance(error, ProviderRejected)
    assert error.provider.param == "line_items[0][tax_rates][0]"


def test_missing_object_without_param_is_provider_rejected() -> None:
    assert isinstance(_checkout_refused(missing(None), CHECKOUT), ProviderRejected)


def test_missing_price_of_a_checkout_is_product_not_purchasable() -> None:
    error = _checkout_refused(missing("line_items[0][price]"), CHECKOUT)

    assert isinstance(error, ProductNotPurchasable)
    assert error.metadata["product_id"] == "prod_1"


def test_missing_customer_of_a_checkout_is_customer_not_found() -> None:
    error = _checkout_refused(missing("customer"), CHECKOUT)

    assert isinstance(error, NotFound)
    assert (error.kind, error.object_id) == ("customer", "cus_1")


def test_is_missing_matches_the_last_word_of_the_param() -> None:
    assert is_missing(missing("line_items[0][price]"), "price")
    assert not is_missing(missing("line_items[0][price]"), "customer")
    assert is_missing(missing(None))


def test_idempotency_key_in_use_is_retryable_shortly() -> None:
    exc = stripe.APIError(
        "in use",
        http_status=409,
        json_body={"error": {"code": "idempotency_key_in_use"}},
    )
    exc.code = "idempotency_key_in_use"

    error = generic_error(exc, 5.0)

    assert isinstance(error, RequestConflict)
    assert error.retry_after_seconds == IN_PROGRESS_RETRY_AFTER_SECONDS


def test_credentials_refused_is_misconfigured_and_5xx_unavailable() -> None:
    refused = stripe.AuthenticationError("Invalid API Key provided: sk_test_****4242")
    failing = stripe.APIError("boom", http_status=503)

    assert isinstance(generic_error(refused, 1.0), ProviderMisconfigured)
    unavailable = generic_error(failing, 2.0)
    assert isinstance(unavailable, ProviderUnavailable)
    assert unavailable.retry_after_seconds == 2.0


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (  # Stripe's own wording
            'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            "Session has a status of `complete`.",
            "is complete",
        ),
        (
            'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            "Session has a status of `expired`.",
            "expired already",
        ),
        ("Only open Checkout Sessions can be expired.", "only an open checkout"),
    ],
)
def test_stripes_wording_of_not_open(message: str, why: str) -> None:
    refused = stripe.InvalidRequestError(message, param=None, http_status=400)  # type: ignore[no-untyped-call]

    translated = _expire_refused(refused, "cs_test_1")

    assert isinstance(translated, CheckoutNotOpen)
    assert why in translated.message


def test_another_refusal_of_an_expiry_is_provider_rejected() -> None:
    refused = stripe.InvalidRequestError("Received unknown parameter: foo", param="foo")  # type: ignore[no-untyped-call]

    assert isinstance(_expire_refused(refused, "cs_test_1"), ProviderRejected)
