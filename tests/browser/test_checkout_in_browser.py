"""The hosted checkout in a real headless browser (checkout_flows.mjs: Debian's chromium driven
by playwright-core, 390 px wide), through `make run`: pay, decline then pay, cancel, each ending
on make run's own success or cancel page with the status GetPaymentStatus reports.

Screenshots of the hosted page at 390 px land in build/screenshots/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS, drive_browser
from tests.tools.run_process import Running, start_run

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[Running]:
    async for running in start_run(tmp_path, {"PAYMENTS_API_KEYS": "", "STRIPE_SECRET_KEY": ""}):
        yield running


async def test_pay_decline_and_cancel_in_a_browser(run: Running, node: str) -> None:
    pages = run.state["pages_url"]
    flows = (await drive_browser(node, "checkout_flows.mjs", pages, str(SCREENSHOTS)))["flows"]

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
