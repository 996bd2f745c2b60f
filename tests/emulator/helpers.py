"""Shared test data builders that go through the SDK."""

from __future__ import annotations

from typing import Any, cast

import stripe

SUCCESS_URL = "https://shop.example/success?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://shop.example/cart"


def loose(params: dict[str, Any]) -> Any:
    """Params the SDK's TypedDicts would refuse (unknown names, wrong types): sent as-is."""
    return cast(Any, params)


def make_price(client: stripe.StripeClient, amount: int = 1500, name: str = "T-shirt") -> str:
    product = client.v1.products.create(
        params={"name": name, "default_price_data": {"currency": "usd", "unit_amount": amount}}
    )
    assert isinstance(product.default_price, str)
    return product.default_price


def make_session(
    client: stripe.StripeClient,
    *,
    quantity: int = 2,
    amount: int = 1500,
    customer: str | None = None,
) -> stripe.checkout.Session:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{"price": make_price(client, amount), "quantity": quantity}],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "metadata": {"order_id": "ord_1"},
        "client_reference_id": "order-1",
    }
    if customer is not None:
        params["customer"] = customer
    return client.v1.checkout.sessions.create(params=loose(params))
