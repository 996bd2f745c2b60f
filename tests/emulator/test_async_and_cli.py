"""The asyncio entry point (``serve``) with the SDK's async methods, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

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
