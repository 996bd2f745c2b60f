"""Events of a used type whose session snapshot cannot place the payment: the session is re-read
from Stripe, and what it says is recorded under the event's id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from domain.customer import Customer
from domain.errors import ProviderUnavailable, WebhookRefused
from domain.ledger import Observation
from domain.money import Money
from domain.payment_status import PaymentStatus
from domain.product import Product
from stripe_adapter.events import StripePaymentEvents
from stripe_adapter.gateway import StripePaymentGateway
from stripe_emulator.testing import EmulatorHandle
from tests.adapter.conftest import ORDER, api_requests, open_checkout, pay, settings_for
from tests.adapter.webhooks import Deliveries, body_of, signed

SESSION_READ = "GET /v1/checkout/sessions/{session}"


@pytest.fixture
async def paid(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    deliveries: Deliveries,
    customer: Customer,
    product: Product,
) -> dict[str, Any]:
    """The checkout.session.completed event of a paid checkout, as delivered."""
    session = await open_checkout(gateway, customer, product)
    pay(emulator, session.id)
    return body_of(await deliveries.one("checkout.session.completed"))


def thinned(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The event with a session snapshot of only its id and kind (or `changes`)."""
    session = event["data"]["object"]
    thin = {"id": session["id"], "object": "checkout.session", **changes}
    return {**event, "data": {"object": {k: v for k, v in thin.items() if v is not None}}}


async def test_a_thin_completed_event_is_placed_by_reading_the_session(
    events: StripePaymentEvents,
    emulator: EmulatorHandle,
    deliveries: Deliveries,
    customer: Customer,
    paid: dict[str, Any],
) -> None:
    reads_before = api_requests(emulator).get(SESSION_READ, 0)

    observation = await events.from_webhook(*signed(thinned(paid), deliveries.secret))

    assert isinstance(observation, Observation)
    assert observation.event_id == paid["id"]
    assert observation.payment.checkout_session_id == paid["data"]["object"]["id"]
    assert observation.payment.status is PaymentStatus.SUCCEEDED
    assert observation.payment.customer_id == customer.id
    assert observation.payment.total == Money(3000, "usd")
    assert observation.payment.client_reference_id == ORDER
    assert api_requests(emulator)[SESSION_READ] == reads_before + 1


async def test_a_session_without_its_state_is_thin_too(
    events: StripePaymentEvents, deliveries: Deliveries, paid: dict[str, Any]
) -> None:
    full = paid["data"]["object"]
    without_status = {**paid, "data": {"object": {**full, "status": None}}}

    observation = await events.from_webhook(*signed(without_status, deliveries.secret))

    assert isinstance(observation, Observation)
    assert observation.payment.provider_status == "complete"  # as read, not as sent


async def test_a_thin_failure_is_failed_though_the_session_still_reads_unpaid(
    gateway: StripePaymentGateway,
    emulator: EmulatorHandle,
    events: StripePaymentEvents,
    deliveries: Deliveries,
    customer: Customer,
    product: Product,
) -> None:
    """The session of a refused bank debit stays complete/unpaid: the event type says FAILED."""
    session = await open_checkout(gateway, customer, product)
    emulator.settle(pay(emulator, session.id, outcome="processing"), outcome="failed")
    failed = body_of(await deliveries.one("checkout.session.async_payment_failed"))

    observation = await events.from_webhook(*signed(thinned(failed), deliveries.secret))

    assert isinstance(observation, Observation)
    assert observation.payment.status is PaymentStatus.FAILED
    assert observation.payment.provider_payment_status == "unpaid"


@pytest.mark.parametrize("session_id", [None, "", "pi_123", 42])
async def test_a_thin_event_naming_no_session_is_refused(
    events: StripePaymentEvents, deliveries: Deliveries, paid: dict[str, Any], session_id: Any
) -> None:
    body = thinned(paid, id=session_id)

    with pytest.raises(WebhookRefused, match="names no checkout session"):
        await events.from_webhook(*signed(body, deliveries.secret))


async def test_a_thin_event_naming_a_session_stripe_does_not_know_is_refused(
    events: StripePaymentEvents, deliveries: Deliveries, paid: dict[str, Any]
) -> None:
    body = thinned(paid, id="cs_test_unknown")

    with pytest.raises(WebhookRefused) as caught:
        await events.from_webhook(*signed(body, deliveries.secret))

    assert caught.value.message == (
        "a checkout.session.completed event names a checkout session Stripe does not know"
    )


@pytest.fixture
async def impatient(
    emulator: EmulatorHandle, deliveries: Deliveries
) -> AsyncIterator[StripePaymentEvents]:
    """Its own connection, a 0.3 s Stripe timeout and no SDK retries."""
    settings = settings_for(emulator, timeout_seconds=0.3, max_network_retries=0)
    events = StripePaymentEvents(settings, [deliveries.secret])
    yield events
    await events.aclose()


async def test_stripe_failing_the_read_is_unavailable(
    impatient: StripePaymentEvents,
    emulator: EmulatorHandle,
    deliveries: Deliveries,
    paid: dict[str, Any],
) -> None:
    emulator.add_fault(path="/v1/checkout/sessions/*", method="GET", status=503)

    with pytest.raises(ProviderUnavailable):
        await impatient.from_webhook(*signed(thinned(paid), deliveries.secret))


async def test_stripe_too_slow_for_the_read_is_unavailable(
    impatient: StripePaymentEvents,
    emulator: EmulatorHandle,
    deliveries: Deliveries,
    paid: dict[str, Any],
) -> None:
    emulator.add_fault(latency_ms=1000)

    with pytest.raises(ProviderUnavailable, match="did not answer"):
        await impatient.from_webhook(*signed(thinned(paid), deliveries.secret))
