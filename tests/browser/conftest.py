"""What the browser tests share: node with Debian's chromium and playwright-core (`make
browser-tools`, a prerequisite of `make test`, installs them), and running one of this folder's
scripts (chromium.mjs: a fresh profile, no request off loopback) for its one line of JSON.
Screenshots land in build/screenshots/."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import communicate
from tests.docs.doc_blocks import REPO

HERE = Path(__file__).resolve().parent
SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def node() -> str:
    """Node, with chromium and playwright-core there (make test installs them first)."""
    assert CHROMIUM.exists(), "no /usr/bin/chromium: run `make browser-tools`"
    assert (HERE / "node_modules" / "playwright-core").is_dir(), "run `make browser-tools`"
    found = shutil.which("node")
    assert found, "no node on PATH: run `make node`"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return found


async def drive_browser(node: str, script: str, *args: str) -> dict[str, Any]:
    """The JSON line `script` prints last; it must exit 0 and have asked for nothing off
    loopback."""
    process = await asyncio.create_subprocess_exec(
        node,
        str(HERE / script),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "HOME": os.environ.get("HOME", "/tmp")},
        cwd=HERE,
    )
    out, err = await communicate(process, within=150)
    assert process.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    assert result.pop("offLoopback") == [], "the browser asked for something off loopback"
    return result
