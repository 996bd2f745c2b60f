"""A Stripe request is bounded as a whole: an answer trickled a byte at a time ends within the
request timeout (not a timeout per read), a connection never accepted ends at the connect
timeout, and an answer larger than any Stripe answer is not
read into memory, whether it says its size, streams it, or inflates to it from a few kilobytes
of gzip. Each is STRIPE_UNAVAILABLE, as Stripe being unreachable is. The server is a loopback
stand-in that misbehaves as Stripe never would (the emulator is faithful)."""

from __future__ import annotations

import asyncio
import gzip
import logging
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from domain.call import Deadline
from domain.errors import ProviderUnavailable
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings
from stripe_adapter.transport import MAX_RESPONSE_BYTES
from tests.adapter.conftest import unavailable_read

SESSION = b'{"id": "cs_test_1", "object": "checkout.session", "status": "open"}'


async def trickle(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    for byte in SESSION:
        await response.write(bytes([byte]))
        await asyncio.sleep(0.05)  # the misbehaviour under test: each read well within 1 s
    return response


async def huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    chunk = b" " * (1024 * 1024)
    for _ in range(MAX_RESPONSE_BYTES // len(chunk) + 2):
        await response.write(chunk)  # JSON allows the padding: uncapped, it would parse
    await response.write(SESSION)
    return response


# JSON padded with spaces beyond the cap, in a few kilobytes of gzip.
BOMB = gzip.compress(b" " * (MAX_RESPONSE_BYTES + 1024) + SESSION, compresslevel=9)


async def bomb(request: web.Request) -> web.Response:
    return web.Response(
        body=BOMB, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )


async def declared(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = MAX_RESPONSE_BYTES + 1
    await response.prepare(request)
    await response.write(SESSION)  # and then hangs up: the size alone is refused
    return response


async def gzipped(request: web.Request) -> web.Response:
    return web.Response(
        body=gzip.compress(SESSION),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )


@pytest.fixture
async def misbehaving() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/v1/checkout/sessions/cs_test_trickle", trickle)
    app.router.add_get("/v1/checkout/sessions/cs_test_huge", huge)
    app.router.add_get("/v1/checkout/sessions/cs_test_bomb", bomb)
    app.router.add_get("/v1/checkout/sessions/cs_test_declared", declared)
    app.router.add_get("/v1/checkout/sessions/cs_test_gzipped", gzipped)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def gateway_of(misbehaving: str) -> StripePaymentGateway:
    settings = StripeSettings(
        api_key="sk_test_standin", api_base=misbehaving, timeout_seconds=1.0,
        max_network_retries=0, max_connections=1,
    )  # fmt: skip
    return StripePaymentGateway.from_settings(settings)


@pytest.mark.parametrize(
    ("session_id", "logged"),
    [
        ("cs_test_trickle", "TimeoutError: no whole answer within 1 s"),
        ("cs_test_huge", f"the answer is larger than {MAX_RESPONSE_BYTES} bytes"),
        ("cs_test_bomb", f"the answer is larger than {MAX_RESPONSE_BYTES} bytes"),
        ("cs_test_declared", f"the answer declares {MAX_RESPONSE_BYTES + 1} bytes"),
    ],
)
async def test_a_misbehaving_answer_is_cut_off_as_unavailable(
    misbehaving: str, session_id: str, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="stripe_adapter")
    gateway = gateway_of(misbehaving)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderUnavailable):
            await gateway.get_payment(session_id, Deadline.after(30))
    finally:
        await gateway.aclose()
    assert time.monotonic() - started < 3  # the trickle alone would take ~3.5 s
    (line,) = [r.getMessage() for r in caplog.records if r.name == "stripe_adapter"]
    assert logged in line


async def test_a_compressed_answer_within_the_cap_is_read_decoded(misbehaving: str) -> None:
    gateway = gateway_of(misbehaving)
    try:
        payment = await gateway.get_payment("cs_test_gzipped", Deadline.after(30))
    finally:
        await gateway.aclose()
    assert payment.id == "cs_test_1"


async def test_a_connection_never_accepted_ends_at_the_connect_timeout(
    unanswered_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="stripe_adapter")
    settings = StripeSettings(
        api_key="sk_test_standin", api_base=f"http://127.0.0.1:{unanswered_port}",
        timeout_seconds=10, connect_timeout_seconds=0.3, max_network_retries=0,
        max_connections=1,
    )  # fmt: skip
    line = await unavailable_read(settings, caplog)  # the connect's 0.3 s, not the request's 10 s
    assert line.startswith("Stripe could not be reached: ConnectionTimeoutError: ")
