"""Stripe objects (as plain dicts: parsed JSON, or `StripeObject.to_dict()`) → domain entities.

Fields are read defensively (`.get` with a default): a missing or null field must not turn a
successful Stripe call into a crash after the side effect happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from domain.checkout import CLIENT_REFERENCE_ID_METADATA_KEY, CheckoutSession
from domain.customer import Customer
from domain.ledger import Payment
from domain.money import Money
from domain.payment_status import PaymentRefKind, PaymentSnapshot, PaymentStatus
from domain.product import EXTERNAL_ID_METADATA_KEY, Product

Json = Mapping[str, Any]


def customer(data: Json) -> Customer:
    return Customer(
        id=data["id"],
        email=_text(data, "email"),
        name=_text(data, "name"),
        metadata=metadata(data),
        created_at=timestamp(data.get("created")),
    )


def product(data: Json) -> Product:
    """The external id lives in metadata; it is taken out of `metadata` and given its own field."""
    meta = metadata(data)
    external_id = meta.pop(EXTERNAL_ID_METADATA_KEY, "")
    price_id, price = _default_price(data.get("default_price"))
    return Product(
        id=data["id"],
        name=_text(data, "name"),
        description=_text(data, "description"),
        external_product_id=external_id,
        price_id=price_id,
        price=price,
        active=bool(data.get("active", True)),
        metadata=meta,
        created_at=timestamp(data.get("created")),
    )


def external_product_id(data: Json) -> str:
    return metadata(data).get(EXTERNAL_ID_METADATA_KEY, "")


def checkout_session(data: Json) -> CheckoutSession:
    return CheckoutSession(
        id=data["id"],
        url=_text(data, "url"),
        expires_at=timestamp(data.get("expires_at")),
        total=_money(data.get("amount_total"), data.get("currency")) or Money(0, ""),
    )


# Stripe's Checkout Session (status, payment_status) and PaymentIntent states, in the domain's
# terms. A state Stripe adds later is UNSPECIFIED (its raw words still reach the caller).
_SESSION_STATES: dict[tuple[str, str], PaymentStatus] = {
    ("open", "unpaid"): PaymentStatus.OPEN,
    ("open", "no_payment_required"): PaymentStatus.OPEN,
    ("complete", "paid"): PaymentStatus.SUCCEEDED,
    ("complete", "no_payment_required"): PaymentStatus.SUCCEEDED,
    ("complete", "unpaid"): PaymentStatus.PROCESSING,
}

_INTENT_STATES: dict[str, PaymentStatus] = {
    "requires_payment_method": PaymentStatus.OPEN,
    "requires_confirmation": PaymentStatus.OPEN,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.PROCESSING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}


def session_status(status: str, payment_status: str) -> PaymentStatus:
    """An expired session is EXPIRED whatever its payment status says."""
    if status == "expired":
        return PaymentStatus.EXPIRED
    return _SESSION_STATES.get((status, payment_status), PaymentStatus.UNSPECIFIED)


def intent_status(status: str) -> PaymentStatus:
    return _INTENT_STATES.get(status, PaymentStatus.UNSPECIFIED)


def session_snapshot(data: Json) -> PaymentSnapshot:
    status, payment_status = _text(data, "status"), _text(data, "payment_status")
    return PaymentSnapshot(
        id=data["id"],
        kind=PaymentRefKind.CHECKOUT_SESSION,
        status=session_status(status, payment_status),
        provider_status=status,
        provider_payment_status=payment_status,
        checkout_session_id=data["id"],
        payment_intent_id=expandable_id(data.get("payment_intent")),
        customer_id=expandable_id(data.get("customer")),
        total=_money(data.get("amount_total"), data.get("currency")),
        client_reference_id=_text(data, "client_reference_id") or None,
        metadata=metadata(data),
    )


def intent_snapshot(data: Json) -> PaymentSnapshot:
    """An intent does not name its checkout session; finding it would cost a list call.

    Its client_reference_id is the one the checkout put into its metadata; taken out of
    `metadata`, which then is the checkout's own."""
    status = _text(data, "status")
    meta = metadata(data)
    return PaymentSnapshot(
        id=data["id"],
        kind=PaymentRefKind.PAYMENT_INTENT,
        status=intent_status(status),
        provider_status=status,
        provider_payment_status="",
        checkout_session_id=None,
        payment_intent_id=data["id"],
        customer_id=expandable_id(data.get("customer")),
        total=_money(data.get("amount"), data.get("currency")),
        client_reference_id=meta.pop(CLIENT_REFERENCE_ID_METADATA_KEY, None),
        metadata=meta,
    )


def payment(session: Json, changed_at: datetime, status: PaymentStatus | None = None) -> Payment:
    """The payment of a Checkout Session, in `status` (else the one the session's state
    says), as of `changed_at`."""
    provider_status, payment_status = _text(session, "status"), _text(session, "payment_status")
    return Payment(
        checkout_session_id=session["id"],
        status=session_status(provider_status, payment_status) if status is None else status,
        status_changed_at=changed_at,
        payment_intent_id=expandable_id(session.get("payment_intent")),
        customer_id=expandable_id(session.get("customer")),
        total=_money(session.get("amount_total"), session.get("currency")),
        client_reference_id=_text(session, "client_reference_id") or None,
        metadata=metadata(session),
        provider_status=provider_status,
        provider_payment_status=payment_status,
    )


def timestamp(epoch_seconds: object) -> datetime:
    """Stripe's epoch seconds as an aware UTC datetime (the epoch itself when absent)."""
    seconds = epoch_seconds if isinstance(epoch_seconds, int) else 0
    return datetime.fromtimestamp(seconds, tz=UTC)


def expandable_id(value: object) -> str | None:
    """The id of a field Stripe gives as an id, an expanded object, or null."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        object_id = value.get("id")
        return object_id if isinstance(object_id, str) else None
    return None


def metadata(data: Json) -> dict[str, str]:
    raw = data.get("metadata") or {}
    return {str(key): str(value) for key, value in raw.items()}


def _default_price(value: object) -> tuple[str | None, Money | None]:
    """(price id, price): an unexpanded id has no amount; a tiered price has no unit_amount."""
    if isinstance(value, Mapping):
        return expandable_id(value), _money(value.get("unit_amount"), value.get("currency"))
    return expandable_id(value), None


def _money(amount: object, currency: object) -> Money | None:
    if isinstance(amount, int) and isinstance(currency, str) and currency:
        return Money(amount=amount, currency=currency)
    return None


def _text(data: Json, key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""
