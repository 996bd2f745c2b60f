"""Failures on the wire: injected statuses, lost responses, rate limits, slowness, bad keys."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator

import pytest

from domain.customer import NewCustomer
from domain.errors import (
    DeadlineExceeded,
    ProviderMisconfigured,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    RequestConflict,
)
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings
from stripe_emulator.testing import EmulatorHandle
from tests.adapter.conftest import (
    api_requests,
    in_seconds,
    new_product,
    object_count,
    settings_for,
    write,
)

ANN = NewCustomer(email="ann@example.com")


@pytest.fixture
async def no_retry_gateway(emulator: EmulatorHandle) -> AsyncIterator[StripePaymentGateway]:
    """A gateway whose SDK does not retry, and with a short HTTP timeout."""
    gateway = StripePaymentGateway.from_settings(
        settings_for(emulator, max_network_retries=0, timeout_seconds=0.3)
    )
    yield gateway
    await gateway.aclose()


async def test_two_503s_are_retried_into_one_customer(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=503, times=2)

    customer = await gateway.create_customer(ANN, write())

    assert customer.email == ANN.email
    assert object_count(emulator, "customer") == 1
    assert api_requests(emulator) == {"POST /v1/customers": 3}


async def test_lost_response_is_retried_into_exactly_one_customer(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", drop="after", times=1)

    customer = await gateway.create_customer(ANN, write())  # no caller key: adapter makes one

    assert customer.email == ANN.email
    assert object_count(emulator, "customer") == 1


async def test_request_lost_before_processing_is_retried(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", drop="before", times=1)

    await gateway.create_customer(ANN, write("k1"))

    assert object_count(emulator, "customer") == 1


async def test_persistent_500_is_provider_unavailable(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=500, times=100)

    with pytest.raises(ProviderUnavailable) as caught:
        await gateway.create_customer(ANN, write())

    assert caught.value.retry_after_seconds > 0
    assert caught.value.provider.request_id
    assert api_requests(emulator) == {"POST /v1/customers": 3}  # 1 + max_network_retries


async def test_500_when_the_deadline_cannot_afford_a_retry_fails_fast(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=500, times=100)
    started = time.monotonic()

    with pytest.raises(ProviderUnavailable):
        await gateway.create_customer(ANN, write(deadline_in=0.3))

    assert time.monotonic() - started < 0.3  # the SDK's back-off (>= 0.5 s) was not waited out
    assert api_requests(emulator) == {"POST /v1/customers": 1}


async def test_persistent_429_with_a_short_deadline_is_rate_limited_in_time(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=429, times=1000)
    started = time.monotonic()

    with pytest.raises(RateLimited) as caught:
        await gateway.create_customer(ANN, write(deadline_in=0.6))

    assert time.monotonic() - started < 0.6
    assert caught.value.retry_after_seconds > 0
    assert caught.value.provider.error_code == "rate_limit"
    assert api_requests(emulator)["POST /v1/customers"] >= 2  # it did retry while it could
    assert object_count(emulator, "customer") == 0


async def test_retry_after_beyond_the_deadline_is_rate_limited_at_once(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=429, times=10, retry_after=5)

    with pytest.raises(RateLimited) as caught:
        await gateway.create_customer(ANN, write(deadline_in=2))

    assert caught.value.retry_after_seconds == 5
    assert api_requests(emulator) == {"POST /v1/customers": 1}


async def test_429_without_deadline_stops_after_the_configured_retries(
    emulator: EmulatorHandle,
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=429, times=1000)
    gateway = StripePaymentGateway.from_settings(
        settings_for(emulator, max_rate_limit_retries=2, rate_limit_base_delay_seconds=0.01)
    )
    try:
        with pytest.raises(RateLimited):
            await gateway.create_customer(ANN, write())
    finally:
        await gateway.aclose()

    assert api_requests(emulator) == {"POST /v1/customers": 3}


async def test_429_once_then_success_within_the_deadline(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(path="/v1/customers", method="POST", status=429, times=1)

    customer = await gateway.create_customer(ANN, write(deadline_in=5))

    assert customer.email == ANN.email
    assert object_count(emulator, "customer") == 1
    assert api_requests(emulator) == {"POST /v1/customers": 2}


async def test_429_on_a_read_is_retried(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    product = await gateway.create_product(new_product(), write())
    emulator.add_fault(path=f"/v1/products/{product.id}", method="GET", status=429, times=2)

    assert await gateway.get_product(product.id, in_seconds(5)) == product


async def test_bad_api_key_is_misconfigured_without_revealing_the_key(
    emulator: EmulatorHandle,
) -> None:
    bad_key = "not_a_real_key_ABCDEFGHIJ123456"
    gateway = StripePaymentGateway.from_settings(settings_for(emulator, api_key=bad_key))
    try:
        with pytest.raises(ProviderMisconfigured) as caught:
            await gateway.create_customer(ANN, write())
    finally:
        await gateway.aclose()

    error = caught.value
    shown = " ".join([str(error), repr(error), repr(error.metadata), repr(error.__cause__)])
    assert bad_key not in shown
    assert "3456" not in shown  # not even the last four characters Stripe echoes back
    assert error.__cause__ is None
    assert error.__suppress_context__


async def test_latency_beyond_the_deadline_is_deadline_exceeded_on_time(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    emulator.add_fault(latency_ms=2000)
    started = time.monotonic()

    with pytest.raises(DeadlineExceeded):
        await gateway.get_product("prod_any", in_seconds(0.3))

    assert time.monotonic() - started < 0.3 + 0.1


async def test_latency_beyond_the_http_timeout_is_provider_unavailable(
    no_retry_gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    # A read: the abandoned request keeps running in the emulator and must not change state
    # that a later test sees.
    emulator.add_fault(latency_ms=1000)  # longer than the 0.3 s HTTP timeout
    started = time.monotonic()

    with pytest.raises(ProviderUnavailable):
        await no_retry_gateway.get_product("prod_any", in_seconds(5))

    assert time.monotonic() - started < 1


async def test_expired_deadline_does_no_stripe_work(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    expired = in_seconds(-0.001)

    with pytest.raises(DeadlineExceeded):
        await gateway.create_customer(ANN, write(deadline_in=-0.001))
    with pytest.raises(DeadlineExceeded):
        await gateway.get_product("prod_any", expired)
    with pytest.raises(DeadlineExceeded):
        await gateway.get_payment("cs_any", expired)

    assert api_requests(emulator) == {}


async def test_concurrent_duplicate_while_first_runs_gets_the_first_result(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    """The twin sees 409 idempotency_key_in_use; the SDK retries it into the replayed result."""
    emulator.add_fault(latency_ms=200)

    first, second = await asyncio.gather(
        gateway.create_customer(ANN, write("k1")), gateway.create_customer(ANN, write("k1"))
    )

    assert first == second
    assert object_count(emulator, "customer") == 1


async def test_duplicate_in_progress_beyond_sdk_retries_is_request_conflict(
    no_retry_gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    """Whichever twin arrives second finds the key in use (the first is slowed down)."""
    emulator.add_fault(latency_ms=250)  # below the 0.3 s HTTP timeout, far above send skew

    results = await asyncio.gather(
        no_retry_gateway.create_customer(ANN, write("k1")),
        no_retry_gateway.create_customer(ANN, write("k1")),
        return_exceptions=True,
    )

    conflicts = [r for r in results if isinstance(r, RequestConflict)]
    assert len(conflicts) == 1, results
    assert conflicts[0].provider.error_code == "idempotency_key_in_use"
    assert object_count(emulator, "customer") == 1


async def test_other_invalid_request_is_provider_rejected(
    gateway: StripePaymentGateway,
) -> None:
    with pytest.raises(ProviderRejected) as caught:
        await gateway.create_customer(NewCustomer(email="not-an-email"), write())

    assert caught.value.provider.request_id
    assert caught.value.provider.param == "email"


async def test_a_huge_retry_after_is_capped_at_the_max_delay(emulator: EmulatorHandle) -> None:
    # Without a deadline, nothing but the cap stops a Retry-After of an hour from being waited.
    emulator.add_fault(path="/v1/customers", method="POST", status=429, times=10, retry_after=3600)
    gateway = StripePaymentGateway.from_settings(
        settings_for(emulator, max_rate_limit_retries=1, rate_limit_max_delay_seconds=0.05)
    )
    try:
        async with asyncio.timeout(10):  # a guard against the uncapped wait, not a sync point
            with pytest.raises(RateLimited) as caught:
                await gateway.create_customer(ANN, write())
    finally:
        await gateway.aclose()

    assert caught.value.retry_after_seconds == pytest.approx(0.05)
    assert api_requests(emulator) == {"POST /v1/customers": 2}  # it waited the capped delay once


async def test_an_unreachable_stripe_is_unavailable_and_logged_with_its_cause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as closed:  # a port nobody listens on: connect() is refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings = StripeSettings(
        api_key="sk_test_unreachable", api_base=f"http://127.0.0.1:{port}",
        timeout_seconds=2, max_network_retries=0, max_connections=1,
    )  # fmt: skip
    gateway = StripePaymentGateway.from_settings(settings)
    caplog.set_level(logging.INFO, logger="stripe_adapter")
    try:
        with pytest.raises(ProviderUnavailable):
            await gateway.create_customer(ANN, write())
    finally:
        await gateway.aclose()

    (line,) = [r.getMessage() for r in caplog.records if r.name == "stripe_adapter"]
    assert line.startswith("Stripe could not be reached: ClientConnectorError: ")
    assert "sk_test" not in line
