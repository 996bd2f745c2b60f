"""What the use cases tell the payment ledger: a payment read from (or just created at) the
provider, as an observation of the service's own (no event id)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.ledger import Observation, Payment
from domain.payment_status import PaymentSnapshot


def now() -> datetime:
    """The service's clock, in UTC: the time of an observation that is not an event."""
    return datetime.now(UTC)


def read_payment(snapshot: PaymentSnapshot, checkout_session_id: str) -> Observation:
    """The payment of the checkout `checkout_session_id` as the provider just answered it."""
    at = now()
    payment = Payment(
        checkout_session_id=checkout_session_id,
        status=snapshot.status,
        status_changed_at=at,
        payment_intent_id=snapshot.payment_intent_id,
        customer_id=snapshot.customer_id,
        total=snapshot.total,
        client_reference_id=snapshot.client_reference_id,
        metadata=dict(snapshot.metadata),
        provider_status=snapshot.provider_status,
        provider_payment_status=snapshot.provider_payment_status,
    )
    return Observation(payment=payment, observed_at=at)
