"""The edge over a fake gateway: the real service (gRPC and its HTTP/JSON door) on loopback,
started by the service's own composition root with an in-memory PaymentGateway in place of
Stripe. No emulator process: these tests are about the doors, the gate and the errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from service.composition import Service, running_service
from service.config import Settings
from tests.conftest import API_KEY, loopback_settings
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger


@dataclass(frozen=True)
class Stack:
    gateway: FakeGateway
    ledger: FakeLedger
    service: Service
    client: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return f"http://{self.service.http_address}"

    @property
    def auth(self) -> dict[str, str]:
        return {"x-api-key": API_KEY}

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[int, Any]:
        """(HTTP status, decoded JSON body); the body must be JSON whatever the status."""
        all_headers = {**self.auth, **(headers or {})}
        async with self.client.request(
            method, self.url + path, json=json, headers=all_headers, **kwargs
        ) as response:
            assert response.content_type == "application/json", await response.text()
            return response.status, await response.json()


def settings_for(**overrides: Any) -> Settings:
    """`loopback_settings` for a fake gateway: the Stripe key is never used."""
    return loopback_settings(**{"stripe_secret_key": "sk_test_never_used_by_the_fake", **overrides})


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture(params=["grpc", "http"])
def door(request: pytest.FixtureRequest) -> str:
    """The door a test calls through (tests/edge/doors.py): each test taking it runs on both."""
    door: str = request.param
    return door


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def settings() -> Settings:
    """Overrides the emulator-backed settings of tests/conftest.py: nothing talks to Stripe."""
    return settings_for()


@pytest.fixture
async def service(
    settings: Settings, gateway: FakeGateway, ledger: FakeLedger
) -> AsyncIterator[Service]:
    """Both doors over the fake gateway and ledger (tests/conftest.py's `channel` and `stub` use
    it)."""
    async with running_service(
        settings, gateway=gateway, ledger=ledger, grace_seconds=0
    ) as running:
        yield running


@pytest.fixture
async def stack(gateway: FakeGateway, ledger: FakeLedger, service: Service) -> AsyncIterator[Stack]:
    async with aiohttp.ClientSession() as client:
        assert service.http_address is not None  # the composition root's own HTTP door
        yield Stack(gateway, ledger, service, client)


def error_info(body: dict[str, Any]) -> dict[str, Any]:
    """The ErrorInfo of a google.rpc.Status in JSON form."""
    infos = [d for d in body["details"] if d["@type"].endswith("/google.rpc.ErrorInfo")]
    assert len(infos) == 1, body
    info: dict[str, Any] = infos[0]
    return info


def field_violations(body: dict[str, Any]) -> dict[str, str]:
    """field → description from the BadRequest of a google.rpc.Status in JSON form."""
    bad = [d for d in body["details"] if d["@type"].endswith("/google.rpc.BadRequest")]
    assert len(bad) == 1, body
    return {v["field"]: v["description"] for v in bad[0]["fieldViolations"]}
