"""Updating products and prices (``POST /v1/products/{id}``, ``POST /v1/prices/{price}``), their
``*.updated`` events, and Checkout's refusal of what is no longer for sale, through the SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from tests.emulator.helpers import SUCCESS_URL, loose, repriced

INACTIVE_PRICE = "The price specified is inactive. This field only accepts active prices."


def _updated(client: stripe.StripeClient, kind: str) -> list[dict[str, Any]]:
    """The ``data`` of every ``{kind}.updated`` event, oldest first, as raw JSON."""
    listed = client.v1.events.list(params={"type": f"{kind}.updated", "limit": 100})
    assert listed.last_response is not None
    events = json.loads(listed.last_response.body)["data"]
    return [event["data"] for event in reversed(events)]


def _product(client: stripe.StripeClient, amount: int = 500) -> stripe.Product:
    return client.v1.products.create(
        params={
            "name": "Mug",
            "metadata": {"sku": "m-1"},
            "default_price_data": {"currency": "usd", "unit_amount": amount},
        }
    )


def _repriced(client: stripe.StripeClient) -> tuple[str, str]:
    """A product whose default price (800) replaced its first one, now archived: (the archived
    price's id, the new price's)."""
    product = _product(client)
    old = product.default_price
    assert isinstance(old, str)
    return old, repriced(client, product.id, 800, archiving=old)


def _checkout(client: stripe.StripeClient, price_id: str, **options: Any) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": SUCCESS_URL,
            "line_items": [{"price": price_id, "quantity": 1}],
        },
        options=loose(options),
    )


def test_a_product_update_changes_it_and_tells_what_it_was(client: stripe.StripeClient) -> None:
    product = _product(client)
    second = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 700}
    )
    updated = client.v1.products.update(
        product.id,
        params={
            "name": "Big mug",
            "default_price": second.id,
            "metadata": {"sku": "", "size": "xl"},
            "active": False,
        },
    )
    assert (updated.name, updated.default_price, updated.active) == ("Big mug", second.id, False)
    assert client.v1.products.retrieve(product.id).to_dict() == updated.to_dict()
    [data] = _updated(client, "product")
    assert data["object"]["default_price"] == second.id
    assert data["object"]["metadata"] == {"size": "xl"}
    previous = data["previous_attributes"]
    previous.pop("updated", None)  # the old time, when the update came in a later second
    assert previous == {
        "name": "Mug",
        "default_price": product.default_price,
        "metadata": {"sku": "m-1", "size": None},
        "active": True,
    }


def test_an_update_that_changes_nothing_is_not_announced(client: stripe.StripeClient) -> None:
    product = _product(client)
    client.v1.products.update(product.id, params={"name": "Mug", "active": True})
    assert _updated(client, "product") == []


def test_the_description_can_be_unset(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "Mug", "description": "Blue"})
    updated = client.v1.products.update(product.id, params={"description": ""})
    assert updated.description is None
    assert _updated(client, "product")[0]["previous_attributes"]["description"] == "Blue"


def test_an_unknown_default_price_is_400_and_changes_nothing(client: stripe.StripeClient) -> None:
    product = _product(client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.products.update(product.id, params={"default_price": "price_nope"})
    assert (raised.value.http_status, raised.value.code) == (400, "resource_missing")
    assert raised.value.param == "default_price"
    assert client.v1.products.retrieve(product.id).default_price == product.default_price
    assert _updated(client, "product") == []


def test_updating_an_unknown_product_or_price_is_404(client: stripe.StripeClient) -> None:
    for update in (client.v1.products.update, client.v1.prices.update):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            update("nope", params={"active": False})
        assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")


def test_archiving_a_price_is_announced(client: stripe.StripeClient) -> None:
    product = _product(client)
    other = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 900}
    )
    archived = client.v1.prices.update(
        other.id, params={"active": False, "metadata": {"why": "old"}}
    )
    assert archived.active is False
    [data] = _updated(client, "price")
    assert data["object"]["active"] is False
    assert data["previous_attributes"] == {"active": True, "metadata": {"why": None}}


def test_the_default_price_cannot_be_archived(client: stripe.StripeClient) -> None:
    product = _product(client)
    assert isinstance(product.default_price, str)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.prices.update(product.default_price, params={"active": False})
    assert raised.value.http_status == 400
    assert raised.value.user_message == (
        "This price cannot be archived because it is the default price of its product."
    )
    assert client.v1.prices.retrieve(product.default_price).active is True
    assert _updated(client, "price") == []


def test_checkout_refuses_an_archived_price(client: stripe.StripeClient) -> None:
    old, new = _repriced(client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        _checkout(client, old)
    assert (raised.value.http_status, raised.value.code) == (400, None)
    assert raised.value.param == "line_items[0][price]"
    assert raised.value.user_message == INACTIVE_PRICE
    assert _checkout(client, new).amount_total == 800


def test_checkout_refuses_a_price_of_an_archived_product(client: stripe.StripeClient) -> None:
    product = _product(client)
    price_id = product.default_price
    assert isinstance(price_id, str)
    client.v1.products.update(product.id, params={"active": False})
    assert client.v1.prices.retrieve(price_id).active is True  # its prices stay active
    with pytest.raises(stripe.InvalidRequestError) as raised:
        _checkout(client, price_id)
    assert (raised.value.http_status, raised.value.code) == (400, None)
    assert raised.value.param == "line_items[0][price]"
    assert raised.value.user_message == (
        f"Price `{price_id}` is not available to be purchased because its product is not active."
    )


def test_a_refused_price_does_not_use_up_the_idempotency_key(client: stripe.StripeClient) -> None:
    """The refusal is a validation failure: no result is saved under the key, so the same
    request with the product's current price goes through under it, once."""
    old, new = _repriced(client)
    with pytest.raises(stripe.InvalidRequestError):
        _checkout(client, old, idempotency_key="order-7")
    created = _checkout(client, new, idempotency_key="order-7")
    again = _checkout(client, new, idempotency_key="order-7")
    assert again.id == created.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
