"""Currencies as Stripe handles them: the supported list, amount limits, minor units on the page."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
import stripe

from stripe_emulator.currencies import SUPPORTED, SUPPORTED_CURRENCIES, format_amount
from stripe_emulator.testing import EmulatorHandle
from tests.emulator.helpers import SUCCESS_URL, loose

# --- which currencies -----------------------------------------------------------------------


def test_the_supported_list_has_no_duplicates_and_is_lowercase() -> None:
    assert len(SUPPORTED) == len(SUPPORTED_CURRENCIES)
    assert all(code == code.lower() for code in SUPPORTED)
    assert {"usd", "eur", "gbp", "jpy", "krw", "kwd", "idr"} <= SUPPORTED


@pytest.mark.parametrize("currency", ["zzz", "ZZZ", "euro", "us", "xts"])
def test_unsupported_currency_is_rejected_like_stripe(
    client: stripe.StripeClient, emulator: EmulatorHandle, currency: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.prices.create(
            params={"product_data": {"name": "x"}, "currency": currency, "unit_amount": 100}
        )
    error = raised.value
    assert error.http_status == 400
    assert error.error is not None
    assert error.error.type == "invalid_request_error"
    assert error.code is None  # Stripe sends no code for this one
    assert error.param == "currency"
    assert error.user_message == (
        f"Invalid currency: {currency.lower()}. Stripe currently supports these currencies: "
        + ", ".join(SUPPORTED_CURRENCIES)
    )
    assert error.user_message.startswith(
        f"Invalid currency: {currency.lower()}. Stripe currently supports these currencies: "
        "usd, aed, afn, all, "
    )
    assert emulator.stats()["objects"]["product"] == 0  # rejected before any work


def test_unsupported_default_price_currency_names_the_nested_param(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.products.create(
            params={"name": "x", "default_price_data": {"currency": "zzz", "unit_amount": 100}}
        )
    assert raised.value.param == "default_price_data[currency]"
    assert str(raised.value.user_message).startswith("Invalid currency: zzz. ")
    assert emulator.stats()["objects"]["product"] == 0


@pytest.mark.parametrize("currency", ["usd", "EUR", "jpy", "krw", "kwd", "idr", "chf"])
def test_supported_currencies_are_accepted_and_lowercased(
    client: stripe.StripeClient, currency: str
) -> None:
    price = client.v1.prices.create(
        params={"product_data": {"name": "x"}, "currency": currency, "unit_amount": 100}
    )
    assert price.currency == currency.lower()


# --- unit_amount limits ----------------------------------------------------------------------


def _price(client: stripe.StripeClient, currency: str, amount: int) -> stripe.Price:
    return client.v1.prices.create(
        params=loose({"product_data": {"name": "x"}, "currency": currency, "unit_amount": amount})
    )


@pytest.mark.parametrize(
    ("currency", "largest"),
    [("usd", 99_999_999), ("jpy", 99_999_999), ("kwd", 99_999_999), ("idr", 999_999_999_999)],
)
def test_unit_amount_limit_is_eight_digits_twelve_for_idr(
    client: stripe.StripeClient, emulator: EmulatorHandle, currency: str, largest: int
) -> None:
    assert _price(client, currency, largest).unit_amount == largest
    with pytest.raises(stripe.InvalidRequestError) as raised:
        _price(client, currency, largest + 1)
    assert raised.value.http_status == 400
    assert raised.value.code is None
    assert raised.value.param == "unit_amount"
    assert raised.value.user_message == f"This value must be less than or equal to {largest}."
    assert emulator.stats()["objects"]["price"] == 1  # only the one at the limit


def test_default_price_unit_amount_limit_names_the_nested_param(
    client: stripe.StripeClient, emulator: EmulatorHandle
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.products.create(
            params={
                "name": "x",
                "default_price_data": {"currency": "usd", "unit_amount": 100_000_000},
            }
        )
    assert raised.value.param == "default_price_data[unit_amount]"
    assert raised.value.user_message == "This value must be less than or equal to 99999999."
    assert emulator.stats()["objects"] == {
        "customer": 0,
        "product": 0,
        "price": 0,
        "checkout.session": 0,
        "payment_intent": 0,
        "webhook_endpoint": 0,
        "event": 0,
    }


def test_currency_is_checked_before_the_amount_limit(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        _price(client, "zzz", 100_000_000)
    assert raised.value.param == "currency"


# --- minor units on the hosted checkout page -------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1250, "usd", "12.50 USD"),
        (5, "eur", "0.05 EUR"),
        (123_456_789, "usd", "1,234,567.89 USD"),
        (1250, "jpy", "1,250 JPY"),
        (500, "KRW", "500 KRW"),
        (0, "vnd", "0 VND"),
        (5120, "kwd", "5.120 KWD"),
        (999_999_999_999, "idr", "9,999,999,999.99 IDR"),
        (-1050, "usd", "-10.50 USD"),
    ],
)
def test_format_amount_uses_the_currencys_minor_unit(
    amount: int, currency: str, shown: str
) -> None:
    assert format_amount(amount, currency) == shown


async def _page_for(
    client: stripe.StripeClient, currency: str, unit_amount: int, quantity: int
) -> str:
    product = client.v1.products.create(
        params={
            "name": "Teapot",
            "default_price_data": {"currency": currency, "unit_amount": unit_amount},
        }
    )
    assert isinstance(product.default_price, str)
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": SUCCESS_URL,
        "line_items": [{"price": product.default_price, "quantity": quantity}],
    }
    session = client.v1.checkout.sessions.create(params=loose(params))
    assert session.url is not None
    assert session.amount_total == unit_amount * quantity  # minor units, whatever the currency
    async with aiohttp.ClientSession() as http, http.get(session.url) as response:
        assert response.status == 200
        return await response.text()


@pytest.mark.parametrize(
    ("currency", "unit", "total"),
    [("jpy", "1,500 JPY", "4,500 JPY"), ("krw", "1,500 KRW", "4,500 KRW")],
)
async def test_zero_decimal_currency_page_shows_whole_units(
    client: stripe.StripeClient, currency: str, unit: str, total: str
) -> None:
    html = await _page_for(client, currency, 1500, 3)
    assert unit in html
    assert total in html
    assert "15.00" not in html
    assert "45.00" not in html


async def test_three_decimal_currency_page(client: stripe.StripeClient) -> None:
    html = await _page_for(client, "kwd", 5120, 2)
    assert "5.120 KWD" in html
    assert "10.240 KWD" in html
