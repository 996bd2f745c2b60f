"""``/v1/products``, including ``default_price_data`` and search."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from stripe_emulator import errors
from stripe_emulator.api import validation
from stripe_emulator.handler_utils import (
    event_request,
    read_params,
    require,
    respond,
    validated_params,
)
from stripe_emulator.objects.price import build_price
from stripe_emulator.objects.product import build_product, update_product
from stripe_emulator.search import PRODUCT_FIELDS, parse_query
from stripe_emulator.state import EmulatorState, state_of
from stripe_emulator.store import JSON

DEFAULT_SEARCH_LIMIT = 10


def new_product(state: EmulatorState, params: dict[str, Any], id_param: str = "id") -> JSON:
    """Store a product; a custom ``id`` must be unused, as on Stripe."""
    custom_id = params.get("id")
    if custom_id is not None and state.store.get("product", custom_id) is not None:
        raise errors.resource_already_exists("Product already exists.", param=id_param)
    return state.store.add(build_product(params, state.now()))


async def create(request: web.Request) -> web.Response:
    params = await validated_params(request, "POST /v1/products")
    price_data: dict[str, Any] | None = params.get("default_price_data")
    if price_data is not None:
        price_data["currency"] = validation.currency(
            price_data["currency"], "default_price_data[currency]"
        )
        if "unit_amount" not in price_data:
            raise errors.parameter_missing("default_price_data[unit_amount]")
        validation.unit_amount(
            price_data["unit_amount"], price_data["currency"], "default_price_data[unit_amount]"
        )
    state = state_of(request)
    product = new_product(state, params)
    price = None
    if price_data is not None:
        price = state.store.add(build_price(price_data, product["id"], state.now()))
        product["default_price"] = price["id"]
    # As on Stripe: the product (its default price already set), then the price.
    created = state.store.events.emit("product.created", product, request=event_request(request))
    if price is not None:
        state.store.events.emit("price.created", price, request=event_request(request))
    return respond(request, product, params, recorded=created)


async def retrieve(request: web.Request) -> web.Response:
    params = await validated_params(request, "GET /v1/products/{id}")
    return respond(request, require(request, "product", request.match_info["id"]), params)


async def update(request: web.Request) -> web.Response:
    """``product.updated`` only when something changed, as on Stripe. A new ``default_price``
    must exist (Stripe also wants one of the product's own prices; not checked here)."""
    params = await validated_params(request, "POST /v1/products/{id}")
    state = state_of(request)
    product = require(request, "product", request.match_info["id"])
    price_id = params.get("default_price")
    if price_id is not None and state.store.get("price", price_id) is None:
        raise errors.resource_missing("price", price_id, "default_price", status=400)
    metadata = (await read_params(request)).get("metadata")  # "" values unset keys
    previous = update_product(product, params, metadata, state.now())
    if previous:
        state.store.events.emit(
            "product.updated",
            product,
            request=event_request(request),
            previous_attributes=previous,
        )
    return respond(request, product, params)


async def search(request: web.Request) -> web.Response:
    """Stripe's search is eventually consistent; the emulator's is immediate."""
    params = await validated_params(request, "GET /v1/products/search")
    query = parse_query(params["query"], PRODUCT_FIELDS, "products")
    matches = [p for p in reversed(state_of(request).store.all("product")) if query.matches(p)]
    offset = _page_offset(params.get("page"))
    limit: int = params.get("limit", DEFAULT_SEARCH_LIMIT)
    page = matches[offset : offset + limit]
    has_more = offset + limit < len(matches)
    result: JSON = {
        "object": "search_result",
        "data": page,
        "has_more": has_more,
        "next_page": _page_token(offset + limit) if has_more else None,
        "url": "/v1/products/search",
    }
    return respond(request, result, params)


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _page_offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "offset" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise errors.invalid_value("page", f"Invalid page: {token}")
