"""Which events each payment flow emits, in Stripe's order, with snapshots at event time.

Stripe does not guarantee delivery order, but it emits in this order (Checkout docs, "Handle
delayed notification payment methods"; the events of a payment):
- card paid:   payment_intent.created, payment_intent.succeeded, checkout.session.completed
- declined:    payment_intent.created, payment_intent.payment_failed (the session stays open)
- delayed:     payment_intent.created, payment_intent.processing, checkout.session.completed
               (payment_status "unpaid"); then payment_intent.succeeded +
               checkout.session.async_payment_succeeded, or payment_intent.payment_failed +
               checkout.session.async_payment_failed
- expired:     checkout.session.expired
- canceled:    (after a declined attempt) payment_intent.canceled, checkout.session.expired
"""

from __future__ import annotations

from typing import Any, cast

import pytest
import stripe

from stripe_emulator.testing import EmulatorError, EmulatorHandle
from tests.emulator.helpers import CANCEL_URL, SUCCESS_URL, make_price, make_session


def _events(client: stripe.StripeClient) -> list[stripe.Event]:
    """Every event, oldest first, leaving out those of setting up the catalogue."""
    events = client.v1.events.list(params={"limit": 100}).data[::-1]
    return [e for e in events if e.type not in ("product.created", "price.created")]


def _flow(client: stripe.StripeClient) -> list[tuple[str, dict[str, Any]]]:
    return [(event.type, event.data.object.to_dict()) for event in _events(client)]


def test_paid_by_card(client: stripe.StripeClient, emulator: EmulatorHandle) -> None:
    session = make_session(client)
    emulator.pay(session.id)
    flow = _flow(client)
    assert [kind for kind, _ in flow] == [
        "payment_intent.created",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    (_, created), (_, succeeded), (_, completed) = flow
    assert created["status"] == "requires_payment_method"
    assert succeeded["status"] == "succeeded"
    assert succeeded["amount_received"] == session.amount_total
    assert completed["id"] == session.id
    assert completed["status"] == "complete"
    assert completed["payment_status"] == "paid"
    assert completed["payment_intent"] == succeeded["id"]
    assert completed["client_reference_id"] == "order-1"
    assert completed["metadata"] == {"order_id": "ord_1"}


def test_declined_then_paid(client: stripe.StripeClient, emulator: EmulatorHandle) -> None:
    session = make_session(client)
    emulator.pay(session.id, outcome="fail")
    emulator.pay(session.id)
    flow = _flow(client)
    assert [kind for kind, _ in flow] == [
        "payment_intent.created",
        "payment_intent.payment_failed",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    failed = flow[1][1]
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "card_declined"
    assert flow[2][1]["id"] == failed["id"]  # the same PaymentIntent, paid on the 2nd try


def _delayed(client: stripe.StripeClient, emulator: EmulatorHandle) -> str:
    session = make_session(client)
    paid = emulator.pay(session.id, outcome="processing")
    assert paid["status"] == "complete"
    assert paid["payment_status"] == "unpaid"
    assert paid["payment_intent"]["status"] == "processing"
    intent_id: str = paid["payment_intent"]["id"]
    return intent_id


def test_delayed_payment_that_succeeds(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    intent_id = _delayed(client, emulator)
    assert [kind for kind, _ in _flow(client)] == [
        "payment_intent.created",
        "payment_intent.processing",
        "checkout.session.completed",
    ]
    assert _flow(client)[2][1]["payment_status"] == "unpaid"
    settled = emulator.settle(intent_id, "succeeded")
    assert settled["status"] == "succeeded"
    flow = _flow(client)
    assert [kind for kind, _ in flow[3:]] == [
        "payment_intent.succeeded",
        "checkout.session.async_payment_succeeded",
    ]
    assert flow[4][1]["payment_status"] == "paid"
    assert flow[2][1]["payment_status"] == "unpaid"  # the earlier snapshot did not change
    session = client.v1.checkout.sessions.retrieve(flow[4][1]["id"])
    assert session.payment_status == "paid"


def test_delayed_payment_that_fails(client: stripe.StripeClient, emulator: EmulatorHandle) -> None:
    intent_id = _delayed(client, emulator)
    settled = emulator.settle(intent_id, "failed")
    assert settled["status"] == "requires_payment_method"
    assert settled["last_payment_error"]["code"] == "payment_method_provider_decline"
    flow = _flow(client)
    assert [kind for kind, _ in flow[3:]] == [
        "payment_intent.payment_failed",
        "checkout.session.async_payment_failed",
    ]
    assert flow[4][1]["status"] == "complete"
    assert flow[4][1]["payment_status"] == "unpaid"


def test_expired(client: stripe.StripeClient) -> None:
    session = make_session(client)
    client.v1.checkout.sessions.expire(session.id, options={"idempotency_key": "exp-1"})
    events = _events(client)
    assert [e.type for e in events] == ["checkout.session.expired"]
    assert events[0].data.object["status"] == "expired"
    assert events[0].request is not None
    assert events[0].request.idempotency_key == "exp-1"  # an API call expired it


def test_canceled_when_a_session_with_a_failed_attempt_expires(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    emulator.pay(session.id, outcome="fail")
    emulator.expire(session.id)
    flow = _flow(client)
    assert [kind for kind, _ in flow] == [
        "payment_intent.created",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "checkout.session.expired",
    ]
    assert flow[2][1]["status"] == "canceled"
    assert flow[2][1]["cancellation_reason"] == "abandoned"


def test_metadata_goes_where_stripe_puts_it(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": make_price(client), "quantity": 1}],
            "success_url": SUCCESS_URL,
            "cancel_url": CANCEL_URL,
            "client_reference_id": "cart-7",
            "metadata": {"order": "o-7"},
            "payment_intent_data": {"metadata": {"ledger": "l-7"}, "description": "Order 7"},
        }
    )
    emulator.pay(session.id)
    flow = dict(_flow(client))
    intent = flow["payment_intent.succeeded"]
    assert intent["metadata"] == {"ledger": "l-7"}  # session metadata is not copied
    assert intent["description"] == "Order 7"
    completed = flow["checkout.session.completed"]
    assert completed["metadata"] == {"order": "o-7"}
    assert completed["client_reference_id"] == "cart-7"
    assert client.v1.payment_intents.retrieve(intent["id"]).metadata.to_dict() == {"ledger": "l-7"}


@pytest.mark.parametrize(
    ("outcome", "status", "message"),
    [
        ("succeeded", 400, "only a PaymentIntent that is `processing` can be settled"),
        ("maybe", 400, "outcome must be one of succeeded, failed"),
        (None, 400, "outcome must be `succeeded` or `failed`"),
    ],
)
def test_settle_refuses_what_it_cannot_do(
    client: stripe.StripeClient,
    emulator: EmulatorHandle,
    outcome: str | None,
    status: int,
    message: str,
) -> None:
    session = make_session(client)
    intent_id = emulator.pay(session.id)["payment_intent"]["id"]  # succeeded, not processing
    with pytest.raises(EmulatorError) as raised:
        emulator.settle(intent_id, cast(Any, outcome))
    assert raised.value.status == status
    assert message in raised.value.body["error"]["message"]


def test_settle_an_unknown_payment_intent_is_404(emulator: EmulatorHandle) -> None:
    with pytest.raises(EmulatorError) as raised:
        emulator.settle("pi_nope")
    assert raised.value.status == 404
    assert raised.value.body["error"]["code"] == "resource_missing"
