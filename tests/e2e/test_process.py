"""`python -m service` as a real process: start-up refusals, the HTTP/JSON door, and a graceful
SIGTERM."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import grpc
import pytest

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.__main__ import main as service_main
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import (
    API_KEY,
    eventually,
    objects,
    rich_details,
    service_env,
    wait_until,
    wait_until_not_serving,
)

STARTUP_SECONDS = 30  # generous: imports alone take seconds on a loaded two-core machine
LISTENING_GRPC = re.compile(rb"^payments service listening on grpc://(\S+:\d+)$")
LISTENING_HTTP = re.compile(rb"^payments service listening on http://(\S+:\d+)$")


@dataclass(frozen=True)
class Running:
    process: asyncio.subprocess.Process
    grpc_address: str
    http_address: str | None


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


def refusal_of(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """`python -m service`'s main() in this process, with only `env` of the service's variables:
    (exit code, stderr). The same code as the process runs, without its seconds of imports."""
    for name in os.environ:
        if name.startswith(("PAYMENTS_", "STRIPE_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = service_main()
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        pytest.param(
            {"STRIPE_SECRET_KEY": "sk_live_abcdefghijklmnop"}, "live-mode key", id="live-key"
        ),
        pytest.param({"PAYMENTS_API_KEYS": ""}, "PAYMENTS_API_KEYS is not set", id="no-api-keys"),
        pytest.param({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY is not set", id="no-stripe"),
        pytest.param(
            {"STRIPE_SECRET_KEY": "rk_live_abcdefghijklmnop"}, "live-mode key", id="live-rk"
        ),
        pytest.param(
            {"STRIPE_SECRET_KEY": "pk_test_abcdefghijklmnop"},
            "not a Stripe test-mode key",
            id="publishable-key",
        ),
        pytest.param(
            {"PAYMENTS_API_KEYS": "short"}, "key #1 is shorter than 16", id="short-api-key"
        ),
        pytest.param(
            {"STRIPE_API_BASE": "localhost:12111"}, "STRIPE_API_BASE must be", id="bad-api-base"
        ),
        pytest.param(
            {"PAYMENTS_SUCCESS_URL": "/ok"}, "PAYMENTS_SUCCESS_URL must be", id="bad-success-url"
        ),
        pytest.param(
            {"PAYMENTS_CANCEL_URL": "ftp://x/c"}, "PAYMENTS_CANCEL_URL must be", id="bad-cancel-url"
        ),
        pytest.param(
            {"PAYMENTS_LISTEN_ADDR": "50051"}, "PAYMENTS_LISTEN_ADDR must be", id="bad-listen"
        ),
        pytest.param(
            {"PAYMENTS_HTTP_ADDR": "localhost:http"}, "PAYMENTS_HTTP_ADDR must be", id="bad-http"
        ),
        pytest.param(
            {"PAYMENTS_LISTEN_ADDR": "192.0.2.1:0", "PAYMENTS_ALLOW_PLAINTEXT": "true"},
            "cannot listen on 192.0.2.1:0",
            id="not-local",
        ),
        pytest.param(
            {"PAYMENTS_LISTEN_ADDR": "0.0.0.0:0"},
            "PAYMENTS_LISTEN_ADDR (0.0.0.0:0) is not a loopback address and TLS is off",
            id="plaintext-off-loopback",
        ),
        pytest.param(
            {"PAYMENTS_LOG_LEVEL": "verbose"}, "PAYMENTS_LOG_LEVEL must be", id="bad-log-level"
        ),
        pytest.param(
            {"STRIPE_MAX_CONNECTIONS": "none"},
            "STRIPE_MAX_CONNECTIONS must be",
            id="bad-stripe-pool-size",
        ),
        pytest.param(
            {"STRIPE_PROXY_URL": "socks5://payments:abcdefghijklmnop@egress:1080"},
            "STRIPE_PROXY_URL must be",
            id="bad-stripe-proxy-url",
        ),
        pytest.param(
            {"PAYMENTS_API_KEYS": "Orders=abcdefghijklmnop"},
            "entry #1 has an invalid caller name",
            id="bad-caller-name",
        ),
    ],
)
def test_refuses_to_start_misconfigured(
    emulator: EmulatorHandle,
    override: dict[str, str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, stderr = refusal_of(
        {**service_env(emulator, (API_KEY,)), **override}, monkeypatch, capsys
    )
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert expected in lines[0]
    assert "Traceback" not in stderr
    assert "abcdefghijklmnop" not in stderr  # the key itself is never echoed


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"STRIPE_SECRET_KEY": "sk_live_abcdefghijklmnop"}, "live-mode key"),
        (
            {"PAYMENTS_LISTEN_ADDR": "192.0.2.1:0", "PAYMENTS_ALLOW_PLAINTEXT": "true"},
            "cannot listen on 192.0.2.1:0",
        ),
        (
            {"PAYMENTS_WEBHOOK_INTAKE": "true", "PAYMENTS_HTTP_ADDR": "127.0.0.1:0"},
            "STRIPE_WEBHOOK_SECRETS is not set",
        ),
        (
            {"PAYMENTS_DATABASE_URL": "postgresql://payments:pw-not-shown@127.0.0.1:1/ledger"},
            "the payment ledger cannot start",
        ),
    ],
    ids=["config", "bind", "intake-without-secret", "ledger-unreachable"],
)
def test_a_real_process_refuses_in_one_line_and_exits_2(
    emulator: EmulatorHandle, override: dict[str, str], expected: str
) -> None:
    result = run_service({**service_env(emulator, (API_KEY,)), **override})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "pw-not-shown" not in result.stderr
    assert result.stdout == ""  # nothing claimed to listen


@pytest.mark.parametrize("variable", ["PAYMENTS_LISTEN_ADDR", "PAYMENTS_HTTP_ADDR"])
def test_an_address_in_use_is_refused_naming_its_setting(
    emulator: EmulatorHandle,
    variable: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        env = {**service_env(emulator, (API_KEY,)), variable: address}
        code, stderr = refusal_of(env, monkeypatch, capsys)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr  # gRPC never said SERVING: every listener binds first
    assert f"cannot listen on {address}" in lines[0]
    assert lines[0].endswith(f"set {variable} to a free address of this host")


@asynccontextmanager
async def service_process(env: dict[str, str]) -> AsyncIterator[Running]:
    """`python -m service` until the block ends (killed then, should a test leave it running);
    yields once it has printed where it listens."""
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
        grpc_address = await read_address(process, LISTENING_GRPC)
        http_address = None
        if "PAYMENTS_HTTP_ADDR" in env:
            http_address = await read_address(process, LISTENING_HTTP)
        yield Running(process, grpc_address, http_address)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def read_address(process: asyncio.subprocess.Process, line: re.Pattern[bytes]) -> str:
    """The address on the next stdout line, which must match `line`."""
    assert process.stdout is not None
    text = await asyncio.wait_for(process.stdout.readline(), timeout=STARTUP_SECONDS)
    match = line.match(text.strip())
    assert match, text
    return match[1].decode()


async def exit_output(process: asyncio.subprocess.Process) -> tuple[str, str]:
    """Waits for a clean exit (0) after SIGTERM; the rest of stdout, and the whole stderr."""
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=15)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode(), stderr.decode()


async def test_sigterm_drains_calls_in_flight(emulator: EmulatorHandle) -> None:
    env = {**service_env(emulator, (API_KEY,)), "PAYMENTS_GRACE_SECONDS": "5"}
    async with service_process(env) as running:
        emulator.add_fault(latency_ms=400)
        # Taken (and so listed no more) the moment the request reaches the emulator: the signal
        # that the call is in flight. Dropping the answer also makes the SDK retry mid-drain, so
        # the call stays in flight (another 400 ms, at least) while the test probes the drain.
        emulator.add_fault(path="/v1/customers", method="POST", drop="after", times=1)
        async with grpc.aio.insecure_channel(running.grpc_address) as channel:
            stub = payments_pb2_grpc.PaymentServiceStub(channel)
            metadata = (("x-api-key", API_KEY),)
            in_flight = asyncio.ensure_future(
                stub.CreateCustomer(
                    payments_pb2.CreateCustomerRequest(email="jane@example.com"),
                    metadata=metadata,
                    timeout=10,
                )
            )
            await wait_until(lambda: not pending_faults(emulator))
            running.process.send_signal(signal.SIGTERM)
            await wait_until_not_serving(channel)

            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.CreateCustomer(
                    payments_pb2.CreateCustomerRequest(email="late@example.com"),
                    metadata=metadata,
                    timeout=5,
                )
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert rich_details(refused.value)["error_info"].reason == "SHUTTING_DOWN"

            response = await in_flight
            assert response.customer.id.startswith("cus_")
        stdout, log = await exit_output(running.process)
    assert "listening on http://" not in stdout  # the HTTP door is off unless asked for
    assert "refusing new calls" in log
    assert API_KEY not in log
    assert emulator.api_key not in log


async def test_http_door_answers_when_asked_for(emulator: EmulatorHandle) -> None:
    env = {**service_env(emulator, (API_KEY,)), "PAYMENTS_HTTP_ADDR": "127.0.0.1:0"}
    async with service_process(env) as running, aiohttp.ClientSession() as client:
        assert running.http_address is not None
        assert not running.http_address.endswith(":0")
        base = f"http://{running.http_address}"
        async with client.get(f"{base}/openapi.json") as response:
            assert response.status == 200
            assert (await response.json())["swagger"] == "2.0"
        async with client.post(
            f"{base}/v1/customers",
            json={"email": "http@example.com", "name": "Over HTTP"},
            headers={"x-api-key": API_KEY},
        ) as response:
            body = await response.json()
            assert response.status == 200, body
        assert body["customer"]["id"].startswith("cus_")
        assert objects(emulator.stats(), "customer") == 1
        running.process.send_signal(signal.SIGTERM)
        _, log = await exit_output(running.process)
    assert "POST /v1/customers 200 rpc=CreateCustomer" in log
    assert API_KEY not in log
    assert "event loop: uvloop" in log  # PAYMENTS_EVENT_LOOP's default
    frozen = re.search(r"; (\d+) start-up objects out of the collector's way", log)
    assert frozen, log
    assert int(frozen[1]) > 100_000  # modules, descriptors, the SDK, …


async def test_a_lower_case_log_level_is_accepted(emulator: EmulatorHandle) -> None:
    env = {
        **service_env(emulator, (f"orders={API_KEY}",)),
        "PAYMENTS_LOG_LEVEL": "debug",
        "PAYMENTS_EVENT_LOOP": "asyncio",
    }
    async with service_process(env) as running:
        async with grpc.aio.insecure_channel(running.grpc_address) as channel:
            stub = payments_pb2_grpc.PaymentServiceStub(channel)
            await stub.CreateCustomer(
                payments_pb2.CreateCustomerRequest(email="jane@example.com"),
                metadata=(("x-api-key", API_KEY),),
                timeout=10,
            )
        running.process.send_signal(signal.SIGTERM)
        _, log = await exit_output(running.process)
    assert " DEBUG " in log  # debug records are written, not refused at start-up
    assert "event loop: asyncio" in log
    assert "Traceback" not in log
    assert "caller=orders" in log
    assert API_KEY not in log
    assert emulator.api_key not in log


def pending_faults(emulator: EmulatorHandle) -> list[object]:
    with urllib.request.urlopen(f"{emulator.url}/_emulator/faults", timeout=5) as response:
        faults: list[object] = json.load(response)["faults"]
        return faults


async def test_sighup_reloads_the_key_file_and_keeps_the_keys_when_it_is_broken(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    new_key = "rotated-key-0123456789abcdef"
    keys = tmp_path / "api-keys"
    keys.write_text(f"orders={API_KEY}\n")
    env = {k: v for k, v in service_env(emulator, ()).items() if k != "PAYMENTS_API_KEYS"}
    env["PAYMENTS_API_KEYS_FILE"] = str(keys)
    async with (
        service_process(env) as running,
        grpc.aio.insecure_channel(running.grpc_address) as channel,
    ):
        stub = payments_pb2_grpc.PaymentServiceStub(channel)

        async def accepted(key: str) -> bool:
            call = stub.GetPaymentStatus(
                payments_pb2.GetPaymentStatusRequest(id="cs_test_nosuch"),
                metadata=(("x-api-key", key),),
                timeout=10,
            )
            return await call.code() != grpc.StatusCode.UNAUTHENTICATED

        assert await accepted(API_KEY)
        assert not await accepted(new_key)
        keys.write_text(f"# rotated\norders={hashed(new_key)}\n")
        running.process.send_signal(signal.SIGHUP)
        await eventually(lambda: accepted(new_key))
        assert not await accepted(API_KEY)
        keys.write_text("too-short\n")
        running.process.send_signal(signal.SIGHUP)
        running.process.send_signal(signal.SIGTERM)
        _, log = await exit_output(running.process)
        assert running.process.returncode == 0
    assert "SIGHUP: 1 API keys reloaded, callers orders" in log
    assert "SIGHUP: the API keys in use are kept: PAYMENTS_API_KEYS_FILE: key #1 is shorter" in log
    assert new_key not in log
    assert API_KEY not in log


def hashed(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
