"""Idle and slow-handshake connections on the gRPC door: 500 connections that finished their
HTTP/2 handshake and make no call, and 200 that never finish it (silent after the TCP connect,
or trickling the preface a byte at a time), do not stop a normal client from being served; the
server closes each: the idle ones with a GOAWAY at PAYMENTS_GRPC_MAX_CONNECTION_IDLE_SECONDS,
the others at PAYMENTS_GRPC_HANDSHAKE_TIMEOUT_SECONDS (each test sets the other one long, so
that it is the one under test that closes them: gRPC's idle timer closes a connection still in
its handshake too)."""

from __future__ import annotations

import asyncio
import resource
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
import pytest

from payments.v1 import payments_pb2_grpc
from service.composition import Service, running_service
from tests.edge.conftest import settings_for
from tests.edge.hostile_grpc import assert_still_serving
from tests.edge.raw_h2 import RawConnection
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

SHORT, LONG = 1.0, 600.0  # seconds: the timeout under test, the other one
CLOSED_WITHIN = 5.0  # past the short timeout: gRPC's timer granularity, a loaded machine
IDLE, SLOW = 500, 200
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
BYTE_EVERY = 0.25  # seconds: the whole preface would take 6 s, well past the handshake timeout
FILES_NEEDED = 4 * (IDLE + SLOW)  # both ends of each connection live in this process, and more


@asynccontextmanager
async def serving(**settings: Any) -> AsyncIterator[tuple[Service, grpc.aio.Channel]]:
    """The service with `settings`, and a normal client's channel to its gRPC door."""
    async with (
        running_service(
            settings_for(**settings), gateway=FakeGateway(), ledger=FakeLedger(), grace_seconds=0
        ) as service,
        grpc.aio.insecure_channel(service.address) as channel,
    ):
        yield service, channel


@pytest.fixture(autouse=True)
def enough_file_descriptors() -> Iterator[None]:
    """Raises the soft limit on open files if it is below what the test needs (CI's may be
    1024); restored after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = FILES_NEEDED if hard == resource.RLIM_INFINITY else min(FILES_NEEDED, hard)
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def trickle_preface(connection: RawConnection) -> None:
    """The preface a byte at a time (pacing, not synchronisation), until the server closes."""
    for n in range(len(PREFACE)):
        if connection.closing():
            return
        connection.send_raw(PREFACE[n : n + 1])
        await asyncio.sleep(BYTE_EVERY)


async def test_idle_connections_get_goaway_and_are_closed_without_blocking_a_client() -> None:
    async with serving(
        grpc_max_connection_idle_seconds=SHORT, grpc_handshake_timeout_seconds=LONG
    ) as (service, channel):
        idle = [await RawConnection.open(service.address) for _ in range(IDLE)]
        await assert_still_serving(payments_pb2_grpc.PaymentServiceStub(channel))

        closed = await asyncio.gather(*(c.closed_by_server(CLOSED_WITHIN) for c in idle))
        assert all(closed)
        assert all(connection.goaways for connection in idle)
        for connection in idle:
            connection.close()


async def test_slow_handshakes_are_closed_without_blocking_a_client() -> None:
    async with serving(
        grpc_max_connection_idle_seconds=LONG, grpc_handshake_timeout_seconds=SHORT
    ) as (service, channel):
        slow = [await RawConnection.connect(service.address) for _ in range(SLOW)]
        trickling = [asyncio.create_task(trickle_preface(c)) for c in slow[: SLOW // 2]]
        await assert_still_serving(payments_pb2_grpc.PaymentServiceStub(channel))

        closed = await asyncio.gather(*(c.eof(CLOSED_WITHIN) for c in slow))
        assert all(closed)
        await asyncio.gather(*trickling)
        for connection in slow:
            connection.close()
