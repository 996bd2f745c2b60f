"""Signed deliveries to a real receiver, verified by the SDK's ``stripe.Webhook``.

Nothing here sleeps: tests wait for receipts (``receiver.wait_for``) or for the emulator to
have no delivery left in progress (``deliveries_settled``), each with a timeout.
"""

from __future__ import annotations

import json
import time

import pytest
import stripe

from stripe_emulator.testing import Receipt
from stripe_emulator.webhooks.signing import signature_header
from tests.emulator.webhook_support import SECRET, body_of, event_types, webhook_stack


async def test_every_delivery_is_signed_and_sent_as_stripe_sends_it() -> None:
    async with webhook_stack() as stack:
        customer = await stack.client.v1.customers.create_async(params={"email": "a@b.example"})
        product = await stack.client.v1.products.create_async(
            params={"name": "Tea", "default_price_data": {"currency": "usd", "unit_amount": 300}}
        )
        await stack.emulator.deliveries_settled()
        receipts = stack.receiver.receipts
        assert sorted(event_types(receipts)) == [
            "customer.created",
            "price.created",
            "product.created",
        ]
        listed = {event.id: event for event in (await stack.client.v1.events.list_async()).data}
        for receipt in receipts:
            event = stack.verified(receipt)  # raises unless the signature is right
            assert receipt.headers["Content-Type"] == "application/json; charset=utf-8"
            assert receipt.headers["User-Agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
            assert receipt.headers["Stripe-Signature"].startswith("t=")
            assert event.id in listed
            assert event.data.object["object"] in ("customer", "product", "price")
        for receipt in receipts:  # the body is the event as the API lists it
            delivered = body_of(receipt)
            fetched = await stack.client.v1.events.retrieve_async(delivered["id"])
            assert fetched.last_response is not None
            as_listed = json.loads(fetched.last_response.body)
            assert delivered["pending_webhooks"] == 1  # not yet answered when it was sent
            assert as_listed["pending_webhooks"] == 0
            assert {**delivered, "pending_webhooks": 0} == as_listed
        by_type = {stack.verified(r).type: stack.verified(r) for r in receipts}
        assert by_type["customer.created"].data.object["id"] == customer.id
        assert by_type["product.created"].data.object["id"] == product.id
        assert stack.emulator.webhook_secret == SECRET


async def test_the_sdk_rejects_a_wrong_secret_a_tampered_body_and_an_old_timestamp() -> None:
    async with webhook_stack() as stack:
        await stack.emulator.add_delivery_fault(fault="wrong_secret")
        await stack.client.v1.customers.create_async()
        await stack.emulator.add_delivery_fault(fault="old_timestamp", age_seconds=600)
        await stack.client.v1.customers.create_async()
        await stack.client.v1.customers.create_async()  # delivered as it should be
        receipts = await stack.receiver.wait_for(3)
        await stack.emulator.deliveries_settled()
        outcomes = []
        for receipt in receipts:
            try:
                stack.verified(receipt)
                outcomes.append("ok")
            except stripe.SignatureVerificationError as exc:
                outcomes.append(str(exc.user_message))
        assert sorted(outcomes) == [
            "No signatures found matching the expected signature for payload",
            f"Timestamp outside the tolerance zone ({_timestamp(receipts, outcomes)})",
            "ok",
        ]
        good = receipts[outcomes.index("ok")]
        tampered = good.body.replace(b"customer.created", b"customer.deleted")
        assert tampered != good.body
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(
                tampered.decode(), good.headers["Stripe-Signature"], SECRET
            )
        # The receiver answered 200 to each (it does not verify), so each counts as delivered.
        assert [row["fault"] for row in await stack.emulator.deliveries()].count(None) == 1


def _timestamp(receipts: list[Receipt], outcomes: list[str]) -> int:
    for receipt, outcome in zip(receipts, outcomes, strict=True):
        if outcome.startswith("Timestamp"):
            return int(receipt.headers["Stripe-Signature"].split(",")[0][2:])
    raise AssertionError("no delivery with an old timestamp")


async def test_an_endpoint_that_fails_twice_gets_the_event_three_times_then_no_more() -> None:
    async with webhook_stack() as stack:
        stack.receiver.answer_with(500, 503)
        await stack.client.v1.customers.create_async()
        await stack.emulator.deliveries_settled()
        assert len(stack.receiver.receipts) == 3
        ids = {body_of(receipt)["id"] for receipt in stack.receiver.receipts}
        assert len(ids) == 1  # the same event each time
        rows = await stack.emulator.deliveries()
        assert [(r["attempt"], r["status"]) for r in rows] == [(1, 500), (2, 503), (3, 200)]
        assert rows[0]["next_attempt_in"] == pytest.approx(300 * 0.0001)
        assert rows[2]["next_attempt_in"] is None
        assert rows[1]["at"] - rows[0]["at"] >= 300 * 0.0001
        event = await stack.client.v1.events.retrieve_async(ids.pop())
        assert event.pending_webhooks == 0
        # Settled: nothing is in progress any more, so no further attempt can come.
        assert (await stack.emulator.stats())["deliveries"]["in_progress"] == 0
        assert len(stack.receiver.receipts) == 3


async def test_an_endpoint_down_past_the_schedule_leaves_the_event_undelivered() -> None:
    async with webhook_stack() as stack:
        stack.receiver.answer_with(500, 500, 500, 500)
        customer = await stack.client.v1.customers.create_async()
        await stack.emulator.deliveries_settled()
        rows = await stack.emulator.deliveries()
        assert [r["attempt"] for r in rows] == [1, 2, 3, 4]  # the first try and 3 retries
        assert [r["next_attempt_in"] for r in rows][-1] is None
        failed = await stack.client.v1.events.list_async(params={"delivery_success": False})
        assert [e.data.object["id"] for e in failed.data] == [customer.id]
        assert failed.data[0].pending_webhooks == 1
        ok = await stack.client.v1.events.list_async(params={"delivery_success": True})
        assert ok.data == []


async def test_a_hanging_endpoint_times_out_and_is_retried() -> None:
    async with webhook_stack(timeout_seconds=0.2) as stack:
        stack.receiver.answer_with(None)
        await stack.client.v1.customers.create_async()
        await stack.emulator.deliveries_settled()
        rows = await stack.emulator.deliveries()
        assert [(r["status"], r["error"]) for r in rows] == [(None, "timed out"), (200, None)]


async def test_deliveries_to_one_endpoint_are_concurrent() -> None:
    async with webhook_stack() as stack:
        stack.receiver.answer_with(None)  # the first delivery hangs...
        await stack.client.v1.customers.create_async()
        await stack.client.v1.customers.create_async()
        # ...and the second arrives meanwhile, so nothing waits on the first.
        receipts = await stack.receiver.wait_for(2)
        first, second = (body_of(receipt) for receipt in receipts[:2])
        assert first["id"] != second["id"]
        assert len(stack.receiver.receipts) == 2


async def test_unreachable_endpoint_is_recorded_and_retried() -> None:
    async with webhook_stack(forward=False) as stack:
        endpoint = await stack.client.v1.webhook_endpoints.create_async(
            params={"url": "http://127.0.0.1:9/nothing-listens", "enabled_events": ["*"]}
        )
        await stack.client.v1.customers.create_async()
        await stack.emulator.deliveries_settled()
        rows = await stack.emulator.deliveries()
        assert len(rows) == 4
        assert all(r["status"] is None and r["error"] for r in rows)
        assert {r["endpoint"] for r in rows} == {endpoint.id}


async def test_an_endpoint_gets_only_the_events_it_enabled() -> None:
    async with webhook_stack(forward=False) as stack:
        endpoint = await stack.client.v1.webhook_endpoints.create_async(
            params={"url": stack.receiver.url, "enabled_events": ["checkout.session.completed"]}
        )
        assert endpoint.secret is not None
        session = await _session(stack.client)
        await stack.emulator.pay(session)
        await stack.emulator.deliveries_settled()
        assert event_types(stack.receiver.receipts) == ["checkout.session.completed"]
        receipt = stack.receiver.receipts[0]
        event = stripe.Webhook.construct_event(
            receipt.body.decode(), receipt.headers["Stripe-Signature"], endpoint.secret
        )
        assert event.data.object["id"] == session
        await stack.client.v1.webhook_endpoints.update_async(endpoint.id, params={"disabled": True})
        await stack.emulator.pay(await _session(stack.client))
        await stack.emulator.deliveries_settled()
        assert len(stack.receiver.receipts) == 1  # disabled: nothing more


async def test_deleting_an_endpoint_ends_its_retries() -> None:
    async with webhook_stack(forward=False) as stack:
        endpoint = await stack.client.v1.webhook_endpoints.create_async(
            params={"url": stack.receiver.url, "enabled_events": ["*"]}
        )
        stack.receiver.answer_with(500, 500, 500)
        await stack.client.v1.customers.create_async()
        await stack.receiver.wait_for(1)
        await stack.client.v1.webhook_endpoints.delete_async(endpoint.id)
        await stack.emulator.deliveries_settled()
        assert len(stack.receiver.receipts) < 4


async def test_reset_keeps_the_start_up_endpoint_and_ends_old_deliveries() -> None:
    async with webhook_stack() as stack:
        stack.receiver.answer_with(None)  # the first attempt hangs...
        await stack.client.v1.customers.create_async()
        await stack.receiver.wait_for(1)
        await stack.emulator.reset()  # ...until the reset cancels it (and any retry)
        await stack.emulator.deliveries_settled()
        before = len(stack.receiver.receipts)
        assert before == 1
        endpoints = await stack.client.v1.webhook_endpoints.list_async()
        assert [e.id for e in endpoints.data] == [stack.emulator.webhook_endpoint]
        await stack.client.v1.customers.create_async()
        await stack.emulator.deliveries_settled()
        assert len(stack.receiver.receipts) == before + 1
        assert stack.verified(stack.receiver.receipts[-1]).type == "customer.created"


def test_signature_header_matches_stripes_scheme() -> None:
    """The SDK's own verifier accepts what ``signature_header`` makes."""
    payload = json.dumps({"id": "evt_1", "object": "event"})
    now = int(time.time())
    header = signature_header(payload.encode(), SECRET, now)
    assert header.startswith(f"t={now},v1=")
    assert stripe.WebhookSignature.verify_header(payload, header, SECRET)


async def _session(client: stripe.StripeClient) -> str:
    price = await client.v1.prices.create_async(
        params={"currency": "usd", "unit_amount": 100, "product_data": {"name": "Pen"}}
    )
    session = await client.v1.checkout.sessions.create_async(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": price.id, "quantity": 1}],
        }
    )
    return session.id
