"""WatchPaymentStatus and WatchPaymentEvents on the HTTP door, over a fake gateway and ledger:
newline-delimited JSON read line by line as the ledger records each change; a failure before the
first line answered as a unary call's, one after it as the stream's last line; the gRPC door's
key, limits and drain; a caller that goes away frees its stream."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import grpc
import pytest
from aiohttp import web

from domain.payment_status import PaymentStatus
from payments.v1 import payments_pb2, payments_pb2_grpc
from service.composition import running_service
from service.http.streams import NDJSON_TYPE, NdjsonStream
from tests.conftest import API_KEY, Stub, rich_details, wait_until
from tests.edge.conftest import Stack, error_info, field_violations, settings_for
from tests.edge.test_error_rows import check_row
from tests.edge.test_expire_checkout import open_checkout
from tests.edge.test_list_payment_events import became
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

AUTH = {"x-api-key": API_KEY}
EVENTS = "/v1/payment-events/watch"
Params = list[tuple[str, str]]


@asynccontextmanager
async def watching(
    client: aiohttp.ClientSession, url: str, params: Params | None = None
) -> AsyncIterator[aiohttp.ClientResponse]:
    """A watch request whose answer has started (status and headers received)."""
    async with client.get(url, params=params, headers=AUTH) as response:
        yield response


async def next_line(response: aiohttp.ClientResponse) -> Any:
    """The next line of the body as JSON; None at its end."""
    async with asyncio.timeout(5):
        line = await response.content.readline()
    return json.loads(line) if line else None


def payment_of(line: Any) -> tuple[str, str]:
    """The one event of a WatchPaymentEvents line."""
    (event,) = line["result"]["events"]
    return event["payment"]["id"], event["payment"]["status"]


async def test_a_payment_is_streamed_from_open_to_succeeded_as_each_change_is_recorded(
    stack: Stack,
) -> None:
    session_id = await open_checkout(stack, clientReferenceId="order-1")
    url = f"{stack.url}/v1/payments/{session_id}/watch"

    async with watching(stack.client, url) as response:
        assert (response.status, response.content_type) == (200, NDJSON_TYPE)
        first = await next_line(response)
        await became(stack.ledger, session_id, PaymentStatus.SUCCEEDED)
        second = await next_line(response)
        end = await next_line(response)

    assert first["result"]["status"] == "PAYMENT_STATUS_OPEN"
    assert first["result"]["clientReferenceId"] == "order-1"
    assert (second["result"]["id"], second["result"]["status"]) == (
        session_id,
        "PAYMENT_STATUS_SUCCEEDED",
    )
    assert end is None  # a final status ends the stream OK: the body just ends
    # /v1/payments/{id} stays the unary GetPaymentStatus: {id} does not swallow "/watch".
    status, body = await stack.call("GET", f"/v1/payments/{session_id}")
    assert (status, body["status"]) == (200, "PAYMENT_STATUS_SUCCEEDED")


async def test_payment_events_from_a_cursor_filtered_by_repeated_status_parameters(
    stack: Stack,
) -> None:
    await became(stack.ledger, "cs_1", PaymentStatus.PROCESSING)
    await became(stack.ledger, "cs_2", PaymentStatus.EXPIRED)
    await became(stack.ledger, "cs_1", PaymentStatus.SUCCEEDED)
    cursor = stack.ledger.feed[0].cursor  # cs_1 PROCESSING: the stream starts after it
    statuses = [("statuses", "PAYMENT_STATUS_SUCCEEDED"), ("statuses", "PAYMENT_STATUS_FAILED")]

    async with watching(
        stack.client, stack.url + EVENTS, [("afterCursor", cursor), *statuses]
    ) as r:
        kept = await next_line(r)
        await became(stack.ledger, "cs_3", PaymentStatus.EXPIRED)  # not a status asked for
        await became(stack.ledger, "cs_4", PaymentStatus.FAILED)
        live = await next_line(r)

    assert payment_of(kept) == ("cs_1", "PAYMENT_STATUS_SUCCEEDED")
    assert payment_of(live) == ("cs_4", "PAYMENT_STATUS_FAILED")
    assert live["result"]["events"][0]["cursor"] > kept["result"]["events"][0]["cursor"]


async def test_a_missing_key_is_a_401_status_before_any_line(stack: Stack) -> None:
    async with stack.client.get(stack.url + EVENTS) as response:
        assert (response.status, response.content_type) == (401, "application/json")
        assert error_info(await response.json())["reason"] == "API_KEY_MISSING"


@pytest.mark.parametrize(
    ("path", "params", "reason", "field"),
    [
        ("/v1/payments/not-a-payment/watch", [], "VALIDATION_FAILED", "id"),
        (EVENTS, [("statuses", "PAYMENT_STATUS_NOPE")], "INVALID_QUERY_PARAMETER", "statuses"),
        (EVENTS, [("statuses", "PAYMENT_STATUS_OPEN")], "VALIDATION_FAILED", "statuses[0]"),
        (EVENTS, [("after_cursor", "x"), ("afterCursor", "y")], "INVALID_QUERY_PARAMETER",
         "afterCursor"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_400_status_before_any_line(
    stack: Stack, path: str, params: Params, reason: str, field: str
) -> None:
    async with stack.client.get(stack.url + path, params=params, headers=AUTH) as response:
        assert (response.status, response.content_type) == (400, "application/json")
        body = await response.json()

    assert error_info(body)["reason"] == reason
    assert field in field_violations(body), body


async def test_a_bad_status_name_is_named_in_the_violation(stack: Stack) -> None:
    params = [("statuses", "PAYMENT_STATUS_SUCCEEDED"), ("statuses", "SUCCEEDED")]
    async with stack.client.get(stack.url + EVENTS, params=params, headers=AUTH) as response:
        violations = field_violations(await response.json())

    assert violations == {
        "statuses": "must be an enum value name (or its number): Invalid enum value SUCCEEDED "
        "for enum type payments.v1.PaymentStatus"
    }


async def test_an_unknown_payment_is_a_404_status(stack: Stack) -> None:
    url = f"{stack.url}/v1/payments/cs_test_nosuchsession/watch"
    async with stack.client.get(url, headers=AUTH) as response:
        assert (response.status, response.content_type) == (404, "application/json")
        assert error_info(await response.json())["reason"] == "CHECKOUT_SESSION_NOT_FOUND"


async def test_the_drain_ends_a_started_stream_with_a_last_shutting_down_line(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="service.http.access")
    await became(stack.ledger, "cs_1", PaymentStatus.SUCCEEDED)

    async with watching(stack.client, stack.url + EVENTS) as response:
        first = await next_line(response)
        await stack.service.server.refuse_new_calls(5)
        last = await next_line(response)
        end = await next_line(response)

    assert payment_of(first) == ("cs_1", "PAYMENT_STATUS_SUCCEEDED")
    assert last["error"]["code"] == grpc.StatusCode.UNAVAILABLE.value[0]
    assert error_info(last["error"])["reason"] == "SHUTTING_DOWN"
    assert any(d["@type"].endswith("/google.rpc.RetryInfo") for d in last["error"]["details"])
    assert end is None
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "service.http.access"]
    assert logged.startswith(f"GET {EVENTS} 200 rpc=WatchPaymentEvents reason=SHUTTING_DOWN ")


@pytest.mark.parametrize("door", ["grpc", "http"])
async def test_a_stream_beyond_the_callers_limit_is_too_many_streams_on_both_doors(
    door: str,
) -> None:
    ledger = FakeLedger()
    await became(ledger, "cs_1", PaymentStatus.SUCCEEDED)
    settings = settings_for(max_streams_per_caller=1)
    async with (
        running_service(settings, gateway=FakeGateway(), ledger=ledger, grace_seconds=0) as svc,
        aiohttp.ClientSession() as client,
        watching(client, f"http://{svc.http_address}{EVENTS}") as first,
    ):
        assert payment_of(await next_line(first)) == ("cs_1", "PAYMENT_STATUS_SUCCEEDED")
        if door == "http":
            outcome = await refused_over_http(client, f"http://{svc.http_address}{EVENTS}")
        else:
            outcome = await refused_over_grpc(svc.address)

    check_row("TOO_MANY_STREAMS", outcome, from_stripe=False)
    assert outcome["metadata"] == {"limit_scope": "caller", "limit": "1"}


async def refused_over_http(client: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with client.get(url, headers=AUTH) as response:
        assert (response.status, response.content_type) == (429, "application/json")
        body = await response.json()
    info = error_info(body)
    return {
        "code": grpc.StatusCode.RESOURCE_EXHAUSTED.name,
        "reason": info["reason"],
        "metadata": info.get("metadata", {}),
        "retry": any(d["@type"].endswith("/google.rpc.RetryInfo") for d in body["details"]),
    }


async def refused_over_grpc(address: str) -> dict[str, Any]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub: Stub = payments_pb2_grpc.PaymentServiceStub(channel)
        call = stub.WatchPaymentEvents(
            payments_pb2.WatchPaymentEventsRequest(), metadata=tuple(AUTH.items()), timeout=5
        )
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await call.read()
    details = rich_details(raised.value)
    return {
        "code": raised.value.code().name,
        "reason": details["error_info"].reason,
        "metadata": dict(details["error_info"].metadata),
        "retry": "retry_info" in details,
    }


async def test_a_caller_that_goes_away_frees_its_stream(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await became(stack.ledger, "cs_1", PaymentStatus.SUCCEEDED)

    async with watching(stack.client, stack.url + EVENTS) as response:
        await next_line(response)
        assert stack.service.drain.open_streams == 1
        response.close()  # the connection closes while the stream waits for the next event
        await wait_until(lambda: stack.service.drain.open_streams == 0)

    await wait_until(lambda: any(r.name == "service.http.access" for r in caplog.records))
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "service.http.access"]
    assert logged.startswith(f"GET {EVENTS} 200 rpc=WatchPaymentEvents reason=- ")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    status, _ = await stack.call("GET", "/v1/payment-events")
    assert status == 200  # the service serves on


async def test_a_caller_that_goes_away_before_the_first_line_is_logged_as_499(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="service.http.access")
    request = stack.client.get(stack.url + EVENTS, headers=AUTH)  # no event: no answer yet
    waiting = asyncio.create_task(request.__aenter__())
    await wait_until(lambda: stack.service.drain.open_streams == 1)

    waiting.cancel()  # the client gives up on the answer and closes the connection
    await wait_until(lambda: stack.service.drain.open_streams == 0)

    with pytest.raises(asyncio.CancelledError):
        await waiting
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "service.http.access"]
    assert logged.startswith(f"GET {EVENTS} 499 rpc=WatchPaymentEvents reason=- ")


async def test_a_line_to_a_caller_gone_ends_the_call_as_cancelled_not_failed() -> None:
    """Between the connection closing and aiohttp cancelling the handler, a line written finds
    the transport closed: the stream ends as a cancelled call, not with an internal error."""
    outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def handle(request: web.Request) -> web.StreamResponse:
        stream = NdjsonStream(request)
        await stream.send(payments_pb2.PaymentEvent(cursor="1"))
        await wait_until(lambda: request.transport is None or request.transport.is_closing())
        try:
            await stream.send(payments_pb2.PaymentEvent(cursor="2"))
        except asyncio.CancelledError:
            outcome.set_result("cancelled")
            raise
        outcome.set_result("sent")
        return await stream.finish()

    app = web.Application()
    app.router.add_get("/", handle)
    runner = web.AppRunner(app, access_log=None)  # no handler_cancellation: the write notices
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{port}/") as response:
                assert json.loads(await response.content.readline()) == {"result": {"cursor": "1"}}
                response.close()
            async with asyncio.timeout(5):
                assert await outcome == "cancelled"
    finally:
        await runner.cleanup()
