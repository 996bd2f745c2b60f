"""The asyncio entry point (``serve``) with the SDK's async methods, and the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import stripe

from stripe_emulator.testing import serve
from tests.emulator.helpers import SUCCESS_URL, async_stripe_client

REPO = Path(__file__).resolve().parents[2]


async def test_serve_on_the_running_loop_with_async_sdk() -> None:
    async with (
        serve() as emu,
        async_stripe_client(emu, max_network_retries=1) as client,
    ):
        customer = await client.v1.customers.create_async(params={"email": "a@example.com"})
        product = await client.v1.products.create_async(
            params={"name": "Book", "default_price_data": {"currency": "gbp", "unit_amount": 999}}
        )
        assert isinstance(product.default_price, str)
        session = await client.v1.checkout.sessions.create_async(
            params={
                "mode": "payment",
                "customer": customer.id,
                "success_url": SUCCESS_URL,
                "line_items": [{"price": product.default_price, "quantity": 1}],
            }
        )
        await emu.pay(session.id)
        fetched = await client.v1.checkout.sessions.retrieve_async(
            session.id, params={"expand": ["payment_intent"]}
        )
        assert fetched.payment_status == "paid"
        assert isinstance(fetched.payment_intent, stripe.PaymentIntent)
        assert fetched.payment_intent.amount == 999
        assert (await client.v1.customers.retrieve_async(customer.id)).email == "a@example.com"

        await emu.add_fault(path="/v1/customers/*", drop="before")
        assert (await client.v1.customers.retrieve_async(customer.id)).id == customer.id
        assert (await emu.stats())["objects"]["payment_intent"] == 1
        await emu.reset()
        assert (await emu.stats())["objects"]["customer"] == 0


def test_command_line_prints_its_url_and_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--host", "127.0.0.1", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()  # blocks until the server is listening
        assert first_line.startswith("stripe-emulator listening on http://127.0.0.1:")
        url = first_line.split()[-1]
        with urllib.request.urlopen(f"{url}/_emulator/stats", timeout=5) as response:
            assert json.load(response)["objects"]["customer"] == 0
    finally:
        process.terminate()
        try:
            _, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()  # never leave the child (or its pipes) behind
            process.communicate()
            raise
    assert process.returncode == 0
    assert "GET /_emulator/stats 200" in stderr
    assert "req_" in stderr


def test_command_line_forwards_events_to_the_webhook_url() -> None:
    """``--webhook-url`` registers an endpoint taking every event; the secret is printed."""
    env = {**os.environ, "STRIPE_EMULATOR_WEBHOOK_SECRET": "whsec_from_env"}
    argv = ["--webhook-url", "http://127.0.0.1:9/hooks", "--log-level", "WARNING"]
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--port", "0", *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        second = process.stdout.readline()
        assert second.startswith("stripe-emulator webhook endpoint we_")
        assert "-> http://127.0.0.1:9/hooks (signing secret whsec_from_env)" in second
        request = urllib.request.Request(
            f"{url}/v1/webhook_endpoints", headers={"Authorization": "Bearer sk_test_x"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            endpoints = json.load(response)["data"]
        assert [(e["url"], e["enabled_events"]) for e in endpoints] == [
            ("http://127.0.0.1:9/hooks", ["*"])
        ]
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_ctrl_c_stops_the_command_line_and_its_delivery_process_quietly() -> None:
    """A Ctrl-C reaches the terminal's whole process group: the delivery process (started by the
    first delivery) leaves the stop to the emulator instead of dying with a traceback."""
    argv = ["--webhook-url", "http://127.0.0.1:9/hooks", "--log-level", "WARNING"]
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--port", "0", *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        process.stdout.readline()  # the endpoint
        with running_delivery(url):
            os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "Traceback" not in stderr, stderr


@contextmanager
def running_delivery(url: str) -> Iterator[None]:
    """Until the block ends: a customer created, and its event's delivery attempted (refused:
    nothing listens at the endpoint), so the delivery process runs."""
    headers = {"Authorization": "Bearer sk_test_x"}
    create = urllib.request.Request(f"{url}/v1/customers", data=b"", headers=headers)
    urllib.request.urlopen(create, timeout=5).close()
    deadline = time.monotonic() + 10
    while not _deliveries(url):
        assert time.monotonic() < deadline, "no delivery attempted within 10 s"
        time.sleep(0.02)
    yield


def _deliveries(url: str) -> list[object]:
    with urllib.request.urlopen(f"{url}/_emulator/deliveries", timeout=5) as response:
        rows: list[object] = json.load(response)["data"]
    return rows


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--webhook-url", "ftp://x"], {}, "webhook url must be an http(s) URL"),
        (["--webhook-url", "http://h/x", "--webhook-secret", "s3"], {}, "must start with whsec_"),
        (["--webhook-secret", "whsec_x"], {}, "a webhook secret needs a webhook url"),
        (["--webhook-retry-scale", "0"], {}, "retry_scale must be a positive number"),
        ([], {"STRIPE_EMULATOR_WEBHOOK_TIMEOUT": "soon"}, "webhook timeout must be a number"),
    ],
)
def test_bad_webhook_settings_stop_the_start_with_a_message(
    argv: list[str], env: dict[str, str], message: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stripe_emulator", "--port", "0", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
