"""The HTTP door's /docs (Swagger UI) in a real headless browser (docs_try_it_out.mjs), against
the service on loopback with the emulator behind it: "Try it out" on CreateCustomer answers 401
until the API key is given to "Authorize", then 200 with the customer Stripe created. The page
loads nothing off loopback, and its Content-Security-Policy refuses nothing it needs.

A screenshot of the answer shown lands in build/screenshots/docs-try-it-out.png.
"""

from __future__ import annotations

import json

import pytest

from service.composition import Service
from service.config import Settings, load_settings
from stripe_emulator.testing import EmulatorHandle
from tests.browser.conftest import SCREENSHOTS, drive_browser
from tests.conftest import API_KEY, objects, service_env

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def settings(emulator: EmulatorHandle, api_keys: tuple[str, str]) -> Settings:
    """The suite's service over the emulator, with its HTTP door on 127.0.0.1:0 too."""
    return load_settings({**service_env(emulator, api_keys), "PAYMENTS_HTTP_ADDR": "127.0.0.1:0"})


async def test_try_it_out_answers_401_then_200_once_authorized(
    service: Service, emulator: EmulatorHandle, node: str
) -> None:
    url = f"http://{service.http_address}"
    shown = await drive_browser(node, "docs_try_it_out.mjs", url, API_KEY, str(SCREENSHOTS))

    without_key, with_key = shown["withoutKey"], shown["withKey"]
    assert without_key["status"] == "401"
    assert json.loads(without_key["body"])["details"][0]["reason"] == "API_KEY_MISSING"
    assert with_key["status"] == "200", with_key["body"]
    customer = json.loads(with_key["body"])["customer"]
    assert customer["id"].startswith("cus_")
    assert customer["email"] == "jane.doe@example.com"  # the document's example request
    assert objects(emulator.stats(), "customer") == 1  # the 401 created nothing
    assert shown["errors"] == [], "a script failed, or the page's policy refused something"
    assert (SCREENSHOTS / "docs-try-it-out.png").stat().st_size > 0
