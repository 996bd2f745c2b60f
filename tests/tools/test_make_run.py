"""`make run` (tools/run.py) as a newcomer meets it: the lines its banner prints work when pasted
into another shell, with the development key or with the user's own PAYMENTS_API_KEYS; the
return pages show what GetPaymentStatus says; `make pay` pays; it cleans up when stopped."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import communicate
from tests.docs.doc_blocks import REPO, run_shell
from tests.tools.run_process import LOOPBACK_PORT_0, Running, start_run
from tools import run
from tools.emulator_watch import delivered
from tools.return_pages import Shop, serving_pages

OWN_KEYS = "orders=orders-key-0123456789abcdef,billing=billing-key-fedcba9876543210"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def dev_run(tmp_path: Path) -> AsyncIterator[Running]:
    env = {name: "" for name in ("PAYMENTS_API_KEYS", "STRIPE_SECRET_KEY")}
    async for running in start_run(tmp_path, env):
        yield running


@pytest.fixture
async def own_keys_run(tmp_path: Path) -> AsyncIterator[Running]:
    env = {"PAYMENTS_API_KEYS": OWN_KEYS, "STRIPE_SECRET_KEY": ""}
    async for running in start_run(tmp_path, env):
        yield running


def shell_env(running: Running, **extra: str) -> dict[str, str]:
    """Another shell of the user's: their PATH and HOME, and `make pay` pointed at this run."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "PAYMENTS_RUN_STATE": str(running.state_file),
        **extra,
    }


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


async def _paste_and_check(running: Running, env: dict[str, str]) -> None:
    status, output = await run_shell(running.pasted_lines, env)

    assert status == 0, output
    assert "payments.v1.PaymentService" in output  # grpcurl list
    assert '"email": "ada@example.com"' in output  # curl CreateCustomer
    assert '"status": "PAYMENT_STATUS_OPEN"' in output  # curl GetPaymentStatus, before paying
    assert f"{running.session_id}: complete / paid" in output  # make pay
    page = f"{running.state['pages_url']}/checkout/success?session_id={running.session_id}"
    assert "PAYMENT_STATUS_SUCCEEDED" in (await asyncio.to_thread(get, page))[1]


async def test_the_banner_lines_work_pasted_with_the_development_key(dev_run: Running) -> None:
    assert "export API_KEY=dev-key-change-me-0123456789" in dev_run.banner
    await _paste_and_check(dev_run, shell_env(dev_run))


async def test_the_banner_lines_work_pasted_with_the_users_own_keys(own_keys_run: Running) -> None:
    assert "orders-key" not in own_keys_run.banner  # never echoed
    await _paste_and_check(own_keys_run, shell_env(own_keys_run, PAYMENTS_API_KEYS=OWN_KEYS))


async def test_the_banner_names_the_webhook_route_and_the_ledger(
    dev_run: Running, tmp_path: Path
) -> None:
    webhooks = f"http://{dev_run.state['http_address']}/stripe/webhooks"
    assert f"Webhooks   {webhooks} (the emulator sends every event here)\n" in dev_run.banner
    ledger = tmp_path / "data" / "payments.sqlite3"
    assert f"Ledger     {ledger}\n" in dev_run.banner
    assert ledger.is_file()


async def test_the_emulator_delivers_a_payment_to_the_webhook_route(dev_run: Running) -> None:
    env = shell_env(dev_run, SESSION=dev_run.session_id)
    status, output = await run_shell(f"{sys.executable} -m tools.pay", env)
    assert status == 0, output

    delivery = await asyncio.to_thread(
        delivered,
        dev_run.state["emulator_url"],
        dev_run.session_id,
        "checkout.session.completed",
        within=10,
    )
    assert delivery.status == 200


