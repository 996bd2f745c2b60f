"""Malformed input gets Stripe's error envelope, never a crash.

Sent over plain HTTP: the SDK never sends anything this broken.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from stripe_emulator.testing import EmulatorHandle


@pytest.fixture
async def http(emulator: EmulatorHandle) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    async with aiohttp.ClientSession(base_url=emulator.url, headers=headers) as session:
        yield session


async def _post_form(
    http: aiohttp.ClientSession, path: str, body: bytes | io.BytesIO
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with http.post(path, data=body, headers=headers) as response:
        assert response.headers["Request-Id"].startswith("req_")
        return response.status, await response.json()


@pytest.mark.parametrize(
    "body",
    [
        b"metadata[a=1",
        b"name]=x",
        b"%ff%fe=1",
        b"name=%ff",
        b"metadata=x&metadata[a]=b",
        b"metadata[a]=b&metadata=x",
        b"metadata[a][b]=c",
        b"address=street",
        b"preferred_locales[0][x]=en",
        b"balance=1e999",
        b"balance=99999999999999999999999999999999",
        b"a" * 2000 + b"=1",
        b"&".join(b"metadata[k%d]=v" % i for i in range(60)),
        b"[x]=1",
    ],
)
async def test_malformed_forms_are_400(http: aiohttp.ClientSession, body: bytes) -> None:
    status, payload = await _post_form(http, "/v1/customers", body)
    assert status == 400
    assert payload["error"]["type"] == "invalid_request_error"


async def test_huge_body_is_413_in_envelope(http: aiohttp.ClientSession) -> None:
    # In a BytesIO: aiohttp warns (ResourceWarning) that raw bytes over 1 MiB block the loop.
    huge = io.BytesIO(b"name=" + b"x" * 2_000_000)
    status, payload = await _post_form(http, "/v1/customers", huge)
    assert status == 413
    assert payload["error"]["type"] == "invalid_request_error"


async def test_too_many_fields_is_400(http: aiohttp.ClientSession) -> None:
    body = b"&".join(b"x%d=1" % i for i in range(1500))
    status, _ = await _post_form(http, "/v1/customers", body)
    assert status == 400


async def test_json_body_to_v1_is_not_understood(http: aiohttp.ClientSession) -> None:
    async with http.post("/v1/customers", json={"name": "x"}) as response:
        assert response.status == 400
        assert (await response.json())["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("body", [b"{", b"[1,2]", b"\xff\xfe", b'"text"'])
async def test_invalid_json_to_emulator_routes_is_400(
    http: aiohttp.ClientSession, body: bytes
) -> None:
    headers = {"Content-Type": "application/json"}
    async with http.post("/_emulator/faults", data=body, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/v1/customers"), ("DELETE", "/v1/checkout/sessions/cs_1"),
     ("GET", "/_emulator/reset"), ("PATCH", "/_emulator/faults")],
)  # fmt: skip
async def test_wrong_methods_are_405_in_envelope(
    http: aiohttp.ClientSession, method: str, path: str
) -> None:
    async with http.request(method, path) as response:
        assert response.status == 405
        assert "Allow" in response.headers
        assert (await response.json())["error"]["type"] == "invalid_request_error"


async def test_get_with_malformed_query_is_400(http: aiohttp.ClientSession) -> None:
    async with http.get("/v1/customers/cus_1?expand[=x") as response:
        assert response.status == 400


async def test_expand_as_indexed_and_appended_arrays(
    http: aiohttp.ClientSession, emulator: EmulatorHandle
) -> None:
    status, product = await _post_form(
        http,
        "/v1/products",
        b"name=A&default_price_data[currency]=usd&default_price_data[unit_amount]=5&expand[0]=default_price",
    )
    assert status == 200
    assert product["default_price"]["object"] == "price"
    async with http.get(f"/v1/products/{product['id']}?expand[]=default_price") as response:
        assert (await response.json())["default_price"]["unit_amount"] == 5
