"""Run the emulator from tests: in a background thread (sync) or on the current loop (async).

with running_emulator() as emu:
    # point any HTTP client (e.g. the stripe SDK) at emu.url with emu.api_key
    emu.pay(session_id)

async with serve() as emu:          # inside a running event loop
    await emu.pay(session_id, outcome="fail")

With webhooks (see docs/emulator.md, "Events and webhooks"):

async with receive_webhooks() as receiver, serve(
    webhooks=WebhookSettings(url=receiver.url, secret="whsec_test", retry_scale=0.001)
) as emu:
    ...                                  # drive a flow through the SDK
    await emu.deliveries_settled()       # no delivery attempting, retrying or held
    receiver.receipts                    # what arrived; emu.webhook_secret verifies it
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import aiohttp

from stripe_emulator.receiver import Receipt, WebhookReceiver, receive_webhooks
from stripe_emulator.server import EmulatorServer
from stripe_emulator.settings import WebhookSettings
from stripe_emulator.state import RecordedRequest

__all__ = [
    "TEST_API_KEY",
    "AsyncEmulatorHandle",
    "EmulatorError",
    "EmulatorHandle",
    "Receipt",
    "WebhookReceiver",
    "WebhookSettings",
    "receive_webhooks",
    "running_emulator",
    "serve",
]

TEST_API_KEY = "sk_test_emulator_0000000000000000"


class EmulatorError(RuntimeError):
    """An ``/_emulator`` call was refused; ``body`` is the error envelope."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


class _Handle:
    def __init__(self, server: EmulatorServer, api_key: str) -> None:
        self._server = server
        self.url = server.url
        self.api_key = api_key

    @property
    def recorded_requests(self) -> list[RecordedRequest]:
        """``/v1`` requests as decoded (only with ``record_requests=True``)."""
        return list(self._server.state.recorded or [])

    @property
    def webhook_endpoint(self) -> str | None:
        """The id of the start-up (``webhooks=``) endpoint, if any."""
        return self._server.forwarding_endpoint

    @property
    def webhook_secret(self) -> str | None:
        """Its signing secret (the one given, or the one made up)."""
        return self._server.state.webhooks.secret

    async def _settled(self, within: float) -> None:
        async with asyncio.timeout(within):
            await self._server.state.deliveries.settled()


class EmulatorHandle(_Handle):
    """Blocking helpers over HTTP; safe from any thread except the emulator's own loop."""

    def __init__(
        self, server: EmulatorServer, api_key: str, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(server, api_key)
        self._loop = loop

    def pay(self, session_id: str, outcome: str = "succeed") -> dict[str, Any]:
        return self._call(
            "POST", f"/_emulator/checkout/sessions/{session_id}/pay", {"outcome": outcome}
        )

    def expire(self, session_id: str) -> dict[str, Any]:
        return self._call("POST", f"/_emulator/checkout/sessions/{session_id}/expire")

    def add_fault(self, **fault: Any) -> dict[str, Any]:
        return self._call("POST", "/_emulator/faults", fault)

    def clear_faults(self) -> dict[str, Any]:
        return self._call("DELETE", "/_emulator/faults")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/_emulator/stats")

    def reset(self) -> dict[str, Any]:
        return self._call("POST", "/_emulator/reset")

    def settle(self, intent_id: str, outcome: str = "succeeded") -> dict[str, Any]:
        path = f"/_emulator/payment_intents/{intent_id}/settle"
        return self._call("POST", path, {"outcome": outcome})

    def deliveries(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._call("GET", "/_emulator/deliveries")["data"]
        return rows

    def add_delivery_fault(self, **fault: Any) -> dict[str, Any]:
        return self._call("POST", "/_emulator/delivery_faults", fault)

    def deliveries_settled(self, within: float = 10.0) -> None:
        """Blocks until no delivery is attempting, waiting to retry or held."""
        done = asyncio.run_coroutine_threadsafe(self._settled(within), self._loop)
        done.result(within + 1)

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                result: dict[str, Any] = json.load(response)
                return result
        except urllib.error.HTTPError as exc:
            raise EmulatorError(exc.code, json.load(exc)) from None


class AsyncEmulatorHandle(_Handle):
    """The same helpers, awaitable, for an emulator running on the caller's own loop."""

    def __init__(self, server: EmulatorServer, api_key: str, session: aiohttp.ClientSession):
        super().__init__(server, api_key)
        self._session = session

    async def pay(self, session_id: str, outcome: str = "succeed") -> dict[str, Any]:
        path = f"/_emulator/checkout/sessions/{session_id}/pay"
        return await self._call("POST", path, {"outcome": outcome})

    async def expire(self, session_id: str) -> dict[str, Any]:
        return await self._call("POST", f"/_emulator/checkout/sessions/{session_id}/expire")

    async def add_fault(self, **fault: Any) -> dict[str, Any]:
        return await self._call("POST", "/_emulator/faults", fault)

    async def clear_faults(self) -> dict[str, Any]:
        return await self._call("DELETE", "/_emulator/faults")

    async def stats(self) -> dict[str, Any]:
        return await self._call("GET", "/_emulator/stats")

    async def reset(self) -> dict[str, Any]:
        return await self._call("POST", "/_emulator/reset")

    async def settle(self, intent_id: str, outcome: str = "succeeded") -> dict[str, Any]:
        path = f"/_emulator/payment_intents/{intent_id}/settle"
        return await self._call("POST", path, {"outcome": outcome})

    async def deliveries(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await self._call("GET", "/_emulator/deliveries"))["data"]
        return rows

    async def add_delivery_fault(self, **fault: Any) -> dict[str, Any]:
        return await self._call("POST", "/_emulator/delivery_faults", fault)

    async def deliveries_settled(self, within: float = 10.0) -> None:
        """Returns once no delivery is attempting, waiting to retry or held."""
        await self._settled(within)

    async def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        async with self._session.request(method, self.url + path, json=body) as response:
            result: dict[str, Any] = await response.json()
            if response.status >= 400:
                raise EmulatorError(response.status, result)
            return result


@asynccontextmanager
async def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    api_key: str = TEST_API_KEY,
    record_requests: bool = False,
    webhooks: WebhookSettings | None = None,
) -> AsyncIterator[AsyncEmulatorHandle]:
    """Serve on the running event loop until the block exits."""
    server = EmulatorServer(host, port, record_requests=record_requests, webhooks=webhooks)
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield AsyncEmulatorHandle(server, api_key, session)
    finally:
        await server.stop()


@contextmanager
def running_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    api_key: str = TEST_API_KEY,
    record_requests: bool = False,
    webhooks: WebhookSettings | None = None,
) -> Iterator[EmulatorHandle]:
    """Serve from a background thread with its own event loop until the block exits."""
    loop = asyncio.new_event_loop()
    server = EmulatorServer(host, port, record_requests=record_requests, webhooks=webhooks)
    thread = threading.Thread(target=loop.run_forever, name="stripe-emulator", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
        yield EmulatorHandle(server, api_key, loop)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
