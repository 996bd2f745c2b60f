"""The connection pool to Stripe: at most `max_connections` requests at once, the others served
first come, first served, each within its deadline (the wait included) and the Stripe timeout;
closing it closes every connection. The emulator's injected latency makes each request last long
enough for the others to queue behind it."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from domain.errors import DeadlineExceeded, ProviderUnavailable
from domain.product import Product
from stripe_adapter.gateway import StripePaymentGateway
from stripe_emulator.testing import EmulatorHandle
from tests.adapter.conftest import api_requests, in_seconds, new_product, settings_for, write

POOL = 4
LATENCY = 0.25
PRODUCT_READ = "GET /v1/products/{id}"


async def products(gateway: StripePaymentGateway, count: int) -> list[Product]:
    return [await gateway.create_product(new_product(f"sku-{n}"), write()) for n in range(count)]


@pytest.fixture
async def pool_of_four(emulator: EmulatorHandle) -> AsyncIterator[StripePaymentGateway]:
    gateway = StripePaymentGateway.from_settings(settings_for(emulator, max_connections=POOL))
    yield gateway
    await gateway.aclose()


@pytest.fixture
async def one_connection(emulator: EmulatorHandle) -> AsyncIterator[StripePaymentGateway]:
    gateway = StripePaymentGateway.from_settings(settings_for(emulator, max_connections=1))
    yield gateway
    await gateway.aclose()


async def test_calls_beyond_the_pool_are_served_in_rounds_first_come_first_served(
    pool_of_four: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    connections_before = emulator.stats()["connections"]
    sold = await products(pool_of_four, 4 * POOL)
    emulator.add_fault(latency_ms=int(LATENCY * 1000))
    finished: list[int] = []

    async def read(n: int) -> None:
        await pool_of_four.get_product(sold[n].id, in_seconds(30))
        finished.append(n)

    started = time.monotonic()
    await asyncio.gather(*(read(n) for n in range(4 * POOL)))  # started in this order
    took = time.monotonic() - started

    # Round k is the k-th POOL calls to ask: none overtook, none was left behind.
    rounds = [set(finished[k : k + POOL]) for k in range(0, 4 * POOL, POOL)]
    assert rounds == [set(range(k, k + POOL)) for k in range(0, 4 * POOL, POOL)]
    assert took >= 4 * LATENCY * 0.9  # four rounds: never more than POOL at once
    assert took < 4 * LATENCY + 10  # and no call stalled
    # The pool's POOL connections, and those of add_fault() and of this stats() call.
    assert emulator.stats()["connections"] - connections_before == POOL + 2


async def test_a_call_asking_as_a_connection_comes_free_does_not_overtake_one_waiting(
    one_connection: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    first, waiting, newcomer = await products(one_connection, 3)
    emulator.add_fault(latency_ms=300)
    served: list[str] = []

    async def first_then_newcomer() -> None:
        await one_connection.get_product(first.id, in_seconds(30))
        # Asks in the same instant the first read gives its connection back.
        await one_connection.get_product(newcomer.id, in_seconds(30))
        served.append("newcomer")

    async def waiting_call() -> None:
        await one_connection.get_product(waiting.id, in_seconds(30))
        served.append("waiting")

    await asyncio.gather(first_then_newcomer(), waiting_call())

    assert served == ["waiting", "newcomer"]


async def test_a_call_waiting_for_a_connection_ends_at_its_deadline_unsent(
    one_connection: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    first, queued, last = await products(one_connection, 3)
    emulator.add_fault(latency_ms=600)
    reads = [one_connection.get_product(first.id, in_seconds(30))]
    reads.append(one_connection.get_product(queued.id, in_seconds(0.2)))
    reads.append(one_connection.get_product(last.id, in_seconds(30)))
    started = time.monotonic()
    results = await asyncio.gather(*map(timed(started), reads))

    (served, _), (error, gave_up), (served_next, _) = results
    assert isinstance(error, DeadlineExceeded)
    assert gave_up < 0.2 + 0.3  # at its deadline, not when the connection came free (0.6 s)
    assert (served, served_next) == (None, None)  # its place in the queue was handed on
    assert api_requests(emulator)[PRODUCT_READ] == 2  # the call that gave up was never sent


def timed(
    started: float,
) -> Callable[[Awaitable[Product]], Awaitable[tuple[BaseException | None, float]]]:
    async def timing(call: Awaitable[Product]) -> tuple[BaseException | None, float]:
        try:
            await call
            return None, time.monotonic() - started
        except Exception as error:
            return error, time.monotonic() - started

    return timing


async def test_the_stripe_timeout_bounds_the_wait_for_a_connection_too(
    emulator: EmulatorHandle,
) -> None:
    # Each request alone fits in the timeout; the second one's wait and request do not.
    settings = settings_for(emulator, max_connections=1, timeout_seconds=1.0, max_network_retries=0)
    gateway = StripePaymentGateway.from_settings(settings)
    try:
        first, second = await products(gateway, 2)
        emulator.add_fault(latency_ms=600)
        results = await asyncio.gather(
            gateway.get_product(first.id, in_seconds(30)),
            gateway.get_product(second.id, in_seconds(30)),
            return_exceptions=True,
        )
    finally:
        await gateway.aclose()

    assert results[0] == first
    assert isinstance(results[1], ProviderUnavailable)


async def test_closing_ends_every_connection_and_later_calls_are_unavailable(
    emulator: EmulatorHandle,
) -> None:
    gateway = StripePaymentGateway.from_settings(settings_for(emulator, max_connections=3))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sold = await products(gateway, 3)
        emulator.add_fault(latency_ms=100)
        await asyncio.gather(*(gateway.get_product(p.id, in_seconds(30)) for p in sold))
        await gateway.aclose()
        with pytest.raises(ProviderUnavailable):
            await gateway.get_product(sold[0].id, in_seconds(30))
        del gateway
        gc.collect()  # an unclosed aiohttp session or connector would warn now

    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert api_requests(emulator)[PRODUCT_READ] == 3  # nothing sent after closing


async def test_closing_a_client_that_never_called_stripe(emulator: EmulatorHandle) -> None:
    gateway = StripePaymentGateway.from_settings(settings_for(emulator))
    await gateway.aclose()
    await gateway.aclose()  # twice is harmless, as a shutdown after a failed start may do


async def test_the_proxy_variables_of_the_environment_are_not_followed(
    gateway: StripePaymentGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Followed, they would send the call (and the Stripe key) to a port where nobody listens.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)

    created = await gateway.create_product(new_product("sku-proxy"), write())

    assert await gateway.get_product(created.id, in_seconds(5)) == created
