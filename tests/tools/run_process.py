"""`make run` (python -m tools.run) as a child process on loopback port 0, for the tests that use
it as a user would: its banner, its state file, its pages."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import communicate
from tests.docs.doc_blocks import REPO

LOOPBACK_PORT_0 = {
    "PAYMENTS_LISTEN_ADDR": "127.0.0.1:0",
    "PAYMENTS_HTTP_ADDR": "127.0.0.1:0",
    "PAYMENTS_RUN_PAGES_ADDR": "127.0.0.1:0",
    "STRIPE_EMULATOR_PORT": "0",
}


@dataclass(frozen=True)
class Running:
    banner: str
    state: dict[str, str]
    state_file: Path

    @property
    def pasted_lines(self) -> str:
        """The indented lines under "Try, …": what a user pastes, in order."""
        lines = self.banner.split("Try, in another shell in this folder:\n", 1)[1].splitlines()
        return "\n".join(line[2:] for line in lines if line.startswith("  "))

    @property
    def session_id(self) -> str:
        return self.banner.split("make pay SESSION=", 1)[1].split()[0]


async def _read_banner(stdout: asyncio.StreamReader) -> str:
    lines: list[str] = []
    while not lines or lines[-1] != "Ctrl-C stops.":
        line = await stdout.readline()
        if not line:
            raise AssertionError("make run ended before its banner:\n" + "\n".join(lines))
        lines.append(line.decode().rstrip("\n"))
    return "\n".join(lines)


async def start_run(tmp_path: Path, env: dict[str, str]) -> AsyncIterator[Running]:
    state_file = tmp_path / "run.json"
    full_env = {
        **os.environ,
        **LOOPBACK_PORT_0,
        "PAYMENTS_RUN_STATE": str(state_file),
        "PAYMENTS_LOG_LEVEL": "WARNING",
        # The test's own ledger, not build/run-data's (which `make run` empties at its start).
        "PAYMENTS_DATA_DIR": str(tmp_path / "data"),
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tools.run", stdout=asyncio.subprocess.PIPE, env=full_env, cwd=REPO
    )
    assert process.stdout is not None
    try:
        banner = await asyncio.wait_for(_read_banner(process.stdout), timeout=60)
        yield Running(banner, json.loads(state_file.read_text()), state_file)
        process.send_signal(signal.SIGINT)
        await communicate(process, within=30)
        assert process.returncode == 0
        assert not state_file.exists(), "make run leaves no state behind"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
