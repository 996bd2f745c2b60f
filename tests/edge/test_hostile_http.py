"""Hostile bytes on the HTTP door, sent raw as a hostile client would: bytes that are not UTF-8
in the key, the Authorization header or Content-Type; a header too long or with a control
character after a valid key. Each is a 4xx JSON google.rpc.Status that quotes no key, never a
500, and the log holds no key either."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from service.composition import Service
from tests.conftest import API_KEY

BODY = b'{"email": "jane@example.com"}'


def post(headers: bytes) -> bytes:
    return (
        b"POST /v1/customers HTTP/1.1\r\nHost: payments\r\n" + headers
        + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY
    )  # fmt: skip


KEY = API_KEY.encode()
JSON = b"Content-Type: application/json\r\n"
CASES = {
    "key-not-utf8": (post(b"x-api-key: " + KEY + b"\xff\r\n" + JSON), 401, "API_KEY_INVALID"),
    "bearer-not-utf8": (post(b"Authorization: Bearer \xfe\xff\r\n" + JSON), 401, "API_KEY_INVALID"),
    "content-type-not-utf8": (
        post(b"x-api-key: " + KEY + b"\r\nContent-Type: application/js\xffon\r\n"),
        415,
        "UNSUPPORTED_CONTENT_TYPE",
    ),
    "key-then-control-byte": (
        b"GET /v1/payments/cs_1 HTTP/1.1\r\nHost: p\r\nx-api-key: " + KEY + b"\x01\r\n\r\n",
        400,
        "HTTP_400",
    ),
    "key-in-a-header-too-long": (
        b"GET /v1/payments/cs_1 HTTP/1.1\r\nHost: p\r\nx-api-key: "
        + KEY
        + b"A" * 9000
        + b"\r\n\r\n",
        400,
        "HTTP_400",
    ),
}


async def exchange(address: str, request: bytes) -> tuple[int, bytes]:
    host, _, port = address.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(5):
            answer = await reader.read()  # the server closes after a refusal, or answers
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize(("request_bytes", "status", "reason"), CASES.values(), ids=list(CASES))
async def test_hostile_bytes_get_a_json_4xx_that_quotes_no_key(
    service: Service,
    caplog: pytest.LogCaptureFixture,
    request_bytes: bytes,
    status: int,
    reason: str,
) -> None:
    assert service.http_address is not None
    request_bytes = request_bytes.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1)
    with caplog.at_level(logging.DEBUG):
        answered, body = await exchange(service.http_address, request_bytes)
    answer: Any = json.loads(body)
    assert answered == status
    assert answer["details"][0]["reason"] == reason
    assert API_KEY not in body.decode("utf-8", "replace")
    assert API_KEY not in caplog.text
    assert "Traceback" not in caplog.text
