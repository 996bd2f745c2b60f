"""The delivery plumbing on its own: the lean HTTP client, the child sender, the settings."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from stripe_emulator import settings
from stripe_emulator.objects.webhook_endpoint import build_webhook_endpoint
from stripe_emulator.state import API_QUIET_SECONDS, EmulatorState
from stripe_emulator.store import Store
from stripe_emulator.testing import WebhookSettings, receive_webhooks, running_emulator
from stripe_emulator.webhooks import delivery
from stripe_emulator.webhooks.delivery import Deliverer
from stripe_emulator.webhooks.http_client import BadResponse, WebhookClient, parse_response
from stripe_emulator.webhooks.sender import Outcome, SenderProcess, frame, split_frames
from tests.emulator.helpers import make_session, stripe_client

HEADERS = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("raw", "closed", "expected"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", False, (200, True)),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok", False, None),
        (
            b"HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            False,
            (500, False),
        ),
        (b"HTTP/1.0 204 No Content\r\n\r\n", False, (204, False)),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            False,
            (200, True),
        ),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n", False, None),
        (b"HTTP/1.1 202 Accepted\r\n\r\nuntil close", False, None),
        (b"HTTP/1.1 202 Accepted\r\n\r\nuntil close", True, (202, False)),
        (b"HTTP/1.1 200 OK\r\nContent-Le", False, None),
    ],
)
def test_parse_response(raw: bytes, closed: bool, expected: tuple[int, bool] | None) -> None:
    assert parse_response(bytearray(raw), closed=closed) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
    ],
)
def test_parse_response_refuses_what_is_not_http(raw: bytes) -> None:
    with pytest.raises(BadResponse):
        parse_response(bytearray(raw), closed=False)


@asynccontextmanager
async def raw_server(
    answer: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1:0 answering with `answer`; yields its URL."""

    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await reader.readuntil(b"\r\n\r\n")
            await answer(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook?x=1"
    finally:
        server.close()
        await server.wait_closed()
        if handlers:  # each ends once the client has closed its side
            await asyncio.wait(handlers, timeout=5)


async def test_client_reuses_a_kept_alive_connection_and_reads_chunked_answers() -> None:
    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=201)
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b"fine")
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/hook", chunked)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    client = WebhookClient(5)
    try:
        assert await client.post(url, b"{}", HEADERS) == 201
        assert await client.post(url, b"{}", HEADERS) == 201
        assert len(client._open) == 1  # one connection served both
    finally:
        client.close()
        await runner.cleanup()


