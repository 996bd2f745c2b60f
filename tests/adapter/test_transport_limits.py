"""A Stripe request is bounded as a whole: an answer trickled a byte at a time ends within the
request timeout (not a timeout per read), and an answer larger than any Stripe answer is not
read into memory. Both are STRIPE_UNAVAILABLE, as Stripe being unreachable is. The server is a
loopback stand-in that misbehaves as Stripe never would (the emulator is faithful)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from domain.call import Deadline
from domain.errors import ProviderUnavailable
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings
from stripe_adapter.transport import MAX_RESPONSE_BYTES

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


@pytest.fixture
async def misbehaving() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/v1/checkout/sessions/cs_test_trickle", trickle)
    app.router.add_get("/v1/checkout/sessions/cs_test_huge", huge)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("session_id", ["cs_test_trickle", "cs_test_huge"])
async def test_a_misbehaving_answer_is_cut_off_as_unavailable(
    misbehaving: str, session_id: str
) -> None:
    settings = StripeSettings(
        api_key="sk_test_standin", api_base=misbehaving, timeout_seconds=1.0,
        max_network_retries=0,
    )  # fmt: skip
    gateway = StripePaymentGateway.from_settings(settings)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderUnavailable):
            await gateway.get_payment(session_id, Deadline.after(30))
    finally:
        await gateway.aclose()
    assert time.monotonic() - started < 3  # the trickle alone would take ~3.5 s
