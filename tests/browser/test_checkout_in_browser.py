"""The hosted checkout in a real headless browser (checkout_flows.mjs: Debian's chromium driven
by playwright-core, 390 px wide), through `make run`: pay, decline then pay, cancel, each ending
on make run's own success or cancel page with the status GetPaymentStatus reports.

`make browser-tools` (a prerequisite of `make test`) installs chromium and playwright-core.
Screenshots of the hosted page at 390 px land in build/screenshots/.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import communicate
from tests.docs.doc_blocks import REPO
from tests.tools.run_process import Running, start_run

HERE = Path(__file__).resolve().parent
SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start_run(tmp_path, {"PAYMENTS_API_KEYS": "", "STRIPE_SECRET_KEY": ""}):
        yield running


@pytest.fixture
def node() -> str:
    """Node, with chromium and playwright-core there (make test installs them first)."""
    assert CHROMIUM.exists(), "no /usr/bin/chromium: run `make browser-tools`"
    assert (HERE / "node_modules" / "playwright-core").is_dir(), "run `make browser-tools`"
    found = shutil.which("node")
    assert found, "no node on PATH: run `make node`"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return found


async def drive_browser(node: str, pages_url: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        node,
        str(HERE / "checkout_flows.mjs"),
        pages_url,
        str(SCREENSHOTS),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "HOME": os.environ.get("HOME", "/tmp")},
        cwd=HERE,
    )
    out, err = await communicate(process, within=150)
    assert process.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def test_pay_decline_and_cancel_in_a_browser(run: Running, node: str) -> None:
    pages = run.state["pages_url"]
    flows = await drive_browser(node, pages)

    pay, retry, cancel = flows["pay"], flows["declineThenPay"], flows["cancel"]
    assert pay["url"].startswith(f"{pages}/checkout/success?session_id=cs_test_")
    assert (pay["heading"], pay["status"]) == (
        "Thank you: payment received",
        "PAYMENT_STATUS_SUCCEEDED",
    )

    assert retry["declined"]["url"].endswith("?notice=declined")  # redirected: GET, not POST
    assert retry["declined"]["notice"] == "Your card was declined. Try another card."
    assert retry["afterReload"] == retry["declined"]["notice"]
    assert retry["status"] == "PAYMENT_STATUS_SUCCEEDED"

    assert cancel["url"].startswith(f"{pages}/checkout/cancel?checkout=")
    assert (cancel["heading"], cancel["status"]) == ("Checkout cancelled", "PAYMENT_STATUS_OPEN")

    for flow in flows.values():
        assert flow["pageWidth"] <= 390, "nothing wider than a phone's screen"
    assert (SCREENSHOTS / "hosted-page-390.png").stat().st_size > 0