async def test_client_reports_garbage_a_reset_and_a_refusal() -> None:
    async def garbage(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello there\r\n\r\n")
        await writer.drain()

    async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        pass  # closes without a word

    async def close_delimited(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nbody until close")
        await writer.drain()

    client = WebhookClient(5)
    try:
        async with raw_server(garbage) as url:
            with pytest.raises(BadResponse):
                await client.post(url, b"{}", HEADERS)
        async with raw_server(hang_up) as url:
            with pytest.raises(ConnectionResetError):
                await client.post(url, b"{}", HEADERS)
        async with raw_server(close_delimited) as url:
            assert await client.post(url, b"{}", HEADERS) == 200
        with pytest.raises(ConnectionRefusedError):
            await client.post("http://127.0.0.1:9/nothing", b"{}", HEADERS)
    finally:
        client.close()


async def test_client_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes

    client = WebhookClient(0.2)
    try:
        async with raw_server(silent) as url:
            with pytest.raises(TimeoutError):
                await client.post(url, b"{}", HEADERS)
    finally:
        client.close()


async def test_sender_process_answers_each_job() -> None:
    sender = SenderProcess(5)
    answers: asyncio.Queue[Outcome] = asyncio.Queue()
    try:
        async with receive_webhooks() as receiver:
            receiver.answer_with(418)
            sender.submit(receiver.url, b'{"a": 1}', HEADERS, answers.put_nowait)
            sender.submit("http://127.0.0.1:9/x", b"{}", HEADERS, answers.put_nowait)
            got = {await asyncio.wait_for(answers.get(), 10) for _ in range(2)}
            assert (418, None) in got
            refused = next(outcome for outcome in got if outcome[0] is None)
            assert refused[1] is not None
            assert "ConnectionRefusedError" in refused[1]
            assert receiver.receipts[0].body == b'{"a": 1}'
    finally:
        await sender.close()


def test_frames_split_whole_messages_only() -> None:
    data = frame((1, None, "x")) + frame((2, 200, None))
    assert split_frames(data) == ([(1, None, "x"), (2, 200, None)], b"")
    assert split_frames(data[:-1]) == ([(1, None, "x")], data[len(frame((1, None, "x"))) : -1])
    assert split_frames(b"\x00\x00") == ([], b"\x00\x00")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "ftp://x"}, "webhook url must be an http(s) URL"),
        ({"url": "http://h:0/x"}, "webhook url must be an http(s) URL"),
        ({"url": "http://h/x", "secret": "nope"}, "must start with whsec_"),
        ({"secret": "whsec_x"}, "a webhook secret needs a webhook url"),
        ({"timeout_seconds": 0.0}, "timeout_seconds must be a positive number"),
        ({"retry_scale": math.nan}, "retry_scale must be a positive number"),
    ],
)
def test_webhook_settings_refuse_what_cannot_work(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(settings.SettingsError) as raised:
        WebhookSettings(**kwargs)  # type: ignore[arg-type]
    assert message in str(raised.value)


def test_settings_from_the_environment_and_overrides() -> None:
    env = {
        settings.ENV_URL: "http://127.0.0.1:8000/hooks",
        settings.ENV_TIMEOUT: "2.5",
        settings.ENV_SCALE: "0.01",
    }
    loaded = settings.from_env(env, secret="whsec_given")
    assert loaded.url == "http://127.0.0.1:8000/hooks"
    assert loaded.secret == "whsec_given"
    assert loaded.timeout_seconds == 2.5
    assert loaded.delays() == pytest.approx((3.0, 18.0, 72.0))
    made_up = settings.from_env({settings.ENV_URL: "http://h/x"})
    assert made_up.secret is not None
    assert made_up.secret.startswith("whsec_")
    assert settings.from_env({}).url is None
    with pytest.raises(settings.SettingsError, match="retry scale must be a number"):
        settings.from_env({settings.ENV_SCALE: "fast"})


async def test_the_blocking_handle_has_the_webhook_helpers() -> None:
    async with receive_webhooks() as receiver:
        hooks = WebhookSettings(url=receiver.url, retry_scale=0.0001)
        with running_emulator(webhooks=hooks) as emu:
            client = stripe_client(emu)
            emu.add_delivery_fault(fault="duplicate", type="checkout.session.completed")
            paid = emu.pay(make_session(client).id, outcome="processing")
            assert emu.settle(paid["payment_intent"]["id"], "succeeded")["status"] == "succeeded"
            await asyncio.to_thread(emu.deliveries_settled)
            types = [row["type"] for row in emu.deliveries()]
            assert types.count("checkout.session.completed") == 2
            assert "checkout.session.async_payment_succeeded" in types
            assert emu.webhook_endpoint is not None
            assert emu.webhook_secret is not None


class _RecordingSender:
    """Stands in for the child process: keeps what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Callable[[Outcome], None]]] = []
        self.arrived = asyncio.Event()

    def submit(
        self, url: str, body: bytes, headers: dict[str, str], callback: Callable[[Outcome], None]
    ) -> None:
        self.sent.append((url, callback))
        self.arrived.set()

    async def close(self) -> None:
        self.sent.clear()


def _deliverer(busy: list[bool]) -> tuple[Store, Deliverer, _RecordingSender]:
    store = Store()
    endpoint = store.add(
        build_webhook_endpoint({"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]}, 0)
    )
    store.webhook_secrets[endpoint["id"]] = "whsec_x"
    deliverer = Deliverer(store, WebhookSettings(), api_busy=lambda: busy[0])
    sender = _RecordingSender()
    deliverer._sender = sender  # type: ignore[assignment]  # the child is tested above
    return store, deliverer, sender


async def test_deliveries_wait_while_the_api_is_busy() -> None:
    busy = [True]
    store, deliverer, sender = _deliverer(busy)
    store.events.emit("customer.created", {"id": "cus_1", "object": "customer"})
    deliverer._drain()  # as the emulator's own check does, while a request is handled
    assert sender.sent == []
    assert deliverer.in_progress() == 1
    busy[0] = False
    await asyncio.wait_for(sender.arrived.wait(), 5)
    sender.sent[0][1]((200, None))
    async with asyncio.timeout(5):
        await deliverer.settled()
    assert [row["status"] for row in deliverer.attempts] == [200]
    await deliverer.close()


async def test_a_busy_api_holds_deliveries_back_only_so_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "MAX_QUEUED_SECONDS", 0.1)
    store, deliverer, sender = _deliverer([True])  # busy for good
    store.events.emit("customer.created", {"id": "cus_1", "object": "customer"})
    await asyncio.wait_for(sender.arrived.wait(), 5)  # although the API never pauses
    assert len(sender.sent) == 1
    await deliverer.close()
    assert deliverer.in_progress() == 0


def test_the_api_counts_as_busy_while_handling_and_just_after() -> None:
    state = EmulatorState()
    assert state._api_busy() is False
    state.in_flight = 1
    assert state._api_busy() is True
    state.in_flight = 0
    state.last_api_answer = time.perf_counter()  # answered just now
    assert state._api_busy() is True
    state.last_api_answer = time.perf_counter() - API_QUIET_SECONDS
    assert state._api_busy() is False
