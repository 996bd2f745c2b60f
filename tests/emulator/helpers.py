"""Shared test helpers: a ``StripeClient`` aimed at the emulator, data built through the SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import stripe

from stripe_emulator.testing import AsyncEmulatorHandle, EmulatorHandle

SUCCESS_URL = "https://shop.example/success?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://shop.example/cart"


def stripe_client(
    emulator: EmulatorHandle | AsyncEmulatorHandle,
    *,
    max_network_retries: int = 0,
    api_key: str | None = None,
    **kwargs: Any,
) -> stripe.StripeClient:
    """A ``StripeClient`` aimed at the emulator (its key unless ``api_key`` is given).

    It lives with the tests, not in ``stripe_emulator``: only ``stripe_adapter`` may import
    ``stripe`` outside the tests.
    """
    return stripe.StripeClient(
        api_key or emulator.api_key,
        base_addresses={"api": emulator.url},
        max_network_retries=max_network_retries,
        **kwargs,
    )


@asynccontextmanager
async def async_stripe_client(
    emulator: EmulatorHandle | AsyncEmulatorHandle, **kwargs: Any
) -> AsyncIterator[stripe.StripeClient]:
    """A ``StripeClient`` for the SDK's ``*_async`` methods (over ``stripe.AIOHTTPClient``), as
    ``stripe_client`` builds it; its pooled connections are closed when the block ends."""
    http_client = stripe.AIOHTTPClient()
    try:
        yield stripe_client(emulator, http_client=http_client, **kwargs)
    finally:
        await http_client.close_async()  # type: ignore[no-untyped-call]  # SDK lacks hints


def loose(params: dict[str, Any]) -> Any:
    """Params the SDK's TypedDicts would refuse (unknown names, wrong types): sent as-is."""
    return cast(Any, params)


def make_price(client: stripe.StripeClient, amount: int = 1500, name: str = "T-shirt") -> str:
    product = client.v1.products.create(
        params={"name": name, "default_price_data": {"currency": "usd", "unit_amount": amount}}
    )
    assert isinstance(product.default_price, str)
    return product.default_price


def repriced(
    client: stripe.StripeClient, product_id: str, amount: int, *, archiving: str | None = None
) -> str:
    """A new price of `amount` made the product's default, as the Dashboard does when a price is
    edited, and then the price `archiving` archived, if given: the new price's id."""
    price = client.v1.prices.create(
        params={"product": product_id, "currency": "usd", "unit_amount": amount}
    )
    client.v1.products.update(product_id, params={"default_price": price.id})
    if archiving is not None:
        client.v1.prices.update(archiving, params={"active": False})
    return price.id


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