def test_the_ledger_starts_afresh_on_the_emulator_and_is_kept_on_stripe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "RUN_DATA", tmp_path)
    for name in ("STRIPE_SECRET_KEY", "PAYMENTS_DATA_DIR", "PAYMENTS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for kept in (tmp_path / "emulator" / "payments.sqlite3", tmp_path / "stripe-test" / "x"):
        kept.parent.mkdir(parents=True)
        kept.write_text("an earlier run's")

    assert run.ledger_dir() == tmp_path / "emulator"
    assert not (tmp_path / "emulator").exists()

    (tmp_path / "emulator").mkdir()
    monkeypatch.setenv("PAYMENTS_DATA_DIR", str(tmp_path / "mine"))
    run.ledger_dir()
    assert (tmp_path / "emulator").exists()  # another ledger is named: nothing is removed

    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    assert run.ledger_dir() == tmp_path / "stripe-test"
    assert (tmp_path / "stripe-test" / "x").read_text() == "an earlier run's"


async def test_the_checkout_link_is_alive_and_new_opens_another(dev_run: Running) -> None:
    link = dev_run.banner.split("Checkout   ", 1)[1].split()[0]
    status, html = await asyncio.to_thread(get, link)
    assert status == 200
    assert "Pay 42.00 USD" in html  # one manual, as opened at start-up

    status, html = await asyncio.to_thread(get, f"{dev_run.state['pages_url']}/checkout/new")
    assert status == 200  # redirected to the hosted page of a fresh session
    assert "Pay 42.00 USD" in html


async def test_return_pages_answer_bad_requests_clearly(dev_run: Running) -> None:
    pages = dev_run.state["pages_url"]
    cases = {
        "/checkout/success": (400, "session_id is missing"),
        "/checkout/success?session_id=cs_test_nope": (404, "NOT_FOUND"),
        "/checkout/success?session_id=%3Cb%3E": (400, "INVALID_ARGUMENT"),
        "/checkout/cancel": (200, "Stripe does not say which checkout"),
        "/checkout/cancel?checkout=unknown": (200, "Stripe does not say which checkout"),
        "/elsewhere": (404, "No such page"),
    }
    for path, (wanted_status, wanted_text) in cases.items():
        status, html = await asyncio.to_thread(get, pages + path)
        assert (status, wanted_text in html) == (wanted_status, True), (path, html)
        assert "<b>" not in html


async def test_make_pay_explains_what_is_missing(dev_run: Running, tmp_path: Path) -> None:
    cases = [
        ({}, 2, "give the Checkout Session to pay"),
        ({"SESSION": dev_run.session_id, "OUTCOME": "maybe"}, 2, "OUTCOME must be one of"),
        ({"SESSION": "cs_test_nope"}, 1, "the emulator refused: No such checkout.session"),
        (
            {"SESSION": dev_run.session_id, "PAYMENTS_RUN_STATE": str(tmp_path / "none.json")},
            2,
            "no `make run` is running",
        ),
    ]
    for extra, wanted_status, wanted_text in cases:
        env = shell_env(dev_run) | extra
        status, output = await run_shell(f"{sys.executable} -m tools.pay", env)
        assert (status, wanted_text in output) == (wanted_status, True), (extra, output)


async def test_make_pay_can_decline(dev_run: Running) -> None:
    env = shell_env(dev_run, SESSION=dev_run.session_id, OUTCOME="fail")
    status, output = await run_shell(f"{sys.executable} -m tools.pay", env)
    assert status == 0, output
    assert "open / unpaid" in output
    assert "requires_payment_method" in output


@pytest.mark.parametrize(
    ("setting", "value"),
    [("STRIPE_EMULATOR_PORT", "{port}"), ("PAYMENTS_RUN_PAGES_ADDR", "127.0.0.1:{port}")],
)
async def test_a_taken_port_names_the_setting_to_change(setting: str, value: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {**os.environ, **LOOPBACK_PORT_0, "STRIPE_SECRET_KEY": ""}
        env[setting] = value.format(port=port)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tools.run",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        _, err = await communicate(process, within=30)

    assert process.returncode == 2
    assert err.decode() == (
        f"run: {setting}: 127.0.0.1:{port} is not free (Address already in use); is another "
        f"`make run` running? Set {setting} to a free one (port 0 picks one)\n"
    )


def test_pages_asked_before_the_service_is_up_say_so() -> None:
    shop = Shop(api_key="unused-key-0123456789")
    with serving_pages("127.0.0.1:0", shop):
        status, html = get(f"{shop.base_url}/checkout/success?session_id=cs_test_1")

    assert status == 503
    assert "still starting" in html
