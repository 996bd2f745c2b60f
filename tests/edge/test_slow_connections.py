"""Idle and slow-header connections on the HTTP door: hundreds of them do not stop a normal
client from being served, and the server closes them within the idle timeout; beyond the
connection cap a new connection is closed at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from service.composition import Service, running_service
from tests.conftest import API_KEY
from tests.edge.conftest import settings_for
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

IDLE_TIMEOUT = 1.0


@pytest.fixture
async def door() -> AsyncIterator[Service]:
    settings = settings_for(http_idle_timeout_seconds=IDLE_TIMEOUT, http_max_connections=800)
    async with running_service(
        settings, gateway=FakeGateway(), ledger=FakeLedger(), grace_seconds=0
    ) as service:
        yield service


async def connect(address: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, _, port = address.rpartition(":")
    return await asyncio.open_connection(host, int(port))


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """True once the server has closed the connection (EOF, or a reset)."""
    try:
        async with asyncio.timeout(IDLE_TIMEOUT * 10):
            while await reader.read(1024):
                pass
    except ConnectionError:
        pass
    return True


async def test_idle_and_slow_header_connections_neither_block_others_nor_stay(
    door: Service,
) -> None:
    assert door.http_address is not None
    idle = [await connect(door.http_address) for _ in range(500)]
    slow = [await connect(door.http_address) for _ in range(200)]
    for _, writer in slow:  # a request head that never ends
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: p\r\nx-slow: ")
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://{door.http_address}/readyz", headers={"x-api-key": API_KEY}) as ok,
    ):
        assert ok.status == 200

    closed = await asyncio.gather(*(closed_by_server(reader) for reader, _ in idle + slow))
    assert all(closed)
    for _, writer in idle + slow:
        writer.close()


async def test_a_connection_beyond_the_cap_is_closed_at_once() -> None:
    settings = settings_for(http_max_connections=3)
    async with running_service(
        settings, gateway=FakeGateway(), ledger=FakeLedger(), grace_seconds=0
    ) as service:
        assert service.http_address is not None
        held = [await connect(service.http_address) for _ in range(3)]
        reader, writer = await connect(service.http_address)
        assert await closed_by_server(reader)  # long before the 15 s idle timeout
        for _, kept in held:
            kept.close()
        writer.close()
