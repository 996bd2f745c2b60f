"""Payments and observations for the ledger's tests, with every field settable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.ledger import Observation, Payment
from domain.money import Money
from domain.payment_status import PaymentStatus

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def payment(
    checkout_session_id: str = "cs_test_1",
    status: PaymentStatus = PaymentStatus.OPEN,
    at: datetime = T0,
    **fields: Any,
) -> Payment:
    return Payment(checkout_session_id, status, at, **fields)


def full_payment(checkout_session_id: str = "cs_test_1", **fields: Any) -> Payment:
    """A payment with every optional field set."""
    values: dict[str, Any] = {
        "payment_intent_id": f"pi_of_{checkout_session_id}",
        "customer_id": "cus_1",
        "total": Money(2500, "eur"),
        "client_reference_id": "order-1",
        "metadata": {"product_id": "prod_1", "note": "ünïcode"},
        "provider_status": "open",
        "provider_payment_status": "unpaid",
        **fields,
    }
    return payment(checkout_session_id, **values)


def observed(paid: Payment, event_id: str | None = None, after: float = 0) -> Observation:
    return Observation(paid, T0 + timedelta(seconds=after), event_id)
