"""Stripe's Checkout Session and PaymentIntent states, and its payment events, in the domain's
payment-state model."""

from __future__ import annotations

import pytest

from domain.payment_status import PaymentStatus
from stripe_adapter.events import status_of_event
from stripe_adapter.translate import intent_status, session_status


@pytest.mark.parametrize(
    ("status", "payment_status", "expected"),
    [
        ("open", "unpaid", PaymentStatus.OPEN),
        ("open", "no_payment_required", PaymentStatus.OPEN),
        ("complete", "paid", PaymentStatus.SUCCEEDED),
        ("complete", "no_payment_required", PaymentStatus.SUCCEEDED),
        ("complete", "unpaid", PaymentStatus.PROCESSING),
        ("expired", "unpaid", PaymentStatus.EXPIRED),
        ("expired", "paid", PaymentStatus.EXPIRED),
        ("brand_new_state", "unpaid", PaymentStatus.UNSPECIFIED),
    ],
)
def test_session_states(status: str, payment_status: str, expected: PaymentStatus) -> None:
    assert session_status(status, payment_status) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("requires_payment_method", PaymentStatus.OPEN),
        ("requires_confirmation", PaymentStatus.OPEN),
        ("requires_action", PaymentStatus.REQUIRES_ACTION),
        ("processing", PaymentStatus.PROCESSING),
        ("requires_capture", PaymentStatus.PROCESSING),
        ("succeeded", PaymentStatus.SUCCEEDED),
        ("canceled", PaymentStatus.CANCELED),
        ("brand_new_state", PaymentStatus.UNSPECIFIED),
    ],
)
def test_intent_states(status: str, expected: PaymentStatus) -> None:
    assert intent_status(status) is expected


@pytest.mark.parametrize(
    ("event_type", "payment_status", "expected"),
    [
        ("checkout.session.completed", "paid", PaymentStatus.SUCCEEDED),
        ("checkout.session.completed", "no_payment_required", PaymentStatus.SUCCEEDED),
        ("checkout.session.completed", "unpaid", PaymentStatus.PROCESSING),
        ("checkout.session.completed", "brand_new_state", PaymentStatus.UNSPECIFIED),
        ("checkout.session.async_payment_succeeded", "paid", PaymentStatus.SUCCEEDED),
        ("checkout.session.async_payment_failed", "unpaid", PaymentStatus.FAILED),
        ("checkout.session.expired", "unpaid", PaymentStatus.EXPIRED),
        ("payment_intent.succeeded", "paid", None),
        ("checkout.session.updated", "paid", None),
    ],
)
def test_event_types(event_type: str, payment_status: str, expected: PaymentStatus | None) -> None:
    session = {"id": "cs_test_1", "status": "complete", "payment_status": payment_status}

    assert status_of_event(event_type, session) is expected
