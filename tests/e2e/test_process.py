"""`python -m service` as a real process: start-up refusals and a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped]

from payments.v1 import payments_pb2, payments_pb2_grpc
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, service_env, wait_until

# grpc.aio's stop() cancels calls that arrive on an open connection while draining (CANCELLED);
# once the port is closed a new connection is refused (UNAVAILABLE).
REFUSED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
LISTENING = re.compile(rb"listening on (\S+:\d+)")


def run_service(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PAYMENTS_", "STRIPE_"))}
    return subprocess.run(
        [sys.executable, "-m", "service"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        pytest.param(
            {"STRIPE_SECRET_KEY": "sk_live_abcdefghijklmnop"}, "live-mode key", id="live-key"
        ),
        pytest.param({"PAYMENTS_API_KEYS": ""}, "PAYMENTS_API_KEYS is not set", id="no-api-keys"),
        pytest.param({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY is not set", id="no-stripe"),
    ],
)
def test_refuses_to_start_misconfigured(
    emulator: EmulatorHandle, override: dict[str, str], expected: str
) -> None:
    env = {**service_env(emulator, (API_KEY,)), **override}
    result = run_service(env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert "abcdefghijklmnop" not in result.stderr  # the key itself is never echoed


async def test_sigterm_drains_calls_in_flight(emulator: EmulatorHandle) -> None:
    env = {**service_env(emulator, (API_KEY,)), "PAYMENTS_GRACE_SECONDS": "5"}
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PAYMENTS_", "STRIPE_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        env={**clean, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=15)
        match = LISTENING.search(line)
        assert match, line
        address = match[1].decode()
        emulator.add_fault(latency_ms=400)
        # Taken (and so listed no more) the moment the request reaches the emulator: the signal
        # that the call is in flight. Dropping the answer also makes the SDK retry mid-drain.
        emulator.add_fault(path="/v1/customers", method="POST", drop="after", times=1)
        async with grpc.aio.insecure_channel(address) as channel:
            stub = payments_pb2_grpc.PaymentServiceStub(channel)
            health = health_pb2_grpc.HealthStub(channel)
            metadata = (("x-api-key", API_KEY),)
            in_flight = asyncio.ensure_future(
                stub.CreateCustomer(
                    payments_pb2.CreateCustomerRequest(email="jane@example.com"),
                    metadata=metadata,
                    timeout=10,
                )
            )
            await wait_until(lambda: not pending_faults(emulator))
            process.send_signal(signal.SIGTERM)
            await wait_until_not_serving(health)

            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.CreateCustomer(
                    payments_pb2.CreateCustomerRequest(email="late@example.com"),
                    metadata=metadata,
                    timeout=5,
                )
            assert refused.value.code() in REFUSED

            response = await in_flight
            assert response.customer.id.startswith("cus_")
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
        assert process.stderr is not None
        log = (await process.stderr.read()).decode()
        assert API_KEY not in log
        assert emulator.api_key not in log
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def pending_faults(emulator: EmulatorHandle) -> list[object]:
    with urllib.request.urlopen(f"{emulator.url}/_emulator/faults", timeout=5) as response:
        faults: list[object] = json.load(response)["faults"]
        return faults


async def wait_until_not_serving(health: Any) -> None:
    """Draining is observable as NOT_SERVING or, once the port is closed, as UNAVAILABLE."""
    refused = None
    for _ in range(500):
        try:
            response = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
        except grpc.aio.AioRpcError as error:
            refused = error.code()
            break
        if response.status == health_pb2.HealthCheckResponse.NOT_SERVING:
            return
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the service never stopped serving")
    assert refused in REFUSED
