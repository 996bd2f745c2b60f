"""``/_emulator/stats`` and ``/_emulator/reset``."""

from __future__ import annotations

import pytest
import stripe

from stripe_emulator.testing import EmulatorHandle
from tests.emulator.helpers import make_session, stripe_client


def test_stats_count_objects_requests_and_connections(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    emulator.pay(session.id)
    client.v1.checkout.sessions.retrieve(session.id)

    stats = emulator.stats()
    assert stats["objects"] == {
        "customer": 0,
        "product": 1,
        "price": 1,
        "checkout.session": 1,
        "payment_intent": 1,
        "webhook_endpoint": 0,
        "event": 5,  # product, price, PaymentIntent created + succeeded, session completed
    }
    assert stats["requests"]["POST /v1/products"] == 1
    assert stats["requests"]["POST /v1/checkout/sessions"] == 1
    assert stats["requests"]["GET /v1/checkout/sessions/{session}"] == 1
    assert stats["requests"]["POST /_emulator/checkout/sessions/{session}/pay"] == 1
    assert stats["connections"] >= 1


def test_reset_empties_state_faults_and_counters(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    customer = client.v1.customers.create()
    emulator.add_fault(path="/v1/customers", status=500, times=3)
    emulator.add_fault(latency_ms=50)

    after = emulator.reset()
    assert after["objects"]["customer"] == 0
    assert after["connections"] == 0
    assert after["requests"] == {}
    assert emulator.clear_faults()["faults"] == []  # reset already removed them
    # The old object is gone and no fault fires any more.
    new_client = stripe_client(emulator)
    assert new_client.v1.customers.create().id != customer.id
    with pytest.raises(stripe.InvalidRequestError) as raised:
        new_client.v1.customers.retrieve(customer.id)
    assert raised.value.http_status == 404
