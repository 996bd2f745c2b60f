"""`make demo` (tools/demo.py) runs the whole flow and prints no link that dies with it."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tests.conftest import communicate
from tests.docs.doc_blocks import REPO

pytestmark = pytest.mark.timeout(120)


async def test_the_demo_succeeds_and_prints_no_dead_link() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.demo",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,  # the service's log
        env={**os.environ, "STRIPE_SECRET_KEY": "", "PAYMENTS_LOG_LEVEL": "WARNING"},
        cwd=REPO,
    )
    raw, _ = await communicate(process, within=90)
    output = raw.decode()

    assert process.returncode == 0, output
    assert "Done: OPEN → SUCCEEDED" in output
    assert "http://" not in output, output
    assert "https://" not in output, output
