"""The customer pays (or not) → Stripe's webhook reaches the service → the ledger answers: for
each way a checkout ends, GetPaymentStatus and ListPayments give the final status with no Stripe
call. The emulator's request counts prove the "no call"; its delivery records and its Events API
prove what the webhooks carried."""

from __future__ import annotations

import json
from collections import Counter

import aiohttp
import pytest
import stripe

from tests.e2e.event_records import answered, recorded_event_ids, stripe_events_of
from tests.e2e.events_stack import SECRET, events_stack
from tests.e2e.payment_flows import FLOW_NAMED, FLOWS, Flow, Order, pay_by_card
from tests.emulator.helpers import async_stripe_client


@pytest.mark.parametrize("flow", FLOWS, ids=[flow.name for flow in FLOWS])
async def test_the_webhook_puts_the_final_status_in_the_ledger(flow: Flow) -> None:
    async with events_stack() as stack:
        shop = stack.shop
        order = await Order.open(shop, f"order-{flow.name}")
        for step in flow.steps:
            await step(shop, order)
        await stack.emulator.deliveries_settled()

        events = await stripe_events_of(stack.emulator, {order.session_id})
        assert sorted(events.values()) == sorted(flow.events)
        deliveries = await stack.emulator.deliveries()
        assert answered(deliveries, 200) == Counter(list(events))  # each one delivered, once
        assert {row["url"] for row in deliveries} == {
            f"http://{stack.service.http_address}/stripe/webhooks"
        }
        ledger_url = stack.service.settings.ledger_url
        assert sorted(await recorded_event_ids(ledger_url)) == sorted(events)

        calls = await shop.stripe_calls()
        status = await shop.status(order.session_id)
        listed = await shop.payments_of(order.order_id)
        assert await shop.stripe_calls() == calls  # answered from the ledger alone

    assert status.status == flow.status
    assert status.client_reference_id == order.order_id
    assert [(p.id, p.status, p.client_reference_id) for p in listed] == [
        (order.session_id, flow.status, order.order_id)
    ]


@pytest.mark.parametrize(
    "flow", [FLOW_NAMED["paid"], FLOW_NAMED["failed-later"]], ids=["paid", "failed-later"]
)
async def test_the_payment_intent_carries_the_order_id(flow: Flow) -> None:
    """Asked by its PaymentIntent's id too, the final status comes from the ledger; the intent
    (read from Stripe through the SDK) names the order, so its own events would as well."""
    async with events_stack() as stack:
        shop = stack.shop
        order = await Order.open(shop, f"order-{flow.name}")
        for step in flow.steps:
            await step(shop, order)
        await stack.emulator.deliveries_settled()
        intent_id = (await shop.status(order.session_id)).payment_intent_id

        calls = await shop.stripe_calls()
        by_intent = await shop.status(intent_id)
        assert await shop.stripe_calls() == calls

        async with async_stripe_client(stack.emulator) as client:
            intent = await client.v1.payment_intents.retrieve_async(intent_id)
    assert intent_id.startswith("pi_")
    assert (by_intent.id, by_intent.status) == (intent_id, flow.status)
    assert by_intent.checkout_session_id == order.session_id
    assert intent.metadata["client_reference_id"] == order.order_id


async def test_a_redelivered_event_is_answered_as_a_duplicate() -> None:
    """Stripe delivers an event again (a retry whose first answer was lost): 2xx, nothing
    changes. The same body signed with another secret is refused."""
    async with events_stack() as stack, aiohttp.ClientSession() as client:
        order = await Order.open(stack.shop, "order-again")
        await pay_by_card(stack.shop, order)
        await stack.emulator.deliveries_settled()
        (event_id,) = await stripe_events_of(stack.emulator, {order.session_id})
        async with async_stripe_client(stack.emulator) as stripe_client:
            event = await stripe_client.v1.events.retrieve_async(event_id)
        body = json.dumps(event.to_dict())
        url = f"http://{stack.service.http_address}/stripe/webhooks"
        answers = []
        for secret in (SECRET, "whsec_another_endpoints_secret"):
            header = stripe.WebhookSignature.generate_signature_header(body, secret)
            sent = {"Stripe-Signature": header, "Content-Type": "application/json"}
            async with client.post(url, data=body, headers=sent) as response:
                answers.append((response.status, await response.json()))
        recorded = await recorded_event_ids(stack.service.settings.ledger_url)

    assert answers[0] == (200, {"received": True, "outcome": "duplicate"})
    assert answers[1][0] == 400
    assert answers[1][1]["details"][0]["reason"] == "WEBHOOK_REFUSED"
    assert recorded == [event_id]
