"""deploy/healthcheck.py, the image's HEALTHCHECK, run as the image runs it: against the real
service (both doors, an emulator behind), on the address the service reads from
PAYMENTS_LISTEN_ADDR, with a wildcard host reached on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

from tests.conftest import communicate, emulated_service
from tests.deploy.manifests import DEPLOY

HEALTHCHECK = DEPLOY / "healthcheck.py"


async def run_healthcheck(listen_addr: str) -> tuple[int, str]:
    """The check's exit status and its stderr, for a service at `listen_addr`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HEALTHCHECK),
        env={**os.environ, "PAYMENTS_LISTEN_ADDR": listen_addr},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await communicate(process, within=30)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_healthy_while_serving_unhealthy_once_draining() -> None:
    async with emulated_service() as service:
        port = service.address.rpartition(":")[2]

        assert await run_healthcheck(f"0.0.0.0:{port}") == (0, "")

        await service.server.refuse_new_calls(grace_seconds=0)
        status, stderr = await run_healthcheck(f"0.0.0.0:{port}")
        assert status == 1
        assert stderr == f"payments health check: 127.0.0.1:{port} is NOT_SERVING\n"


async def test_unhealthy_when_nothing_answers() -> None:
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        status, stderr = await run_healthcheck(f"127.0.0.1:{port}")
    assert status == 1
    assert stderr == f"payments health check: no health answer from 127.0.0.1:{port}: UNAVAILABLE\n"
