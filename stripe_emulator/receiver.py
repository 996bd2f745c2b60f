"""A webhook receiver for tests: a real aiohttp server on 127.0.0.1, port 0.

async with receive_webhooks() as receiver:
    receiver.url                       # give it to the emulator as --webhook-url
    receiver.answer_with(500, 500)     # the next answers (then 200); None: never answer
    await receiver.wait_for(3)         # until 3 deliveries arrived (10 s timeout)
    receiver.receipts[0].body          # raw bytes, as signed; .headers, .status answered

It only records: verifying signatures is the consumer's business (``stripe.Webhook``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDictProxy


@dataclass(frozen=True)
class Receipt:
    """One delivery as it arrived, and what the receiver answered (``None``: nothing)."""

    headers: CIMultiDictProxy[str]
    body: bytes
    status: int | None


class WebhookReceiver:
    def __init__(self, path: str = "/webhooks") -> None:
        self.path = path
        self.url = ""  # known once started
        self.receipts: list[Receipt] = []
        self._answers: deque[int | None] = deque()
        self._arrived = asyncio.Condition()
        self._closing = asyncio.Event()

    def answer_with(self, *statuses: int | None) -> None:
        """Answer the next deliveries with these statuses (``None``: hang until the sender
        gives up); 200 once they are used up."""
        self._answers.extend(statuses)

    async def wait_for(self, count: int, within: float = 10.0) -> list[Receipt]:
        """The receipts once at least ``count`` arrived; ``TimeoutError`` otherwise."""
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.receipts) >= count)
        return self.receipts

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = self._answers.popleft() if self._answers else 200
        async with self._arrived:
            self.receipts.append(Receipt(request.headers, body, status))
            self._arrived.notify_all()
        if status is None:
            await self._closing.wait()
            return web.Response(status=503)
        return web.Response(status=status, text="ok")

    def close(self) -> None:
        self._closing.set()


@asynccontextmanager
async def receive_webhooks(path: str = "/webhooks") -> AsyncIterator[WebhookReceiver]:
    """Serve a :class:`WebhookReceiver` on 127.0.0.1:0 until the block exits."""
    receiver = WebhookReceiver(path)
    app = web.Application()
    app.router.add_post(path, receiver.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}{path}"
    try:
        yield receiver
    finally:
        receiver.close()
        await runner.cleanup()
