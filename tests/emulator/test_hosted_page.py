"""The hosted checkout page a person clicks through (plain HTTP, redirects not followed)."""

from __future__ import annotations

import aiohttp
import stripe

from stripe_emulator.testing import EmulatorHandle
from tests.emulator.helpers import CANCEL_URL, make_price, make_session


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def _post(url: str, form: dict[str, str] | None = None) -> tuple[int, str, str | None]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=form or {}, allow_redirects=False) as response,
    ):
        return response.status, await response.text(), response.headers.get("Location")


async def test_page_lists_items_and_total_escaped(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    product = client.v1.products.create(
        params={
            "name": "<script>alert(1)</script> & Co",
            "default_price_data": {"currency": "usd", "unit_amount": 1250},
        }
    )
    assert isinstance(product.default_price, str)
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": product.default_price, "quantity": 3}],
        }
    )
    assert session.url is not None
    status, html = await _get(session.url)
    assert status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "<script>" not in html
    assert "12.50 USD" in html
    assert "37.50 USD" in html
    assert ">Pay 37.50 USD</button>" in html
    assert "Cancel</button>" in html
    assert "name='viewport' content='width=device-width, initial-scale=1'" in html


async def test_pay_button_redirects_to_success_url(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    status, _, location = await _post(f"{emulator.url}/checkout/{session.id}/pay")
    assert status == 303
    assert location == f"https://shop.example/success?session={session.id}"
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")

    status, html = await _get(f"{emulator.url}/checkout/{session.id}")
    assert "complete" in html
    assert "class='pay'" not in html
    assert "Cancel</button>" not in html


async def test_declined_card_redirects_back_to_the_page_with_a_notice(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    status, _, location = await _post(
        f"{emulator.url}/checkout/{session.id}/pay", {"outcome": "fail"}
    )
    assert (status, location) == (303, f"/checkout/{session.id}?notice=declined")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"

    status, html = await _get(f"{emulator.url}{location}")
    assert status == 200
    assert "Your card was declined." in html
    assert "class='pay'" in html  # the customer may try again


async def test_a_notice_is_chosen_by_code_never_echoed(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    status, html = await _get(f"{emulator.url}/checkout/{session.id}?notice=<b>owned</b>")
    assert status == 200
    assert "owned" not in html
    assert "class='notice'" not in html


async def test_cancel_without_cancel_url_redirects_back_with_a_notice(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [{"price": make_price(client), "quantity": 1}],
        }
    )
    status, _, location = await _post(f"{emulator.url}/checkout/{session.id}/cancel")
    assert (status, location) == (303, f"/checkout/{session.id}?notice=no-cancel-url")
    status, html = await _get(f"{emulator.url}{location}")
    assert "has no cancel_url" in html


async def test_cancel_button_redirects_to_cancel_url(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    status, _, location = await _post(f"{emulator.url}/checkout/{session.id}/cancel")
    assert (status, location) == (303, CANCEL_URL)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


async def test_expired_session_page(client: stripe.StripeClient, emulator: EmulatorHandle) -> None:
    session = make_session(client)
    client.v1.checkout.sessions.expire(session.id)
    status, html = await _get(f"{emulator.url}/checkout/{session.id}")
    assert status == 200
    assert "expired" in html
    status, html, _ = await _post(f"{emulator.url}/checkout/{session.id}/pay")
    assert status == 400


async def test_unknown_session_page_is_404(emulator: EmulatorHandle) -> None:
    status, html = await _get(f"{emulator.url}/checkout/cs_test_nope")
    assert status == 404
    assert "not valid" in html


async def test_bank_debit_completes_the_session_unpaid(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    session = make_session(client)
    assert session.url is not None
    _, html = await _get(session.url)
    assert "value='processing'>Pay by bank debit</button>" in html
    status, _, location = await _post(
        f"{emulator.url}/checkout/{session.id}/pay", {"outcome": "processing"}
    )
    assert status == 303
    assert location == f"https://shop.example/success?session={session.id}"
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "unpaid")
    assert isinstance(done.payment_intent, stripe.PaymentIntent)
    assert done.payment_intent.status == "processing"
    types = [event.type for event in client.v1.events.list().data]
    assert types[:2] == ["checkout.session.completed", "payment_intent.processing"]
