"""Payments to rows and back, and the UPDATE values that fill in what a row lacks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal, or_

from domain.ledger import Payment
from domain.money import Money
from domain.payment_status import PaymentStatus
from ledger.schema import payments

PAYMENT_COLUMNS = (
    payments.c.checkout_session_id,
    payments.c.payment_intent_id,
    payments.c.customer_id,
    payments.c.client_reference_id,
    payments.c.amount,
    payments.c.currency,
    payments.c["metadata"],
    payments.c.status,
    payments.c.status_changed_at,
    payments.c.provider_status,
    payments.c.provider_payment_status,
)


def new_row(payment: Payment, now: datetime) -> dict[str, Any]:
    return {
        "checkout_session_id": payment.checkout_session_id,
        **_optional_fields(payment),
        **status_fields(payment),
        "created_at": now,
        "updated_at": now,
    }


def status_fields(payment: Payment) -> dict[str, Any]:
    return {
        "status": payment.status.name,
        "status_progress": payment.status.progress,
        "status_changed_at": payment.status_changed_at,
        "provider_status": payment.provider_status,
        "provider_payment_status": payment.provider_payment_status,
    }


def fill_ins(payment: Payment) -> tuple[dict[str, Any], ColumnElement[bool] | None]:
    """SET values that keep each field a row has and take the payment's where the row has none,
    and a condition true when the row lacks one of them (None: the payment fills in nothing)."""
    known = _optional_fields(payment)
    values = {
        name: func.coalesce(payments.c[name], literal(value, payments.c[name].type))
        for name, value in known.items()
        if value is not None
    }
    if not values:
        return {}, None
    return values, or_(*(payments.c[name].is_(None) for name in values))


def _optional_fields(payment: Payment) -> dict[str, Any]:
    total = payment.total
    return {
        "payment_intent_id": payment.payment_intent_id,
        "customer_id": payment.customer_id,
        "client_reference_id": payment.client_reference_id,
        "amount": total.amount if total else None,
        "currency": total.currency if total else None,
        "metadata": dict(payment.metadata) or None,
    }


def payment_of(fields: Mapping[Any, Any]) -> Payment:
    amount, currency = fields["amount"], fields["currency"]
    return Payment(
        checkout_session_id=fields["checkout_session_id"],
        status=PaymentStatus[fields["status"]],
        status_changed_at=fields["status_changed_at"],
        payment_intent_id=fields["payment_intent_id"],
        customer_id=fields["customer_id"],
        total=Money(amount, currency) if amount is not None and currency else None,
        client_reference_id=fields["client_reference_id"],
        metadata=fields["metadata"] or {},
        provider_status=fields["provider_status"],
        provider_payment_status=fields["provider_payment_status"],
    )
