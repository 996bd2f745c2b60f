"""SIGTERM to `python -m service` with 1,000 watch streams open: every one ends at once with
UNAVAILABLE `SHUTTING_DOWN`, and the process exits within 2 s of the signal although its grace
period is 10 s: a stop never waits for streams, which would never end on their own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

import grpc
import pytest

from payments.v1 import payments_pb2_grpc
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, Stub, communicate, service_env
from tests.e2e.test_process import service_process
from tests.streams import (
    end_of,
    open_checkout,
    reason_of,
    record_an_event,
    watched_events,
    watched_status,
)

if TYPE_CHECKING:
    from tests.streams import StreamCall

STREAMS = 1000
CHANNELS = 4  # connections: the streams are spread over them
BATCH = 50  # streams opened at once, so that a loaded machine opens them without timeouts
EXIT_WITHIN_SECONDS = 2.0
GRACE_SECONDS = 10  # what a stop waiting for its streams would wait out
AUTH = (("x-api-key", API_KEY),)


class ExitClock:
    """When a child process exits, as a thread blocked on waitid() sees it: not delayed by
    this test's event loop, busy with the streams' ends at that moment. WNOWAIT leaves the
    child for asyncio to reap (should asyncio reap it first, ECHILD comes as late, no sooner)."""

    def __init__(self, pid: int) -> None:
        self._exited = 0.0
        self._thread = threading.Thread(target=self._wait, args=(pid,), daemon=True)
        self._thread.start()

    def _wait(self, pid: int) -> None:
        with contextlib.suppress(ChildProcessError):
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        self._exited = time.monotonic()

    def exited_at(self) -> float:
        """The exit's time.monotonic(); call once the process has exited."""
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), "the process has not exited"
        return self._exited


@asynccontextmanager
async def channels(address: str, count: int) -> AsyncIterator[list[grpc.aio.Channel]]:
    """`count` channels, each on a connection of its own (no shared subchannel)."""
    async with AsyncExitStack() as stack:
        own_connection = [("grpc.use_local_subchannel_pool", 1)]
        yield [
            await stack.enter_async_context(grpc.aio.insecure_channel(address, own_connection))
            for _ in range(count)
        ]


async def open_streams(stubs: list[Stub], session_id: str) -> list[StreamCall]:
    """STREAMS streams, half WatchPaymentStatus of `session_id`, half WatchPaymentEvents, each
    open (its first message read), spread over `stubs`, BATCH at a time."""

    def open_one(n: int) -> Awaitable[StreamCall]:
        stub = stubs[n % len(stubs)]
        return watched_events(stub, AUTH) if n % 2 else watched_status(stub, AUTH, session_id)

    opened: list[StreamCall] = []
    for start in range(0, STREAMS, BATCH):
        batch = range(start, min(start + BATCH, STREAMS))
        opened += await asyncio.gather(*(open_one(n) for n in batch))
    return opened


@pytest.mark.system
async def test_sigterm_ends_a_thousand_open_streams_and_exits_at_once(
    emulator: EmulatorHandle,
) -> None:
    env = {
        **service_env(emulator, (API_KEY,)),
        "PAYMENTS_GRACE_SECONDS": str(GRACE_SECONDS),
        "PAYMENTS_LOG_LEVEL": "WARNING",  # no log line per stream
    }
    async with (
        service_process(env) as running,
        channels(running.grpc_address, CHANNELS) as opened,
    ):
        stubs = [payments_pb2_grpc.PaymentServiceStub(channel) for channel in opened]
        await record_an_event(stubs[0], AUTH)
        session_id = await open_checkout(stubs[0], AUTH, "order-watched")
        streams = await open_streams(stubs, session_id)

        exit_clock = ExitClock(running.process.pid)
        signalled = time.monotonic()
        running.process.send_signal(signal.SIGTERM)
        _, stderr = await communicate(running.process, within=GRACE_SECONDS + 5)
        exited = exit_clock.exited_at()
        ended = [await end_of(stream) for stream in streams]

    assert running.process.returncode == 0, stderr.decode()
    assert exited - signalled < EXIT_WITHIN_SECONDS, f"exited {exited - signalled:.2f}s after"
    assert len(ended) == STREAMS
    assert {(error.code(), reason_of(error)) for error in ended} == {
        (grpc.StatusCode.UNAVAILABLE, "SHUTTING_DOWN")
    }
