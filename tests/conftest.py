"""Shared fixtures: the Stripe emulator, the service on 127.0.0.1:0 built through the composition
root, a channel and a stub. Real channel, real server, real emulator; loopback only."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from payments.v1 import payments_pb2_grpc
from service.auth import ApiKey
from service.composition import Service, running_service
from service.config import Settings, load_settings
from stripe_emulator.testing import AsyncEmulatorHandle, EmulatorHandle, running_emulator
from stripe_emulator.testing import serve as serve_emulator
from tests import postgres

if TYPE_CHECKING:  # the async stub type exists in the .pyi only
    Stub: TypeAlias = payments_pb2_grpc.PaymentServiceAsyncStub
else:
    Stub = payments_pb2_grpc.PaymentServiceStub

API_KEY = "test-key-primary-0123456789abcdef"
SECOND_API_KEY = "test-key-rotated-fedcba9876543210"
# Every service of the suite gets a ledger of its own (SQLite) in a directory under this one,
# removed when the test process ends.
_LEDGERS = tempfile.TemporaryDirectory(prefix="payments-test-ledgers-")


def fresh_data_dir() -> str:
    """A new, empty data directory: a fresh SQLite ledger for one service."""
    return tempfile.mkdtemp(dir=_LEDGERS.name)


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorHandle]:
    with running_emulator() as handle:
        yield handle


@pytest.fixture
def emulator(emulator_server: EmulatorHandle) -> EmulatorHandle:
    """The session's emulator, emptied (objects, faults, counters) for this test."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def api_keys() -> tuple[str, str]:
    """Two keys valid at once, as during a rotation."""
    return (API_KEY, SECOND_API_KEY)


def service_env(
    emulator: EmulatorHandle | AsyncEmulatorHandle, api_keys: tuple[str, ...]
) -> dict[str, str]:
    """The environment a deployment would set, pointed at the emulator."""
    return {
        "PAYMENTS_LISTEN_ADDR": "127.0.0.1:0",
        "PAYMENTS_API_KEYS": ",".join(api_keys),
        "STRIPE_SECRET_KEY": emulator.api_key,
        "STRIPE_API_BASE": emulator.url,
        "STRIPE_TIMEOUT_SECONDS": "5",
        "STRIPE_MAX_NETWORK_RETRIES": "2",
        "PAYMENTS_GRACE_SECONDS": "1",
        "PAYMENTS_DATA_DIR": fresh_data_dir(),
    }


@pytest.fixture
def settings(emulator: EmulatorHandle, api_keys: tuple[str, str]) -> Settings:
    return load_settings(service_env(emulator, api_keys))


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Service]:
    async with running_service(settings) as running:
        yield await past_first_reconciliation(running)


async def past_first_reconciliation(service: Service) -> Service:
    """`service` once its start-up reconciliation is over, so that the Stripe requests a test
    counts are its own (the next run is an interval, 60 s by default, away)."""
    if service.reconciler is not None:
        await service.reconciler.runs_finished(1)
    return service


@pytest.fixture
async def channel(service: Service) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(service.address) as opened:
        yield opened


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> Stub:
    return payments_pb2_grpc.PaymentServiceStub(channel)


@pytest.fixture
def auth(api_keys: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    """Call metadata with the first API key."""
    return (("x-api-key", api_keys[0]),)


# Helpers shared by the test modules.


def loopback_settings(**overrides: Any) -> Settings:
    """Both doors on 127.0.0.1:0 and the suite's two keys; `overrides` set the rest."""
    values: dict[str, Any] = {
        "api_keys": (ApiKey(API_KEY), ApiKey(SECOND_API_KEY)),
        "listen_addr": "127.0.0.1:0",
        "http_addr": "127.0.0.1:0",
        "data_dir": fresh_data_dir(),
    }
    return Settings(**{**values, **overrides})


def settings_over(emulator: EmulatorHandle | AsyncEmulatorHandle) -> Settings:
    """`loopback_settings` with `emulator` behind them."""
    return loopback_settings(stripe_secret_key=emulator.api_key, stripe_api_base=emulator.url)


@asynccontextmanager
async def emulated_service() -> AsyncIterator[Service]:
    """Both doors with an emulator of their own behind them, on this event loop."""
    async with (
        serve_emulator() as emulator,
        running_service(settings_over(emulator), grace_seconds=0) as service,
    ):
        yield await past_first_reconciliation(service)


def rich_details(error: grpc.aio.AioRpcError) -> dict[str, Any]:
    """The google.rpc.Status details of a failed call, by kind: error_info, bad_request, retry."""
    status = rpc_status.from_call(error)
    assert status is not None, f"no google.rpc.Status details on {error.code()}"
    found: dict[str, Any] = {}
    kinds: dict[str, type[Message]] = {
        "error_info": error_details_pb2.ErrorInfo,
        "bad_request": error_details_pb2.BadRequest,
        "retry_info": error_details_pb2.RetryInfo,
    }
    for detail in status.details:
        for name, kind in kinds.items():
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                found[name] = message
    assert "error_info" in found, "every non-OK status carries an ErrorInfo"
    assert found["error_info"].domain == "payments.internal"
    return found


RECONCILER_ROUTE = "GET /v1/events"


def v1_requests(stats: dict[str, Any]) -> int:
    """How many Stripe API (/v1) requests the emulator received for calls: the reconciler's
    listing of events (at start-up and each interval) is not one."""
    return sum(
        n
        for route, n in stats["requests"].items()
        if " /v1/" in route and route != RECONCILER_ROUTE
    )


def objects(stats: dict[str, Any], kind: str) -> int:
    count: int = stats["objects"].get(kind, 0)
    return count


async def wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Polls an observable condition (not a fixed sleep); fails the test after `within` seconds."""
    give_up = time.monotonic() + within
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """`wait_until` for a condition that takes awaiting to observe (a database, an HTTP API)."""
    give_up = time.monotonic() + within
    while not await check():
        if time.monotonic() > give_up:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def wait_until_not_serving(channel: grpc.aio.Channel, within: float = 5.0) -> None:
    """Polls health until both the server ("") and PaymentService say NOT_SERVING. Health keeps
    answering while the service drains, so a refused health check fails the test too."""
    health = health_pb2_grpc.HealthStub(channel)
    not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
    give_up = time.monotonic() + within
    for name in ("", "payments.v1.PaymentService"):
        request = health_pb2.HealthCheckRequest(service=name)
        while (await health.Check(request, timeout=within)).status != not_serving:
            if time.monotonic() > give_up:
                raise AssertionError(f"health of {name!r} never turned NOT_SERVING")
            await asyncio.sleep(0.01)


async def communicate(process: asyncio.subprocess.Process, within: float) -> tuple[bytes, bytes]:
    """`process.communicate()`, given `within` seconds. Should it time out (or the test be
    cancelled), the child is killed and reaped before the error propagates: no process, and no
    pipe of its, outlives the test."""
    try:
        return await asyncio.wait_for(process.communicate(), timeout=within)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server for the session (see tests/postgres.py): the URL of a database on it
    whose role may create databases. Skips when none can be had, but fails in CI."""
    with postgres.server() as url:
        yield url


@pytest.fixture
def postgres_database_url(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server, dropped after the test."""
    with postgres.fresh_database(postgres_url) as url:
        yield url
