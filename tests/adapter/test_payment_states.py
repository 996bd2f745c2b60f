"""Stripe's Checkout Session and PaymentIntent states in the domain's payment-state model."""

from __future__ import annotations

import pytest

from domain.payment_status import PaymentStatus
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
