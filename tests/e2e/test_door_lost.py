"""When the gRPC door closes by itself, the process does not serve on with half its doors: it
logs why and exits 1, for its supervisor to start a new one.

The one way known to close it: a call whose :path is not UTF-8 ends grpcio 1.85's serving loop
(tests/edge/test_grpc_path_not_utf8.py), before any handler of the service could refuse it.
grpcio then now and then crashes the process itself (SIGSEGV, in its own shutdown after that
failure, before the service's code runs again): an exit too, without the service's last line."""

from __future__ import annotations

import asyncio
import signal

from service.__main__ import EXIT_DOOR_LOST
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, service_env
from tests.e2e.test_process import service_process
from tests.edge.hostile_grpc import KEY, hostile_call
from tests.edge.raw_h2 import call_headers, grpc_message

EXIT_SECONDS = 15  # draining the HTTP door and closing the ledger; generous on a busy machine


async def test_the_process_exits_1_when_the_grpc_door_closes_by_itself(
    emulator: EmulatorHandle,
) -> None:
    env = {**service_env(emulator, (API_KEY,)), "PAYMENTS_HTTP_ADDR": "127.0.0.1:0"}
    async with service_process(env) as running:
        headers = [
            (name, b"/payments.v1.PaymentService/\xff" if name == b":path" else value)
            for name, value in call_headers("GetPaymentStatus", (b"x-api-key", KEY))
        ]
        await hostile_call(running.grpc_address, headers, grpc_message(b""))
        _, stderr = await asyncio.wait_for(running.process.communicate(), EXIT_SECONDS)
    log = stderr.decode()
    assert running.process.returncode in (EXIT_DOOR_LOST, -signal.SIGSEGV), log
    if running.process.returncode == EXIT_DOOR_LOST:
        assert "the gRPC door closed by itself" in log
    assert API_KEY not in log
