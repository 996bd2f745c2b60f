"""Protobuf ↔ domain: requests become commands, entities become messages. No logic beyond that."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from domain.checkout import CheckoutSession
from domain.customer import Customer
from domain.ledger import Payment, PaymentEvent, PaymentEventPage, PaymentPage
from domain.payment_status import PaymentSnapshot, PaymentStatus
from domain.product import Product
from domain.use_cases import ListPaymentEventsCommand, ProductLookup
from payments.v1 import payments_pb2

C = TypeVar("C")

# The proto's PAYMENT_STATUS_<NAME> for each domain status; a status without one fails at import.
_PAYMENT_STATUSES = {
    status: payments_pb2.PaymentStatus.Value(f"PAYMENT_STATUS_{status.name}")
    for status in PaymentStatus
}
_DOMAIN_STATUSES = {value: status for status, value in _PAYMENT_STATUSES.items()}


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def payment_status(status: PaymentStatus) -> payments_pb2.PaymentStatus.ValueType:
    return _PAYMENT_STATUSES[status]


def command_from(request: Message, command_type: type[C]) -> C:
    """The command whose fields are the request's fields of the same names (maps as dicts,
    timestamps as UTC datetimes or None when unset); request fields the command does not name
    (`request_id`: the gate's) are left out."""
    values: dict[str, object] = {}
    for field in dataclasses.fields(command_type):  # type: ignore[arg-type]
        value = getattr(request, field.name)
        if isinstance(value, timestamp_pb2.Timestamp):
            value = value.ToDatetime(UTC) if request.HasField(field.name) else None
        values[field.name] = dict(value) if isinstance(value, Mapping) else value
    return command_type(**values)


def payment_events_command(
    request: payments_pb2.ListPaymentEventsRequest | payments_pb2.WatchPaymentEventsRequest,
) -> ListPaymentEventsCommand:
    """The command of either request; a watch has no page size (its pages are the ledger's)."""
    return ListPaymentEventsCommand(
        after_cursor=request.after_cursor,
        client_reference_id=request.client_reference_id,
        customer_id=request.customer_id,
        statuses=frozenset(_DOMAIN_STATUSES[value] for value in request.statuses),
        page_size=getattr(request, "page_size", 0),
    )


def product_lookup(request: payments_pb2.GetProductRequest) -> ProductLookup:
    if request.WhichOneof("lookup") == "product_id":
        return ProductLookup(product_id=request.product_id)
    return ProductLookup(external_product_id=request.external_product_id)


def customer_message(customer: Customer) -> payments_pb2.Customer:
    return payments_pb2.Customer(
        id=customer.id,
        email=customer.email,
        name=customer.name,
        metadata=dict(customer.metadata),
        create_time=timestamp(customer.created_at),
    )


def product_message(product: Product) -> payments_pb2.Product:
    message = payments_pb2.Product(
        id=product.id,
        name=product.name,
        description=product.description,
        external_product_id=product.external_product_id,
        price_id=product.price_id or "",
        metadata=dict(product.metadata),
        create_time=timestamp(product.created_at),
    )
    if product.price is not None:
        message.unit_amount = product.price.amount
        message.currency = product.price.currency
    return message


def checkout_response(
    session: CheckoutSession, client_reference_id: str
) -> payments_pb2.CreateCheckoutResponse:
    return payments_pb2.CreateCheckoutResponse(
        checkout_session_id=session.id,
        url=session.url,
        expire_time=timestamp(session.expires_at),
        amount_total=session.total.amount,
        currency=session.total.currency,
        client_reference_id=client_reference_id,
    )


def payment_status_response(
    snapshot: PaymentSnapshot,
) -> payments_pb2.GetPaymentStatusResponse:
    return payments_pb2.GetPaymentStatusResponse(**_snapshot_fields(snapshot))


def payment_status_update(snapshot: PaymentSnapshot) -> payments_pb2.PaymentStatusUpdate:
    return payments_pb2.PaymentStatusUpdate(**_snapshot_fields(snapshot))


def _snapshot_fields(snapshot: PaymentSnapshot) -> dict[str, Any]:
    """The fields GetPaymentStatusResponse and PaymentStatusUpdate share (all of them)."""
    fields: dict[str, Any] = dict(
        id=snapshot.id,
        status=payment_status(snapshot.status),
        stripe_status=snapshot.provider_status,
        stripe_payment_status=snapshot.provider_payment_status,
        checkout_session_id=snapshot.checkout_session_id or "",
        payment_intent_id=snapshot.payment_intent_id or "",
        customer_id=snapshot.customer_id or "",
        client_reference_id=snapshot.client_reference_id or "",
    )
    if snapshot.total is not None:
        fields.update(amount_total=snapshot.total.amount, currency=snapshot.total.currency)
    return fields


def payment_message(payment: Payment) -> payments_pb2.Payment:
    message = payments_pb2.Payment(
        id=payment.checkout_session_id,
        status=payment_status(payment.status),
        client_reference_id=payment.client_reference_id or "",
        payment_intent_id=payment.payment_intent_id or "",
        customer_id=payment.customer_id or "",
        metadata=dict(payment.metadata),
        update_time=timestamp(payment.status_changed_at),
        stripe_status=payment.provider_status,
        stripe_payment_status=payment.provider_payment_status,
    )
    if payment.total is not None:
        message.amount_total = payment.total.amount
        message.currency = payment.total.currency
    return message


def payments_response(page: PaymentPage) -> payments_pb2.ListPaymentsResponse:
    return payments_pb2.ListPaymentsResponse(
        payments=[payment_message(payment) for payment in page.payments],
        next_page_token=page.next_page_token,
    )


def payment_events_response(page: PaymentEventPage) -> payments_pb2.ListPaymentEventsResponse:
    return payments_pb2.ListPaymentEventsResponse(
        events=[payment_event_message(event) for event in page.events],
        next_cursor=page.next_cursor,
    )


def watch_payment_events_response(
    events: Sequence[PaymentEvent],
) -> payments_pb2.WatchPaymentEventsResponse:
    return payments_pb2.WatchPaymentEventsResponse(
        events=[payment_event_message(event) for event in events]
    )


def payment_event_message(event: PaymentEvent) -> payments_pb2.PaymentEvent:
    return payments_pb2.PaymentEvent(
        cursor=event.cursor,
        payment=payment_message(event.payment),
        record_time=timestamp(event.recorded_at),
    )
