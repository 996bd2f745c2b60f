"""``POST /_emulator/reset`` while a slow request is still being handled."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import stripe

from stripe_emulator import errors
from stripe_emulator.idempotency import Claim, IdempotencyStore, StoredResponse
from stripe_emulator.testing import EmulatorHandle
from tests.emulator.helpers import stripe_client

# Long enough that the reset below surely lands while the request sleeps in its latency.
LATENCY_MS = 1500


def wait_for(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Poll an observable condition (not a fixed sleep); fail after ``within`` seconds."""
    give_up = time.monotonic() + within
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


def test_reset_during_an_idempotent_request_neither_crashes_nor_leaks_into_new_state(
    emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.add_fault(latency_ms=LATENCY_MS)
    client = stripe_client(emulator)
    with (
        caplog.at_level(logging.ERROR, logger="stripe_emulator"),
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        pending = pool.submit(
            client.v1.customers.create,
            params={"email": "late@example.com"},
            options={"idempotency_key": "slow-key"},
        )
        wait_for(lambda: emulator.stats()["in_flight"] == 1)  # inside the idempotency window
        after_reset = emulator.reset()
        assert not pending.done(), "the reset must land while the request is in flight"
        late = pending.result(timeout=10)  # no 500: it finished against the discarded state

    assert late.id.startswith("cus_")
    assert not [r for r in caplog.records if r.name == "stripe_emulator"]
    empty = {
        "customer": 0,
        "product": 0,
        "price": 0,
        "checkout.session": 0,
        "payment_intent": 0,
        "webhook_endpoint": 0,
        "event": 0,
    }
    assert after_reset["objects"] == empty
    stats = emulator.stats()
    assert stats["objects"] == empty  # the late request wrote nothing into the new state
    assert stats["requests"] == {}  # nor counted itself there
    assert stats["in_flight"] == 0
    # Its object went with the old state, and its idempotency key with the old key store.
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.retrieve(late.id)
    assert raised.value.http_status == 404
    again = client.v1.customers.create(
        params={"email": "late@example.com"}, options={"idempotency_key": "slow-key"}
    )
    assert again.id != late.id
    assert again.last_response is not None
    assert "Idempotent-Replayed" not in again.last_response.headers
    assert emulator.stats()["objects"]["customer"] == 1


def test_idempotency_claim_outlived_by_a_clear_is_ignored() -> None:
    """The store side of the race: finishing a claim the store no longer holds."""
    store = IdempotencyStore()
    fingerprint: tuple[str, str, Any] = ("POST", "/v1/customers", {})
    old = store.begin("sk_test_a", "k", fingerprint)
    assert isinstance(old, Claim)
    store.clear()
    store.finish(old, StoredResponse(200, b"{}", "req_old"))  # was a KeyError
    new = store.begin("sk_test_a", "k", fingerprint)
    assert isinstance(new, Claim)  # the old result was not resurrected
    store.finish(old, None)  # a stale release must not free the new request's claim
    with pytest.raises(errors.StripeError) as raised:
        store.begin("sk_test_a", "k", fingerprint)
    assert (raised.value.status, raised.value.code) == (409, "idempotency_key_in_use")
    store.finish(new, StoredResponse(200, b'{"id": "cus_new"}', "req_new"))
    replay = store.begin("sk_test_a", "k", fingerprint)
    assert isinstance(replay, StoredResponse)
    assert replay.request_id == "req_new"
