"""CORS: an allowed origin's preflight is answered and its answers (errors too) carry
Access-Control-Allow-Origin; any other origin gets no CORS header and its preflight is refused
as any OPTIONS is."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from service.composition import running_service
from service.config import ConfigError, load_settings
from tests.conftest import API_KEY
from tests.edge.conftest import settings_for
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

ADMIN = "https://admin.example.internal"
OTHER = "https://evil.example"


@pytest.fixture
async def door() -> AsyncIterator[str]:
    settings = settings_for(cors_allowed_origins=frozenset({ADMIN}))
    async with running_service(
        settings, gateway=FakeGateway(), ledger=FakeLedger(), grace_seconds=0
    ) as service:
        yield f"http://{service.http_address}"


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key, content-type",
    }


async def test_an_allowed_origin_is_answered_and_marked(door: str) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.options(f"{door}/v1/customers", headers=preflight(ADMIN)) as answer:
            assert answer.status == 204
            assert answer.headers["Access-Control-Allow-Origin"] == ADMIN
            assert "x-api-key" in answer.headers["Access-Control-Allow-Headers"]
            assert "POST" in answer.headers["Access-Control-Allow-Methods"]
        headers = {"Origin": ADMIN, "x-api-key": API_KEY}
        async with client.post(
            f"{door}/v1/customers", json={"email": "a@example.com"}, headers=headers
        ) as answer:
            assert answer.status == 200
            assert answer.headers["Access-Control-Allow-Origin"] == ADMIN
        async with client.get(f"{door}/v1/payments/cs_test_none", headers=headers) as refused:
            assert refused.status == 404  # errors are readable by the page too
            assert refused.headers["Access-Control-Allow-Origin"] == ADMIN


async def test_another_origin_gets_no_cors_header(door: str) -> None:
    async with aiohttp.ClientSession() as client:
        async with client.options(f"{door}/v1/customers", headers=preflight(OTHER)) as answer:
            assert answer.status == 405
            assert "Access-Control-Allow-Origin" not in answer.headers
        headers = {"Origin": OTHER, "x-api-key": API_KEY}
        async with client.get(f"{door}/healthz", headers=headers) as answer:
            assert answer.status == 200
            assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize("value", ["*", "https://admin.example/path", "admin.example"])
def test_an_origin_list_with_a_wildcard_or_a_path_is_refused(value: str) -> None:
    environ = {"PAYMENTS_API_KEYS": "k" * 20, "STRIPE_SECRET_KEY": "sk_test_abc"}
    with pytest.raises(ConfigError, match="PAYMENTS_CORS_ALLOWED_ORIGINS must be"):
        load_settings({**environ, "PAYMENTS_CORS_ALLOWED_ORIGINS": value})
    origins = load_settings({**environ, "PAYMENTS_CORS_ALLOWED_ORIGINS": f"{ADMIN}/, {OTHER}"})
    assert origins.cors_allowed_origins == frozenset({ADMIN, OTHER})
