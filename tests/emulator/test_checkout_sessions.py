"""Checkout Sessions and the PaymentIntents paying creates, through the official SDK."""

from __future__ import annotations

import time

import pytest
import stripe

from stripe_emulator.testing import EmulatorError, EmulatorHandle
from tests.emulator.helpers import CANCEL_URL, SUCCESS_URL, loose, make_price, make_session


def test_create_session_computes_amounts_and_links_our_page(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    customer = client.v1.customers.create()
    before = int(time.time())
    session = make_session(client, quantity=3, amount=1500, customer=customer.id)

    assert session.id.startswith("cs_test_")
    assert (session.object, session.mode, session.status) == ("checkout.session", "payment", "open")
    assert (session.amount_subtotal, session.amount_total, session.currency) == (4500, 4500, "usd")
    assert session.payment_status == "unpaid"
    assert session.payment_intent is None
    assert session.customer == customer.id
    assert session.client_reference_id == "order-1"
    assert (session.success_url, session.cancel_url) == (SUCCESS_URL, CANCEL_URL)
    assert session.url == f"{emulator.url}/checkout/{session.id}"
    assert before + 24 * 3600 <= session.expires_at <= int(time.time()) + 24 * 3600


def test_sums_several_line_items(client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": SUCCESS_URL,
            "line_items": [
                {"price": make_price(client, 1000), "quantity": 2},
                {"price": make_price(client, 250), "quantity": 1},
            ],
        }
    )
    assert session.amount_total == 2250


def test_custom_expires_at_is_kept(client: stripe.StripeClient) -> None:
    expires_at = int(time.time()) + 3600
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": SUCCESS_URL,
            "expires_at": expires_at,
            "line_items": [{"price": make_price(client), "quantity": 1}],
        }
    )
    assert session.expires_at == expires_at


def test_expires_at_too_soon_is_rejected(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": SUCCESS_URL,
                "expires_at": int(time.time()) + 60,
                "line_items": [{"price": make_price(client), "quantity": 1}],
            }
        )
    assert raised.value.param == "expires_at"


def test_invalid_mode_is_rejected_like_stripe(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(
            params=loose({"mode": "bogus", "success_url": SUCCESS_URL})
        )
    assert raised.value.http_status == 400
    assert raised.value.param == "mode"
    assert (
        raised.value.user_message == "Invalid mode: must be one of payment, setup, or subscription"
    )


def test_mode_is_required(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params={"success_url": SUCCESS_URL})
    assert (raised.value.code, raised.value.param) == ("parameter_missing", "mode")


def test_unknown_customer_is_400_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": SUCCESS_URL,
                "customer": "cus_x",
                "line_items": [{"price": make_price(client), "quantity": 1}],
            }
        )
    assert (raised.value.http_status, raised.value.code) == (400, "resource_missing")
    assert raised.value.param == "customer"
    assert raised.value.user_message == "No such customer: 'cus_x'"


def test_unknown_price_is_400_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": SUCCESS_URL,
                "line_items": [{"price": "price_nope", "quantity": 1}],
            }
        )
    assert (raised.value.http_status, raised.value.code) == (400, "resource_missing")
    assert raised.value.param == "line_items[0][price]"


def test_quantity_is_required(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": SUCCESS_URL,
                "line_items": [{"price": make_price(client)}],
            }
        )
    assert raised.value.param == "line_items[0][quantity]"


def test_pay_succeeds(client: stripe.StripeClient, emulator: EmulatorHandle) -> None:
    customer = client.v1.customers.create()
    session = make_session(client, quantity=2, amount=1500, customer=customer.id)
    emulator.pay(session.id)

    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    intent = paid.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.id.startswith("pi_")
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 3000, 3000)
    assert (intent.currency, intent.customer) == ("usd", customer.id)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_pay_fails_then_succeeds_on_the_same_intent(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    emulator.pay(session.id, outcome="fail")

    failed = client.v1.checkout.sessions.retrieve(session.id)
    assert (failed.status, failed.payment_status) == ("open", "unpaid")
    assert isinstance(failed.payment_intent, str)
    intent = client.v1.payment_intents.retrieve(failed.payment_intent)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    assert intent.last_payment_error.code == "card_declined"

    emulator.pay(session.id)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_pay_processing(client: stripe.StripeClient, emulator: EmulatorHandle) -> None:
    session = make_session(client)
    emulator.pay(session.id, outcome="processing")
    fetched = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert (fetched.status, fetched.payment_status) == ("complete", "unpaid")
    assert isinstance(fetched.payment_intent, stripe.PaymentIntent)
    assert fetched.payment_intent.status == "processing"


def test_paying_twice_is_refused(client: stripe.StripeClient, emulator: EmulatorHandle) -> None:
    session = make_session(client)
    emulator.pay(session.id)
    with pytest.raises(EmulatorError) as raised:
        emulator.pay(session.id)
    assert raised.value.status == 400


def test_unknown_outcome_and_session_are_refused(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    with pytest.raises(EmulatorError):
        emulator.pay(session.id, outcome="maybe")
    with pytest.raises(EmulatorError) as raised:
        emulator.pay("cs_test_missing")
    assert raised.value.status == 404


def test_expire_open_session(client: stripe.StripeClient) -> None:
    session = make_session(client)
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.payment_status, expired.url) == ("expired", "unpaid", None)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.expire(session.id)
    assert raised.value.http_status == 400


def test_expire_complete_session_is_refused(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    emulator.pay(session.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_emulator_expire_route_and_failed_intent_is_canceled(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    emulator.pay(session.id, outcome="fail")
    emulator.expire(session.id)
    fetched = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert fetched.status == "expired"
    assert isinstance(fetched.payment_intent, stripe.PaymentIntent)
    assert fetched.payment_intent.status == "canceled"
    with pytest.raises(EmulatorError):
        emulator.pay(session.id)


def test_unknown_session_and_intent_are_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert raised.value.http_status == 404
    assert raised.value.user_message == "No such checkout.session: 'cs_test_nope'"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.retrieve("pi_nope")
    assert raised.value.user_message == "No such payment_intent: 'pi_nope'"
