"""``/v1/prices`` (one-time, per-unit prices)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from stripe_emulator import errors
from stripe_emulator.api import validation
from stripe_emulator.api.products import new_product
from stripe_emulator.handler_utils import (
    event_request,
    read_params,
    require,
    respond,
    validated_params,
)
from stripe_emulator.objects.price import build_price, update_price
from stripe_emulator.state import EmulatorState, state_of
from stripe_emulator.store import JSON


async def create(request: web.Request) -> web.Response:
    params = await validated_params(request, "POST /v1/prices")
    params["currency"] = validation.currency(params["currency"], "currency")
    if "unit_amount" not in params:
        raise errors.parameter_missing("unit_amount")
    validation.unit_amount(params["unit_amount"], params["currency"], "unit_amount")
    state = state_of(request)
    product = _product_for(state, params)
    price = state.store.add(build_price(params, product["id"], state.now()))
    if "product_data" in params:
        state.store.events.emit("product.created", product, request=event_request(request))
    created = state.store.events.emit("price.created", price, request=event_request(request))
    return respond(request, price, params, recorded=created)


def _product_for(state: EmulatorState, params: dict[str, Any]) -> JSON:
    """The existing ``product``, or a new one from ``product_data``; exactly one is needed."""
    if "product" in params and "product_data" in params:
        raise errors.invalid_value(
            "product_data", "You may only specify one of these parameters: product, product_data."
        )
    if "product_data" in params:
        return new_product(state, params["product_data"], id_param="product_data[id]")
    if "product" not in params:
        raise errors.parameter_missing("product")
    product = state.store.get("product", params["product"])
    if product is None:
        raise errors.resource_missing("product", params["product"], "product", status=400)
    return product


async def retrieve(request: web.Request) -> web.Response:
    params = await validated_params(request, "GET /v1/prices/{price}")
    return respond(request, require(request, "price", request.match_info["price"]), params)


async def update(request: web.Request) -> web.Response:
    """``price.updated`` only when something changed. As on Stripe, a product's default price
    cannot be archived: the product's ``default_price`` moves first."""
    params = await validated_params(request, "POST /v1/prices/{price}")
    state = state_of(request)
    price = require(request, "price", request.match_info["price"])
    if params.get("active") is False and _is_default(state, price):
        raise errors.invalid_request(
            "This price cannot be archived because it is the default price of its product."
        )
    metadata = (await read_params(request)).get("metadata")  # "" values unset keys
    previous = update_price(price, params, metadata)
    if previous:
        state.store.events.emit(
            "price.updated", price, request=event_request(request), previous_attributes=previous
        )
    return respond(request, price, params)


def _is_default(state: EmulatorState, price: JSON) -> bool:
    product = state.store.get("product", price["product"])
    return product is not None and product["default_price"] == price["id"]
